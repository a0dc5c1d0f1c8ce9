import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import AxeBuilder from '@axe-core/playwright'
import { expect, test, type Page } from '@playwright/test'

// Issue 13, "Stage-ready": the live sequence diagram, the Break it panel, presenter mode, accessibility,
// and no raw token in the page. The screenshots of docs/walkthrough.md and the README are written here,
// on every run, so they never go stale.

const IMAGES = fileURLToPath(new URL('../../docs/images/', import.meta.url))
mkdirSync(IMAGES, { recursive: true })
const JWT = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/

test.use({ viewport: { width: 1280, height: 720 } })
test.beforeEach(({ page }) => {
  page.on('console', (message) => {
    if (message.type() === 'error') console.log(`[page] ${message.text()}`)
  })
})

async function signIn(page: Page, username: string): Promise<void> {
  await page.goto('/')
  await page.getByRole('button', { name: 'Sign in with Acme SSO' }).click()
  await fillLogin(page, username)
}

async function fillLogin(page: Page, username: string): Promise<void> {
  await expect(page.getByRole('heading', { name: /Acme SSO/ })).toBeVisible()
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password').fill(`${username}-password`)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page.getByText(/Signed in as/)).toBeVisible()
  // The page's script is running once it has drawn the sign-in leg (its forms then stay on the page).
  await expect(page.locator('#diagram g.arrow').first()).toBeVisible()
}

const arrows = (page: Page) => page.locator('#diagram g.arrow')
const labels = (page: Page) =>
  arrows(page).evaluateAll((nodes) =>
    nodes.map(
      (node) =>
        `${node.getAttribute('data-from')}>${node.getAttribute('data-to')} ${node.getAttribute('data-label')} [${node.getAttribute('data-outcome')}]`,
    ),
  )

/** Waits until the run named `title` is over (the run title says so). */
async function runEnded(page: Page, title = 'Sign-in and the chain'): Promise<void> {
  await expect(page.locator('#run-title')).toContainText(title, { timeout: 20_000 })
  await expect(page.locator('#run-title')).toContainText(/done|refused by/, { timeout: 20_000 })
}

async function noHorizontalScroll(page: Page): Promise<void> {
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280)
}

async function accessible(page: Page, where: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze()
  const serious = results.violations.filter(
    (violation) => violation.impact === 'serious' || violation.impact === 'critical',
  )
  expect(
    serious.map(
      (violation) =>
        `${where}: ${violation.id} (${violation.impact}) ${violation.nodes.map((node) => node.target.join(' ')).join(', ')}`,
    ),
  ).toEqual([])
}

const SIGN_IN_LEG = [
  'browser>client Sign in with Acme SSO → redirect to the IdP [ok]',
  'client>idp OIDC discovery [ok]',
  'browser>idp Authorization request (code, PKCE, state, nonce) + login [ok]',
  'browser>client Redirect back with the code (GET /callback) [ok]',
  'client>idp Code → ID token (token endpoint) [ok]',
]
const DISCOVERY = [
  'client>mcp MCP initialize without a token [challenge]',
  'client>mcp Protected resource metadata (RFC 9728) [ok]',
  'client>as Authorization server metadata (RFC 8414) [ok]',
]
const CHAIN = [
  ...DISCOVERY,
  'client>idp Token exchange: ID token → ID-JAG (RFC 8693) [ok]',
  'client>as jwt-bearer: ID-JAG → access token (RFC 7523) [ok]',
  'client>mcp MCP initialize (Bearer) [ok]',
  'client>mcp MCP tools/list (Bearer) [ok]',
]
/** The sign-in leg, with the IdP's discovery only on the app's first sign-in and its userinfo call where the ID token lacks the profile. */
const signInLeg = (actual: string[]) =>
  actual.filter((label) => !label.includes('UserInfo') && !label.includes('OIDC discovery'))
const expectedSignInLeg = SIGN_IN_LEG.filter((label) => !label.includes('OIDC discovery'))

test('alice: the diagram draws the sign-in leg and the chain in order; an arrow opens its request, response and annotated ID-JAG', async ({
  page,
}) => {
  await signIn(page, 'alice')
  await runEnded(page, 'Sign-in')
  expect(signInLeg(await labels(page))).toEqual(expectedSignInLeg)

  await page.getByRole('button', { name: 'Connect to Tasks' }).click()
  await runEnded(page)
  await expect(page.locator('#run-title')).toContainText('done: every request answered')
  expect(signInLeg(await labels(page))).toEqual([...expectedSignInLeg, ...CHAIN])
  await noHorizontalScroll(page)
  await page.mouse.move(0, 0)
  await page.locator('#sequence').screenshot({ path: `${IMAGES}sequence-alice.png`, animations: 'disabled' })

  // Click an arrow: its request and response, and the decoded ID-JAG with each claim's rule.
  await page.locator('#diagram g.arrow[data-label^="jwt-bearer"]').click()
  const detail = page.locator('#arrow-detail')
  await expect(detail).toContainText('jwt-bearer: ID-JAG → access token (RFC 7523)')
  await expect(detail).toContainText('grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer')
  const aud = detail
    .locator('[data-testid=decoded-token]')
    .filter({ hasText: 'ID-JAG (sent' })
    .locator('tr[data-claim="payload.aud"]')
  await expect(aud).toContainText("must be exactly this authorization server's issuer")
  await expect(aud).toContainText('AS-17')
  await expect(
    detail.locator('[data-testid=decoded-token]').filter({ hasText: 'Access token (received' }),
  ).toContainText('RS-09')
  await detail.scrollIntoViewIfNeeded()
  await page.locator('#arrow-detail').screenshot({ path: `${IMAGES}arrow-detail.png`, animations: 'disabled' })

  // Keyboard: focus the token exchange arrow and press Enter.
  await page.locator('#diagram g.arrow[data-label^="Token exchange"]').focus()
  await page.keyboard.press('Enter')
  await expect(detail).toContainText('Token exchange: ID token → ID-JAG (RFC 8693)')
  await expect(detail.locator('tr[data-claim="payload.client_id"]').first()).toContainText('AS-18')
  await expect(
    detail
      .locator('[data-testid=decoded-token]')
      .filter({ hasText: 'ID token (sent' })
      .locator('tr[data-claim="payload.aud"]'),
  ).toContainText('IDP-06')

  // A tool call adds its arrow.
  await page.getByLabel('Tool').selectOption('whoami')
  await page.getByRole('button', { name: 'Call tool' }).click()
  await expect(page.getByTestId('tool-result')).toContainText('u-1001')
  await expect(page.locator('#diagram g.arrow[data-label="MCP tools/call whoami"]')).toHaveAttribute(
    'data-outcome',
    'ok',
  )
})

test('bob: the chain succeeds, then add_task is refused by the Tasks MCP server with insufficient_scope', async ({
  page,
}) => {
  await signIn(page, 'bob')
  await page.getByRole('button', { name: 'Connect to Tasks' }).click()
  await runEnded(page)
  expect(signInLeg(await labels(page))).toEqual([...expectedSignInLeg, ...CHAIN])
  await page.getByLabel('Tool').selectOption('add_task')
  await page.getByLabel('Task title').fill('Bob should not add this')
  await page.getByRole('button', { name: 'Call tool' }).click()
  await expect(page.getByTestId('error')).toHaveAttribute('data-error', 'insufficient_scope')
  await expect(page.getByTestId('error')).toHaveAttribute('data-role', 'Tasks MCP server')
  const refused = page.locator('#diagram g.arrow[data-outcome=refused]').last()
  await expect(refused).toHaveAttribute('data-to', 'mcp')
  await expect(refused).toHaveAttribute('data-error', 'insufficient_scope')
})

test('carol: the diagram ends with Acme SSO refusing the token exchange with access_denied', async ({ page }) => {
  await signIn(page, 'carol')
  await page.getByRole('button', { name: 'Connect to Tasks' }).click()
  await runEnded(page)
  expect(signInLeg(await labels(page))).toEqual([
    ...expectedSignInLeg,
    ...DISCOVERY,
    'client>idp Token exchange: ID token → ID-JAG (RFC 8693) [refused]',
  ])
  await expect(page.locator('#diagram g.arrow').last()).toHaveAttribute('data-error', 'access_denied')
  await expect(page.getByTestId('error')).toHaveAttribute('data-role', 'Acme SSO')
})

/** Every Break it button: the role expected to refuse (lifeline, name) and its OAuth error code. */
const ATTACKS: Array<{ button: string; to: string; role: string; error: string; screenshot?: string }> = [
  {
    button: 'Replay an ID-JAG',
    to: 'as',
    role: 'MCP authorization server',
    error: 'invalid_grant',
    screenshot: 'break-replayed-id-jag.png',
  },
  { button: 'Expired ID-JAG', to: 'as', role: 'MCP authorization server', error: 'invalid_grant' },
  {
    button: 'ID-JAG for another authorization server',
    to: 'as',
    role: 'MCP authorization server',
    error: 'invalid_grant',
  },
  { button: "Another client's ID-JAG", to: 'as', role: 'MCP authorization server', error: 'invalid_grant' },
  { button: 'Token for another MCP server', to: 'mcp', role: 'Tasks MCP server', error: 'invalid_token' },
  {
    button: 'ID-JAG as a bearer token',
    to: 'mcp',
    role: 'Tasks MCP server',
    error: 'invalid_token',
    screenshot: 'break-id-jag-as-bearer.png',
  },
  {
    button: 'A scope the policy does not allow',
    to: 'idp',
    role: 'Acme SSO',
    error: 'access_denied',
    screenshot: 'break-scope-not-allowed.png',
  },
  { button: 'Forged signature', to: 'as', role: 'MCP authorization server', error: 'invalid_grant' },
]

test('Break it: every button replays the chain against the real roles and the expected role refuses with the expected code', async ({
  page,
}) => {
  test.setTimeout(120_000)
  await signIn(page, 'alice')
  const panel = page.locator('#break-it')
  for (const attack of ATTACKS) {
    await panel.getByRole('button', { name: attack.button, exact: true }).click()
    await runEnded(page, `Break it: ${attack.button}`)
    const error = page.getByTestId('error')
    await expect(error, attack.button).toHaveAttribute('data-error', attack.error)
    await expect(error, attack.button).toHaveAttribute('data-role', attack.role)
    await expect(error).toContainText(`Refused by ${attack.role}: ${attack.error}`)
    const refused = page.locator('#diagram g.arrow[data-outcome=refused]')
    await expect(refused, attack.button).toHaveCount(1)
    await expect(refused).toHaveAttribute('data-to', attack.to)
    await expect(refused).toHaveAttribute('data-error', attack.error)
    if (attack.screenshot !== undefined) {
      await refused.click()
      await page.screenshot({ path: `${IMAGES}${attack.screenshot}`, fullPage: true, animations: 'disabled' })
    }
  }
  // The replay shows the first redemption accepted and the second refused.
  await panel.getByRole('button', { name: 'Replay an ID-JAG', exact: true }).click()
  await runEnded(page, 'Break it: Replay an ID-JAG')
  const redemptions = page.locator('#diagram g.arrow[data-label^="jwt-bearer"]')
  await expect(redemptions).toHaveCount(2)
  await expect(redemptions.first()).toHaveAttribute('data-outcome', 'ok')
  await expect(redemptions.last()).toHaveAttribute('data-outcome', 'refused')
  await expect(page.locator('#arrow-detail')).toBeEmpty()
  await redemptions.last().click()
  await expect(page.getByTestId('detail-refusal')).toContainText('Refused by MCP authorization server: invalid_grant')

  // Carol: a real sign-in (the IdP ignores the hint, so her name is typed), then the chain runs by itself.
  await panel.getByRole('button', { name: 'A user the policy refuses (carol)' }).click()
  await fillLogin(page, 'carol')
  await expect(page.getByTestId('error')).toHaveAttribute('data-error', 'access_denied', { timeout: 20_000 })
  await expect(page.getByTestId('error')).toHaveAttribute('data-role', 'Acme SSO')
  await expect(page.locator('#diagram g.arrow[data-outcome=refused]')).toHaveAttribute('data-to', 'idp')
  await expect(page.locator('#run-title')).toContainText('Break it: A user the policy refuses (carol)')
  await page.screenshot({ path: `${IMAGES}break-carol.png`, fullPage: true, animations: 'disabled' })
})

test('step-through: the presenter advances one arrow at a time with →, ← and Space, in large type, and leaves with Esc', async ({
  page,
}) => {
  await signIn(page, 'alice')
  await page.getByRole('button', { name: 'Connect to Tasks' }).click()
  await runEnded(page)
  const total = await arrows(page).count()
  await page.getByRole('button', { name: 'Step through' }).click()
  await expect(page.locator('body')).toHaveClass(/presenting/)
  const visible = page.locator('#diagram g.arrow:not(.future)')
  await expect(visible).toHaveCount(1)
  await expect(page.locator('#run-title')).toContainText(`Step 1 of ${total}`)
  await page.keyboard.press('ArrowRight')
  await page.keyboard.press('Space')
  await expect(visible).toHaveCount(3)
  await expect(page.locator('#run-title')).toContainText(`Step 3 of ${total}`)
  await page.keyboard.press('ArrowLeft')
  await expect(visible).toHaveCount(2)
  for (
    let i = 0;
    i < total && !(await page.locator('#arrow-detail h3').textContent())?.includes('Token exchange');
    i += 1
  )
    await page.keyboard.press('ArrowRight')
  await expect(page.locator('#arrow-detail h3')).toContainText('Token exchange')
  expect(
    await page.locator('#arrow-detail').evaluate((node) => parseFloat(getComputedStyle(node).fontSize)),
  ).toBeGreaterThanOrEqual(22)
  await noHorizontalScroll(page)
  await accessible(page, 'presenter mode')
  await page.screenshot({ path: `${IMAGES}presenter-mode.png`, animations: 'disabled' })
  await page.keyboard.press('Escape')
  await expect(page.locator('body')).not.toHaveClass(/presenting/)
  await expect(page.locator('#diagram g.arrow.future')).toHaveCount(0)
})

test('accessibility: no serious or critical axe-core violations, signed out, signed in with the diagram and an open arrow', async ({
  page,
}) => {
  await page.goto('/')
  await accessible(page, 'signed out')
  await page.getByRole('button', { name: 'Sign in with Acme SSO' }).click()
  await fillLogin(page, 'alice')
  await page.getByRole('button', { name: 'Connect to Tasks' }).click()
  await runEnded(page)
  await page.locator('#diagram g.arrow[data-label^="Token exchange"]').click()
  await noHorizontalScroll(page)
  await accessible(page, 'signed in, an arrow open')
  await page.locator('#break-it').getByRole('button', { name: 'Forged signature' }).click()
  await runEnded(page, 'Break it: Forged signature')
  await accessible(page, 'a refusal shown')
  await page.screenshot({ path: `${IMAGES}page-1280x720.png`, animations: 'disabled' })
})

test('CL-34 no raw token in the page, its storage, its cookies or its event stream', async ({ page, context }) => {
  await signIn(page, 'alice')
  await page.getByRole('button', { name: 'Connect to Tasks' }).click()
  await runEnded(page)
  await page.getByLabel('Tool').selectOption('whoami')
  await page.getByRole('button', { name: 'Call tool' }).click()
  await expect(page.getByTestId('tool-result')).toBeVisible()
  await page.locator('#break-it').getByRole('button', { name: 'ID-JAG as a bearer token' }).click()
  await runEnded(page, 'Break it: ID-JAG as a bearer token')
  for (const arrow of await arrows(page).all()) {
    await arrow.click() // every detail view rendered once
    expect(await page.content()).not.toMatch(JWT)
  }
  const storage = await page.evaluate(() =>
    JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie }),
  )
  expect(storage).not.toMatch(JWT)
  // Every cookie of localhost (Acme Agent's, and Acme SSO's own on its port): none holds a token.
  const cookies = await context.cookies()
  const session = cookies.find((cookie) => cookie.name === 'acme_agent_session')
  expect(session?.httpOnly).toBe(true)
  for (const cookie of cookies) expect(cookie.value, cookie.name).not.toMatch(JWT)
  const stream = await page.evaluate(async () => {
    const response = await fetch('/events')
    const reader = response.body!.getReader()
    let text = ''
    while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value)
    await reader.cancel()
    return text
  })
  expect(stream).toContain('event: run')
  expect(stream).toContain('"kind":"id-jag"')
  expect(stream).not.toMatch(JWT)
  for (const secret of ['acme-agent-idp-secret', 'acme-agent-as-secret', 'other-agent-secret', 'alice-password']) {
    expect(await page.content()).not.toContain(secret)
    expect(stream).not.toContain(secret)
  }
})
