/**
 * A typed client of the Shop API: openapi-fetch over the types openapi-typescript generates from openapi.json
 * (schema.ts, `npm run generate:client`). Paths, parameters, bodies, answers and problems are all checked
 * against the document at compile time; this file adds only what the document cannot say.
 */
import createClient, { type Client, type ClientOptions, type Middleware } from 'openapi-fetch'
import type { components, paths } from './schema.js'

export type { components, operations, paths } from './schema.js'
export { isProblem, PROBLEM_TYPE_PREFIX, type Problem, type ProblemOf } from './problem.js'

type Schemas = components['schemas']
export type User = Schemas['User']
export type Tokens = Schemas['Tokens']
export type Product = Schemas['Product']
export type Order = Schemas['Order']
export type Pagination = Schemas['Pagination']
export type FieldError = Schemas['FieldError']

export type ShopClient = Client<paths>

export interface ShopClientOptions extends Omit<ClientOptions, 'baseUrl'> {
  /**
   * The access token to send as `authorization: Bearer …`, asked for on every request, so that a token the
   * caller refreshes is used from the next request on; `undefined` sends none. A request that sets its own
   * `authorization` header keeps it.
   */
  accessToken?: () => string | undefined | Promise<string | undefined>
}

function bearer (accessToken: NonNullable<ShopClientOptions['accessToken']>): Middleware {
  return {
    async onRequest ({ request }) {
      if (request.headers.has('authorization')) return
      const token = await accessToken()
      if (token !== undefined) request.headers.set('authorization', `Bearer ${token}`)
    }
  }
}

/** A client for the service at `baseUrl` (e.g. `https://shop.example`, without `/v1`: the paths carry it). */
export function createShopClient (baseUrl: string, options: ShopClientOptions = {}): ShopClient {
  const { accessToken, ...clientOptions } = options
  const client = createClient<paths>({ ...clientOptions, baseUrl })
  if (accessToken !== undefined) client.use(bearer(accessToken))
  return client
}
