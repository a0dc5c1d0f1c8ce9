import { expect, test, type Page } from '@playwright/test'
import { callTool } from './support/acme-agent.ts'

// The whole sequence in a real browser: SSO at Acme SSO → token exchange (ID token → ID-JAG) at the
// IdP under the administrator's policy → jwt-bearer (ID-JAG → access token) at the MCP authorization
// server → MCP over Streamable HTTP at the Tasks server.

async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/')
  await expect(page).toHaveTitle(/Acme Agent/)
  await page
    .getByRole('button', { name: 'Sign in with Acme SSO' })
    .or(page.getByRole('link', { name: 'Sign in with Acme SSO' }))
    .click()
  // Now at the IdP's own login page.
  await expect(page.getByRole('heading', { name: /Acme SSO/ })).toBeVisible()
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page.getByText(/Signed in as/)).toBeVisible()
}

async function connect(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Connect to Tasks' }).click()
}

test('alice signs in, the chain runs, and whoami, add_task and list_tasks work (CL-17, CL-36, AS-37, RS-10)', async ({
  page,
}) => {
  await signIn(page, 'alice', 'alice-password')
  await expect(page.getByTestId('user')).toHaveText('Signed in as Alice Anderson (alice)')
  await connect(page)

  const steps = page.getByTestId('step')
  await expect(steps.first()).toBeVisible()
  await expect(page.locator('[data-testid="step"][data-status="error"]')).toHaveCount(0)
  // The page shows the decoded ID-JAG: its typ, and the client id the IdP mapped for the AS (IDP-21).
  await expect(page.locator('#steps')).toContainText('oauth-id-jag+jwt')
  await expect(page.locator('#steps')).toContainText('acme-agent-tasks')
  await expect(page.locator('#steps')).toContainText('at+jwt')
  // Secrets and tokens are redacted in the trace (CL-34).
  await expect(page.locator('#steps')).not.toContainText('acme-agent-idp-secret')
  await expect(page.locator('#steps')).not.toContainText('acme-agent-as-secret')

  await callTool(page, 'whoami')
  await expect(page.getByTestId('tool-result')).toContainText('u-1001')
  await expect(page.getByTestId('tool-result')).toContainText('tasks.write')

  const title = `Prepare the summit demo ${Date.now()}`
  await callTool(page, 'add_task', title)
  await expect(page.getByTestId('tool-result')).toContainText(title)

  await callTool(page, 'list_tasks')
  await expect(page.getByTestId('tool-result')).toContainText(title)
  await expect(page.getByTestId('error')).toHaveCount(0)
})

test('bob can list tasks, but add_task is refused with insufficient_scope shown in the page (IDP-16, RS-07)', async ({
  page,
}) => {
  await signIn(page, 'bob', 'bob-password')
  await connect(page)
  await expect(page.locator('[data-testid="step"][data-status="error"]')).toHaveCount(0)

  await callTool(page, 'list_tasks')
  await expect(page.getByTestId('tool-result')).toBeVisible()
  await expect(page.getByTestId('error')).toHaveCount(0)

  await callTool(page, 'add_task', 'Bob should not be able to add this')
  const error = page.getByTestId('error')
  await expect(error).toBeVisible()
  await expect(error).toContainText('insufficient_scope')
  await expect(error).toContainText('tasks.write')
})

test('carol is refused by the IdP policy and the page says so (IDP-13, IDP-55)', async ({ page }) => {
  await signIn(page, 'carol', 'carol-password')
  await connect(page)
  const error = page.getByTestId('error')
  await expect(error).toBeVisible()
  await expect(error).toContainText('access_denied')
  await expect(error).toContainText(/Acme SSO/)
  await expect(page.locator('[data-testid="step"][data-status="error"]')).toHaveCount(1)
  await expect(page.getByRole('button', { name: 'Call tool' })).toHaveCount(0)
})
