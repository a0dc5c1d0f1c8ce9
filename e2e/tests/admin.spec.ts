import { expect, test, type Page } from '@playwright/test'
import { urls } from '../playwright.config.ts'
import { signInToAgent } from './support/acme-agent.ts'

// The enterprise administrator's seat (issue 12) in a real browser: the admin removes bob's access at
// Acme SSO's console, bob's next attempt in Acme Agent is refused with access_denied naming the rule,
// the audit trail shows the denial with the rule, and restoring the access makes it work again.

async function signInToConsole(page: Page, username: string, password: string): Promise<void> {
  await page.goto(`${urls.idp}/admin`)
  await expect(page.getByRole('heading', { name: 'Sign in to the admin console' })).toBeVisible()
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
}

test("IDP-13 IDP-55 the admin removes bob's access: his next connect is refused with access_denied naming the rule, the audit trail shows it; restored, it works again", async ({
  page,
  browser,
}) => {
  // bob works as usual.
  await signInToAgent(page, 'bob', 'bob-password')
  await page.getByRole('button', { name: 'Connect to Tasks' }).click()
  await expect(page.getByTestId('step').first()).toBeVisible()
  await expect(page.locator('[data-testid="step"][data-status="error"]')).toHaveCount(0)

  // The administrator, in a browser of their own, adds a deny rule for bob.
  const adminContext = await browser.newContext()
  const admin = await adminContext.newPage()
  await signInToConsole(admin, 'admin', 'admin-password')
  await expect(admin.getByRole('heading', { name: 'Revocation window' })).toBeVisible()
  await expect(admin.getByTestId('id-jag-lifetime')).toHaveText('300 s')
  await admin.getByRole('link', { name: 'Add a rule' }).click()
  await admin.getByLabel('Rule id').fill('bob-on-leave')
  await admin.getByLabel('Description').fill('Bob is on leave')
  await admin.getByLabel('Effect').selectOption('deny')
  await admin.getByLabel('Subject (user or group)').selectOption('user:bob')
  await admin.getByLabel('Authorization server and resource').selectOption(`${urls.as} ${urls.rs}`)
  await admin.getByLabel('Scopes (space-separated, or *)').fill('*')
  await admin.getByRole('button', { name: 'Save rule' }).click()
  await expect(admin.getByRole('status')).toContainText('Saved: added rule bob-on-leave')
  await expect(admin.locator('tr[data-rule="bob-on-leave"]')).toContainText('deny')

  // bob's next attempt: refused by Acme SSO, and the page says which rule.
  await page.getByRole('button', { name: 'Connect to Tasks' }).click()
  const error = page.getByTestId('error')
  await expect(error).toContainText('access_denied')
  await expect(error).toContainText('rule "bob-on-leave" denies tasks.read, tasks.write')

  // The audit trail shows the denial and the rule.
  await admin.getByRole('link', { name: 'Audit trail', exact: true }).click()
  await admin.getByLabel('User').selectOption('bob')
  await admin.getByLabel('Decision').selectOption('refused')
  await admin.getByRole('button', { name: 'Filter' }).click()
  const denial = admin.locator('[data-testid="audit-event"][data-decision="refused"]').first()
  await expect(denial).toContainText('bob-on-leave')
  await expect(denial).toContainText('access_denied')
  await expect(admin.locator('[data-testid="audit-event"][data-decision="granted"]')).toHaveCount(0)

  // The administrator restores bob's access; his next connect works again.
  await admin.getByRole('link', { name: 'Policy', exact: true }).click()
  await admin.getByRole('button', { name: 'Delete rule bob-on-leave' }).click()
  await expect(admin.getByRole('status')).toContainText('Saved: deleted rule bob-on-leave')
  await page.getByRole('button', { name: 'Connect to Tasks' }).click()
  await expect(page.getByTestId('error')).toHaveCount(0)
  await expect(page.locator('[data-testid="step"][data-status="error"]')).toHaveCount(0)
  await expect(page.getByRole('button', { name: 'Call tool' })).toBeVisible()
  await adminContext.close()
})

test('IDP-13 alice is not an administrator: the console answers 403 and shows nothing of the policy', async ({
  page,
}) => {
  await signInToConsole(page, 'alice', 'alice-password')
  await expect(page.getByRole('alert')).toContainText('HTTP 403: alice is not an administrator of Acme SSO')
  await expect(page.getByRole('heading', { name: 'Rules' })).toHaveCount(0)
})
