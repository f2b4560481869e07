/** Median of a list; NaN for an empty one so a missing figure cannot pass for a real zero. */
export function median (values: readonly number[]): number {
  const finite = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b)
  if (finite.length === 0) return Number.NaN
  const middle = Math.floor(finite.length / 2)
  const upper = finite[middle] ?? Number.NaN
  if (finite.length % 2 === 1) return upper
  return ((finite[middle - 1] ?? upper) + upper) / 2
}

/**
 * Per-round ratios of one contender to a reference measured in the same round.
 * Machine drift moves both figures of a round together, so the ratio is steadier than either (bench/README.md, Method).
 */
export function perRoundRatios (contender: readonly number[], reference: readonly number[]): number[] {
  const ratios: number[] = []
  for (let round = 0; round < Math.min(contender.length, reference.length); round++) {
    const mine = contender[round]
    const theirs = reference[round]
    if (mine !== undefined && theirs !== undefined && theirs > 0) ratios.push(mine / theirs)
  }
  return ratios
}

/** Contenders in a different order each round, so none always runs right after the warm-up or right before a pause. */
export function rotate<T> (items: readonly T[], round: number): T[] {
  if (items.length === 0) return []
  const shift = round % items.length
  return [...items.slice(shift), ...items.slice(0, shift)]
}
