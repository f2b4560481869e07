import { randomUUID } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import type { Cache } from '../cache/types.js'

/** A list page as served and cached: its body, and where the next page starts when there is one. */
export interface ListedPage {
  body: string
  nextCursor?: string
}

/**
 * How long a process keeps using the catalog generation it last read from the shared cache before reading it
 * again. This is the staleness bound of lists across replicas: a list served by one replica shows every product
 * change committed through another one at most this long before. Changes made through the same process are
 * visible at once (forgetCatalogLists clears its copy).
 */
export const LIST_GENERATION_MEMO_MS = 1000

/**
 * The catalog generation: a random token that names the current set of cached list pages. Every product change
 * deletes it (after its commit), and the next reader draws a new one, so all earlier pages become unreachable
 * at once instead of being found and dropped one by one. A random token, not a counter, because a counter that
 * expired or was evicted would start again and bring back pages filled under its old values.
 */
const GENERATION_KEY = 'products:list-generation'

/**
 * Pages are also kept in process, under the same keys: a key names its generation, so a page kept here is as
 * current as the same page in the shared cache, and a hit costs no round trip and no parse. Bounded by text size.
 */
export const LOCAL_PAGES_MAX_CHARS = 8 * 1024 * 1024

interface Memo {
  token: string | undefined
  readAt: number
  /** Moves on every local change: a read that was in flight meanwhile may predate the change and is not kept. */
  epoch: number
  pending: Promise<string> | undefined
  pages: LRUCache<string, ListedPage>
}

/** Per cache, so every app (and every test app) of a process keeps its own. */
const memos = new WeakMap<Cache, Memo>()

function memoOf (cache: Cache): Memo {
  let memo = memos.get(cache)
  if (memo === undefined) {
    const pages = new LRUCache<string, ListedPage>({
      max: 1000, maxSize: LOCAL_PAGES_MAX_CHARS, sizeCalculation: (page) => page.body.length + (page.nextCursor?.length ?? 0) + 1
    })
    memo = { token: undefined, readAt: 0, epoch: 0, pending: undefined, pages }
    memos.set(cache, memo)
  }
  return memo
}

/**
 * Why this is safe: a page is filled under the token its reader saw before querying the database, and a token
 * is set only after the deletion that followed every earlier commit. A change committed after that query deletes
 * the token too, so a page that misses the change can only be found through a token nobody reads any longer.
 */
async function readShared (cache: Cache): Promise<string> {
  const current = await cache.getVersioned<string>(GENERATION_KEY)
  if (current !== undefined) return current
  const drawn = randomUUID()
  // Readers that miss together each draw one; the first fill wins and the others adopt it on the read back.
  // With the store down both fail, and every page read then goes to the database under a token of its own.
  await cache.fillVersion(GENERATION_KEY, drawn, 0)
  return (await cache.getVersioned<string>(GENERATION_KEY)) ?? drawn
}

/** The generation list pages are cached under: from the process's copy while it is fresh, else from the cache. */
export async function catalogGeneration (cache: Cache): Promise<string> {
  const memo = memoOf(cache)
  if (memo.token !== undefined && performance.now() - memo.readAt < LIST_GENERATION_MEMO_MS) return memo.token
  if (memo.pending !== undefined) return memo.pending
  const { epoch } = memo
  const startedAt = performance.now()
  const pending = readShared(cache)
  memo.pending = pending
  try {
    const token = await pending
    if (memo.epoch === epoch) {
      // Pages of an older generation can no longer be asked for: free their memory now.
      if (token !== memo.token) memo.pages.clear()
      Object.assign(memo, { token, readAt: startedAt })
    }
    return token
  } finally {
    if (memo.pending === pending) memo.pending = undefined
  }
}

/** The process's own copies of pages, keyed like the shared cache (generation included). */
export function localPages (cache: Cache): LRUCache<string, ListedPage> {
  return memoOf(cache).pages
}

/** Drops every cached list page; call it after a product change committed, before answering. */
export async function forgetCatalogLists (cache: Cache): Promise<void> {
  const memo = memoOf(cache)
  // Twice: reads that started before the delete landed could still bring back the old token.
  const forgetLocally = () => {
    Object.assign(memo, { token: undefined, epoch: memo.epoch + 1, pending: undefined })
    memo.pages.clear()
  }
  forgetLocally()
  await cache.del(GENERATION_KEY)
  forgetLocally()
}
