import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { agentCliEnv, runAgentCli, type RunningAgentCli } from '@ema/demo-kit'
import { expect, test } from '@playwright/test'
import { agentCliKeyFile, urls } from '../playwright.config.ts'

// The headless agent CLI's one interactive moment in a real browser: `agent login` prints the IdP's
// sign-in URL, the user signs in in Chromium, and the IdP redirects to the CLI's one-shot listener
// on 127.0.0.1 (RFC 8252 §7.3). After that the CLI runs the chain with no browser at all.

function runAgent(args: string[], stateFile: string): RunningAgentCli {
  // The test is the browser: the CLI only prints the sign-in URL.
  return runAgentCli(args, { env: agentCliEnv(process.env, urls, { keyFile: agentCliKeyFile, stateFile }) })
}

test('the agent CLI signs alice in through Chromium with a loopback redirect, then calls whoami with no browser (CL-13, CL-15, CL-28, CL-45)', async ({
  page,
}) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'e2e-agent-'))
  const stateFile = path.join(dir, 'state.json')
  try {
    const login = runAgent(['login'], stateFile)
    const signInUrl = await Promise.race([
      login.signInUrl,
      login.done.then((run) => Promise.reject(new Error(`agent login ended early:\n${run.stderr}`))),
    ])
    expect(new URL(signInUrl).searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/)
    expect(new URL(signInUrl).searchParams.get('code_challenge_method')).toBe('S256') // CL-15

    await page.goto(signInUrl)
    await expect(page.getByRole('heading', { name: /Acme SSO/ })).toBeVisible()
    await page.getByLabel('Username').fill('alice')
    await page.getByLabel('Password').fill('alice-password')
    await page.getByRole('button', { name: 'Sign in' }).click()
    // The CLI's loopback listener answers the redirect.
    await expect(page.getByText('Signed in as alice. You can close this window')).toBeVisible()
    const loggedIn = await login.done
    expect(loggedIn.code, loggedIn.stderr).toBe(0)
    expect(loggedIn.stdout).toContain('Kept the IdP refresh token')

    const call = await runAgent(['call', 'whoami'], stateFile).done
    expect(call.code, call.stderr).toBe(0)
    const me = JSON.parse(call.stdout) as { subject: string; client_id: string }
    expect(me.subject).toBe('acme|u-1001')
    expect(me.client_id).toBe('acme-agent-cli-tasks')
    expect(call.stderr).toMatch(/Access token from the MCP authorization server.*client authentication private_key_jwt/)
    // The second hop, as the MCP server reports it (MCP_TRACE_DOWNSTREAM): OBO-12, OBO-13.
    expect(call.stderr).toMatch(/RFC 8693 on-behalf-of exchange: POST \S+\/token \(\S+\) → (200|a cached token)/)
    expect(call.stderr).toMatch(/act: tasks-mcp-server acts now, for acme-agent-cli-tasks/)
    expect(call.stderr).toMatch(/Tasks API: GET \S+\/whoami → 200/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
