import { expect, test, type Page } from '@playwright/test'
import { demoResetSecret, urls } from '../playwright.config.ts'
import { callTool } from './support/acme-agent.ts'

// Issue 13: "with and without enterprise-managed authorization" (the classic MCP flow's consent screen
// beside the EMA chain, which has none), and the demo reset (every role back at the demo's start).

test.use({ viewport: { width: 1280, height: 720 } })

async function signIn(page: Page, username: string): Promise<void> {
  await page.goto('/')
  await page.getByRole('button', { name: 'Sign in with Acme SSO' }).click()
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill(`${username}-password`)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page.getByText(/Signed in as/)).toBeVisible()
  await expect(page.locator('#diagram g.arrow').first()).toBeVisible()
}

test('without EMA: alice connects the classic way, sees the AS consent screen, approves, and the tool call works; with EMA there is no consent screen', async ({
  page,
}) => {
  await signIn(page, 'alice')
  await expect(page.getByTestId('mode-help')).toContainText('consent screen')

  // With enterprise-managed authorization: straight to the tools, never on the authorization server's pages.
  const visited: string[] = []
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) visited.push(frame.url())
  })
  await page.getByRole('button', { name: 'Connect to Tasks' }).click()
  await expect(page.getByTestId('connected-via')).toHaveAttribute('data-via', 'ema')
  expect(visited.filter((url) => url.startsWith(urls.as))).toEqual([])

  // Without: the classic MCP flow, the consent screen of the MCP authorization server.
  await page.getByLabel('Without (classic MCP)').check()
  await page.getByRole('button', { name: 'Connect to Tasks' }).click()
  const consent = page.getByRole('heading', { name: /Authorize/ })
  const login = page.getByLabel('Username')
  await expect(consent.or(login)).toBeVisible()
  if (await login.isVisible()) {
    // The AS's sign-in is federated to Acme SSO, which may ask again.
    await login.fill('alice')
    await page.getByLabel('Password').fill('alice-password')
    await page.getByRole('button', { name: 'Sign in' }).click()
  }
  await expect(consent).toBeVisible()
  expect(page.url().startsWith(urls.as)).toBe(true)
  await expect(page.getByText('Acme Agent (classic MCP authorization)').first()).toBeVisible()
  await page.getByRole('button', { name: 'Approve' }).click()

  await expect(page.getByTestId('connected-via')).toHaveAttribute('data-via', 'classic')
  await callTool(page, 'whoami')
  await expect(page.getByTestId('tool-result')).toContainText('u-1001')
  await expect(page.getByTestId('tool-result')).toContainText('acme-agent-classic')
  // The classic run's arrows are in the diagram, like the chain's: the consent and the code redemption.
  await expect(page.locator('#diagram g.arrow[data-to="as"]').first()).toBeVisible()
  const labels = await page
    .locator('#diagram g.arrow')
    .evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-label') ?? ''))
  expect(labels.some((label) => /consent screen/.test(label))).toBe(true)
})

test('reset: alice adds a task, the demo is reset, her list is empty again and she is signed out; the reset needs the secret', async ({
  page,
  request,
}) => {
  await signIn(page, 'alice')
  await page.getByRole('button', { name: 'Connect to Tasks' }).click()
  await expect(page.getByLabel('Tool')).toBeVisible()
  const title = `Before the reset ${Date.now()}`
  await callTool(page, 'add_task', title)
  await expect(page.getByTestId('tool-result')).toContainText(title)

  // Anyone without the secret is refused, and nothing is reset.
  const refused = await request.post(`${urls.tasksApi}/demo/reset`, { headers: { authorization: 'Bearer guess' } })
  expect(refused.status()).toBe(401)

  await page.getByRole('button', { name: 'Reset the demo' }).click()
  await expect(page.getByTestId('reset-notice')).toContainText('every role is back at its start')
  await expect(page.getByRole('button', { name: 'Sign in with Acme SSO' })).toBeVisible()

  await signIn(page, 'alice')
  await page.getByRole('button', { name: 'Connect to Tasks' }).click()
  await callTool(page, 'list_tasks')
  await expect(page.getByTestId('tool-result')).toBeVisible()
  await expect(page.getByTestId('tool-result')).not.toContainText(title)

  // The scripted reset (npm run demo:reset) calls the same endpoints.
  for (const url of [urls.idp, urls.as, urls.tasksApi, urls.client]) {
    const response = await request.post(`${url}/demo/reset`, {
      headers: { authorization: `Bearer ${demoResetSecret}` },
    })
    expect(response.status(), url).toBe(200)
  }
})
