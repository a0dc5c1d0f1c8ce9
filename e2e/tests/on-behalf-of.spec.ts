import { expect, test, type Page } from '@playwright/test'
import { urls } from '../playwright.config.ts'
import { signInToAgent } from './support/acme-agent.ts'

// Step 8 in a real browser: the MCP server exchanges alice's access token at the authorization server
// (RFC 8693 on-behalf-of) and calls the Tasks API with the new token; with MCP_TRACE_DOWNSTREAM on,
// the tool result carries the second hop in _meta, and the page shows it.

async function signInAndConnect(page: Page, username: string, password: string): Promise<void> {
  await signInToAgent(page, username, password)
  await page.getByRole('button', { name: 'Connect to Tasks' }).click()
  await expect(page.locator('[data-testid="step"][data-status="error"]')).toHaveCount(0)
}

async function callTool(page: Page, tool: string, title?: string): Promise<void> {
  await page.getByLabel('Tool').selectOption(tool)
  if (title !== undefined) await page.getByLabel('Task title').fill(title)
  await page.getByRole('button', { name: 'Call tool' }).click()
}

test("OBO-01 OBO-12 alice adds a task; the page shows the downstream token's act chain (tasks-mcp-server acting for acme-agent-tasks)", async ({
  page,
}) => {
  await signInAndConnect(page, 'alice', 'alice-password')
  const title = `On behalf of alice ${Date.now()}`
  await callTool(page, 'add_task', title)
  const result = page.getByTestId('tool-result')
  await expect(result).toContainText(title)
  await expect(result).toContainText('io.ema/downstream')
  // The decoded downstream token: aud = the Tasks API, act = { sub: tasks-mcp-server, act: { sub: acme-agent-tasks } }.
  const text = (await result.textContent()) ?? ''
  const meta = JSON.parse(text.slice(text.indexOf('{', text.indexOf('_meta')))) as Record<
    string,
    {
      downstream_token_claims: Record<string, unknown>
      exchange: { status: number; request: { params: Record<string, string> } }
      api: { status: number }
    }
  >
  const trace = meta['io.ema/downstream']!
  expect(trace.downstream_token_claims['act']).toEqual({ sub: 'tasks-mcp-server', act: { sub: 'acme-agent-tasks' } })
  expect(trace.downstream_token_claims['aud']).toBe(urls.tasksApi)
  expect(trace.downstream_token_claims['sub']).toBe('acme|u-1001')
  expect(trace.downstream_token_claims['scope']).toBe('tasks.write')
  expect(trace.exchange.status).toBe(200)
  expect(trace.exchange.request.params['subject_token']).toMatch(/^\[redacted \d+ chars\]$/)
  expect(trace.api.status).toBe(201)
  // Never a compact token on the page.
  await expect(result).not.toContainText(/eyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}/)

  await callTool(page, 'list_tasks')
  await expect(page.getByTestId('tool-result')).toContainText(title)
  await expect(page.getByTestId('tool-result')).toContainText('"actor":"tasks-mcp-server"')
})
