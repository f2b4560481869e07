/** Test data, made through the public API only, as a client would (no SQL behind the service's back). */

export interface ApiAnswer {
  status: number
  body: unknown
}

export async function callApi (baseUrl: string, method: string, path: string, body?: unknown, token?: string): Promise<ApiAnswer> {
  const headers: Record<string, string> = {}
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (token !== undefined) headers.authorization = `Bearer ${token}`
  const response = await fetch(`${baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
  const text = await response.text()
  let parsed: unknown = text
  try { parsed = JSON.parse(text) } catch { /* not JSON: keep the text for the error message */ }
  return { status: response.status, body: parsed }
}

function field (value: unknown, ...path: string[]): unknown {
  let current = value
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<string, unknown>)[key]
  }
  return current
}

function text (value: unknown, ...path: string[]): string | undefined {
  const found = field(value, ...path)
  return typeof found === 'string' ? found : undefined
}

/** "get /v1/products/{id}" for every operation in the service's own OpenAPI document. */
export async function publishedRoutes (baseUrl: string): Promise<Set<string>> {
  const answer = await callApi(baseUrl, 'GET', '/docs/json')
  const routes = new Set<string>()
  const paths = field(answer.body, 'paths')
  if (answer.status !== 200 || paths === null || typeof paths !== 'object') return routes
  for (const [path, operations] of Object.entries(paths)) {
    // A plugin's `get('/')` under the prefix /v1/products is documented as /v1/products/.
    const normalized = path.length > 1 ? path.replace(/\/$/, '') : path
    for (const method of Object.keys(operations as object)) routes.add(`${method.toLowerCase()} ${normalized}`)
  }
  return routes
}

export interface Credentials { email: string, password: string }

export interface SeededData {
  routes: Set<string>
  /** Scenario 1's product (read over and over, served from the cache). */
  readProductId?: string
  /** Scenario 3's product: stock that cannot run out during a run. */
  orderProductId?: string
  customer?: Credentials & { id: string, accessToken: string }
  /** What could not be set up, and why. */
  problems: string[]
}

/** Effectively unlimited: ~ 2^31, the largest stock a PostgreSQL integer holds. */
export const UNLIMITED_STOCK = 2_000_000_000
/** Enough live products that `?limit=20` returns a full page. */
export const LIST_PRODUCTS = 24

const DESCRIPTION = 'Stoneware mug, 350 ml, dishwasher and microwave safe. Glazed inside and out; ' +
  'each one is thrown by hand, so sizes vary by a few millimetres.'

export async function seed (baseUrl: string, admin: Credentials, runId: string): Promise<SeededData> {
  const data: SeededData = { routes: await publishedRoutes(baseUrl), problems: [] }
  const has = (route: string) => data.routes.has(route)
  const expect = (answer: ApiAnswer, status: number, what: string): boolean => {
    if (answer.status === status) return true
    data.problems.push(`${what}: expected ${status}, got ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`)
    return false
  }

  if (!has('post /v1/auth/login')) {
    data.problems.push('POST /v1/auth/login is missing: no admin or customer token')
    return data
  }

  const customer = { email: `bench-customer-${runId}@example.com`, password: `bench-password-${runId}` }
  if (has('post /v1/auth/register')) {
    const registered = await callApi(baseUrl, 'POST', '/v1/auth/register', { ...customer, name: 'Bench Customer' })
    if (expect(registered, 201, 'register the customer')) {
      const login = await callApi(baseUrl, 'POST', '/v1/auth/login', customer)
      const accessToken = text(login.body, 'accessToken')
      const id = text(registered.body, 'id')
      if (expect(login, 200, 'customer login') && accessToken !== undefined && id !== undefined) {
        data.customer = { ...customer, id, accessToken }
      }
    }
  } else {
    data.problems.push('POST /v1/auth/register is missing: no customer')
  }

  if (!has('post /v1/products')) {
    data.problems.push('POST /v1/products is missing: no products')
    return data
  }
  const adminLogin = await callApi(baseUrl, 'POST', '/v1/auth/login', admin)
  const adminToken = text(adminLogin.body, 'accessToken')
  if (!expect(adminLogin, 200, `admin login (${admin.email})`) || adminToken === undefined) return data

  for (let index = 1; index <= LIST_PRODUCTS; index++) {
    const created = await callApi(baseUrl, 'POST', '/v1/products', {
      sku: `BENCH-${runId}-${index}`.toUpperCase().slice(0, 32),
      name: `Hand-thrown mug no. ${index}`,
      description: DESCRIPTION,
      priceCents: 1000 + index * 50,
      stock: 500
    }, adminToken)
    if (!expect(created, 201, `create product ${index}`)) return data
    if (index === 1) data.readProductId = text(created.body, 'id')
  }
  const orderable = await callApi(baseUrl, 'POST', '/v1/products', {
    sku: `BENCH-${runId}-ORDER`.toUpperCase().slice(0, 32),
    name: 'Bench order target',
    description: DESCRIPTION,
    priceCents: 1250,
    stock: UNLIMITED_STOCK
  }, adminToken)
  if (expect(orderable, 201, 'create the orderable product')) data.orderProductId = text(orderable.body, 'id')
  return data
}
