import { expect, type Page } from '@playwright/test'

/** Signs `username` in to Acme Agent at Acme SSO's login page (a button, or a link once signed out). */
export async function signInToAgent(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/')
  await page
    .getByRole('button', { name: 'Sign in with Acme SSO' })
    .or(page.getByRole('link', { name: 'Sign in with Acme SSO' }))
    .click()
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page.getByText(/Signed in as/)).toBeVisible()
}

/** Calls one of the listed tools from the page, with a task title where the tool takes one. */
export async function callTool(page: Page, tool: string, title?: string): Promise<void> {
  await page.getByLabel('Tool').selectOption(tool)
  if (title !== undefined) await page.getByLabel('Task title').fill(title)
  await page.getByRole('button', { name: 'Call tool' }).click()
}
