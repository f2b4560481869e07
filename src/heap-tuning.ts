import { setFlagsFromString } from 'node:v8'

/**
 * Imported first by src/server.ts (the process entry; tests do not tune the heap of their runner).
 * Under load most garbage survives a scavenge or two (a request in flight across Redis round trips), is
 * promoted, and V8 lets the old generation grow to up to 4× its live size before a full collection: on a
 * cached product read at ~11k req/s the heap rose from 28 to 111 MiB between collections and peak RSS hit
 * 225 MiB. A growth factor of 1.5 collected earlier (peak 154 MiB) at the same throughput within noise
 * (bench/README.md, optimisation log). The flag is read at every collection, so setting it here, before the
 * service allocates, takes effect; `node --heap-growing-percent=…` on the command line would override it.
 */
export const HEAP_GROWING_PERCENT = 50

if (!process.execArgv.some((arg) => arg.startsWith('--heap-growing-percent') || arg.startsWith('--heap_growing_percent'))) {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`)
}
