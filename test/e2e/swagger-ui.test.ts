import { access } from 'node:fs/promises'
import type { Test } from 'tap'
import { chromium, type Page } from 'playwright-core'
import { buildTestApp } from '../helper.js'
import { runAlone } from '../support/test-file.js'

/**
 * The newcomer's path through Swagger UI, in a real browser: sign in as the bootstrap admin, press Authorize,
 * create a product, register a customer, sign in as them and place an order. Needs Debian's chromium
 * (`apt-get install chromium`); skipped with a note where it is not installed.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const hasChromium = await access(CHROMIUM).then(() => true, () => false)
const ADMIN = { email: 'admin@example.com', password: 'admin-password-for-ui-test' }

async function execute (page: Page, method: string, path: string, body: unknown): Promise<{ status: number, json: Record<string, unknown> }> {
  const block = page.locator(`.opblock-${method}`).filter({ has: page.locator(`.opblock-summary-path[data-path="${path}"]`) }).first()
  await block.locator('.opblock-summary').click()
  // The expanded block renders after the click: wait for its try-out button before reading it. It says "Cancel"
  // when this operation was already tried (login is used twice); counting at once raced a slow render in CI.
  const tryOut = block.locator('.try-out__btn').first()
  await tryOut.waitFor()
  if ((await tryOut.innerText()).includes('Try it out')) await tryOut.click()
  await block.locator('textarea.body-param__text').first().fill(JSON.stringify(body))
  await block.locator('button.execute').click()
  const cell = block.locator('.live-responses-table tbody .response-col_status').first()
  await cell.waitFor()
  const status = Number((await cell.innerText()).trim())
  const text = await block.locator('.live-responses-table .microlight').first().innerText()
  await block.locator('.opblock-summary').click()
  return { status, json: JSON.parse(text) as Record<string, unknown> }
}

async function authorize (page: Page, token: string): Promise<void> {
  await page.locator('button.authorize').first().click()
  const logout = page.locator('.modal-ux button:has-text("Logout")')
  if (await logout.count() > 0) await logout.first().click()
  await page.locator('.modal-ux input[type=text]').fill(token)
  await page.locator('.modal-ux button.authorize').click()
  await page.locator('.modal-ux button.btn-done').click()
}

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function swaggerUiTests (t: Test): Promise<void> {
  t.test('from Swagger UI: admin signs in, authorizes, creates a product; a customer registers and orders it',
    { skip: hasChromium ? false : `no browser at ${CHROMIUM}` }, async (t) => {
      const { app } = await buildTestApp(t, { env: { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } })
      const address = await app.listen({ port: 0, host: '127.0.0.1' })
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
      })
      t.teardown(() => browser.close())
      const page = await browser.newPage()
      const blocked: string[] = []
      page.on('console', (message) => { if (/Content Security Policy/i.test(message.text())) blocked.push(message.text()) })
      await page.goto(`${address}/docs/`)
      await page.waitForSelector('.opblock')
      t.same(blocked, [], 'the CSP lets Swagger UI run')

      const login = await execute(page, 'post', '/v1/auth/login', ADMIN)
      t.equal(login.status, 200)
      await authorize(page, String(login.json.accessToken))
      const product = await execute(page, 'post', '/v1/products', { sku: 'UI-MUG-1', name: 'Swagger mug', description: 'Made from the docs', priceCents: 1250, stock: 3 })
      t.equal(product.status, 201, 'the Authorize button sends the bearer token')

      const customer = { email: 'ui-customer@example.com', password: 'customer-password-1' }
      t.equal((await execute(page, 'post', '/v1/auth/register', { ...customer, name: 'UI Customer' })).status, 201)
      const customerLogin = await execute(page, 'post', '/v1/auth/login', customer)
      t.equal(customerLogin.status, 200)
      await authorize(page, String(customerLogin.json.accessToken))
      const order = await execute(page, 'post', '/v1/orders', { items: [{ productId: product.json.id, quantity: 2 }] })
      t.equal(order.status, 201)
      t.has(order.json, { status: 'placed', totalCents: 2500 })
    })
}

await runAlone(import.meta.url, swaggerUiTests)
