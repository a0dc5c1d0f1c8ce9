import type { Step } from '@ema/id-jag-client'
import type { Session } from './session-store.ts'

/**
 * The one page of Acme Agent, server-rendered. Shows who is signed in, the chain's steps with
 * their (redacted) requests and decoded tokens, the tool form and result, and any refusal in plain
 * words with its OAuth error code. No token is ever written into the page (CL-34): only `redact(…)`
 * stand-ins and decoded claims.
 *
 * UI contract (the e2e tests depend on it): button "Sign in with Acme SSO"; "Signed in as <name>";
 * buttons "Connect to Tasks", "Sign out", "Call tool"; `select[name=tool]` labelled "Tool";
 * `input[name=title]` labelled "Task title"; `pre[data-testid=tool-result]`;
 * `ol#steps > li[data-testid=step][data-status=ok|error]`; `div[role=alert][data-testid=error]`.
 */
export function renderPage(session: Session | undefined, options: { mcpServerUrl: string; idpIssuer: string }): string {
  const user = session?.user
  const body = user === undefined
    ? `<section class="card">
        <p>Acme Agent is an MCP client. Sign in with your company account; the agent then gets an ID-JAG from
        Acme SSO and trades it for an access token to the <strong>Tasks</strong> MCP server, with no consent screen.</p>
        <form method="post" action="/login"><button type="submit">Sign in with Acme SSO</button></form>
      </section>
      ${session === undefined ? '' : renderError(session)}`
    : `<section class="card who">
        <p data-testid="user">Signed in as ${escapeHtml(user.name ?? user.username ?? user.sub)}${user.username === undefined ? '' : ` (${escapeHtml(user.username)})`}</p>
        <form method="post" action="/connect"><button type="submit">Connect to Tasks</button></form>
        <form method="post" action="/logout"><button type="submit" class="secondary">Sign out</button></form>
      </section>
      ${renderError(session!)}
      ${renderToolForm(session!)}
      ${renderSteps(session!.steps)}`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme Agent</title>
<style>
  body { font: 20px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 70rem; padding: 1rem 2rem; color: #111; background: #fafafa; }
  h1 { margin: .2em 0; } h1 small { font-size: .5em; color: #555; font-weight: normal; }
  .card { background: #fff; border: 1px solid #ccc; border-radius: 8px; padding: 1rem 1.5rem; margin: 1rem 0; }
  .who { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; } .who p { margin: 0; flex: 1; font-weight: 600; }
  button { font: inherit; padding: .45em 1.1em; border-radius: 6px; border: 0; background: #1f4fd1; color: #fff; cursor: pointer; }
  button.secondary { background: #666; }
  label { font-weight: 600; margin-right: .4em; } select, input { font: inherit; padding: .3em; margin-right: 1em; }
  [role=alert] { background: #fde8e8; border: 2px solid #c0262d; border-radius: 8px; padding: 1rem 1.5rem; margin: 1rem 0; }
  [role=alert] code { font-size: 1.1em; font-weight: 700; color: #a1151c; }
  ol#steps { padding-left: 1.6em; } ol#steps > li { background: #fff; border: 1px solid #ccc; border-left: 8px solid #2e8b57; border-radius: 6px; padding: .6rem 1rem; margin: .8rem 0; }
  ol#steps > li[data-status=error] { border-left-color: #c0262d; }
  ol#steps h3 { margin: .1em 0 .4em; font-size: 1.05em; }
  pre { background: #f2f2f2; padding: .6em; overflow-x: auto; font-size: 16px; white-space: pre-wrap; word-break: break-all; margin: .3em 0; }
  .tokens { display: grid; grid-template-columns: 1fr 1fr; gap: .5em; } .muted { color: #555; }
</style>
</head>
<body>
<h1>Acme Agent <small>MCP client · Enterprise-Managed Authorization (ID-JAG)</small></h1>
<p class="muted">IdP: ${escapeHtml(options.idpIssuer)} · MCP server: ${escapeHtml(options.mcpServerUrl)}</p>
${body}
</body>
</html>`
}

function renderError(session: Session): string {
  if (session.error === undefined) return ''
  return `<div role="alert" data-testid="error"><p><code>${escapeHtml(session.error.code)}</code></p><p>${escapeHtml(session.error.message)}</p></div>`
}

function renderToolForm(session: Session): string {
  const tools = session.tools
  if (tools === undefined || session.mcp === undefined) return ''
  const options = tools.map((tool) => `<option value="${escapeHtml(tool.name)}">${escapeHtml(tool.name)}</option>`).join('')
  const result = session.toolResult === undefined
    ? ''
    : `<h3>Result of ${escapeHtml(session.toolResult.tool)}</h3><pre data-testid="tool-result">${escapeHtml(session.toolResult.text)}</pre>`
  return `<section class="card">
    <h2>Tasks tools</h2>
    <form method="post" action="/call-tool">
      <label for="tool">Tool</label><select id="tool" name="tool">${options}</select>
      <label for="title">Task title</label><input id="title" name="title" type="text" placeholder="e.g. Prepare the demo">
      <button type="submit">Call tool</button>
    </form>
    ${result}
  </section>`
}

function renderSteps(steps: Step[]): string {
  if (steps.length === 0) return '<ol id="steps"></ol>'
  return `<h2>What happened, step by step</h2><ol id="steps">${steps.map(renderStep).join('')}</ol>`
}

function renderStep(step: Step): string {
  const parts = [`<h3>${escapeHtml(step.title)}${step.status === 'error' ? ' — refused' : ''}</h3>`]
  if (step.request !== undefined) {
    parts.push(`<div><strong>${escapeHtml(step.request.method)}</strong> <code>${escapeHtml(step.request.url)}</code></div>`)
    if (step.request.headers !== undefined) parts.push(`<pre>${escapeHtml(formatMap(step.request.headers, ': '))}</pre>`)
    if (step.request.params !== undefined) parts.push(`<pre>${escapeHtml(formatMap(step.request.params, '='))}</pre>`)
  }
  if (step.response !== undefined) {
    parts.push(`<div>Response: <strong>HTTP ${step.response.status}</strong></div>`)
    if (step.response.body !== undefined) parts.push(`<pre>${escapeHtml(JSON.stringify(step.response.body, null, 2))}</pre>`)
  }
  for (const token of step.tokens ?? []) {
    parts.push(`<div><strong>${escapeHtml(token.label)}</strong> (decoded, not verified)</div>
      <div class="tokens"><pre>${escapeHtml(JSON.stringify(token.header, null, 2))}</pre><pre>${escapeHtml(JSON.stringify(token.claims, null, 2))}</pre></div>`)
  }
  if (step.notes !== undefined && step.notes.length > 0) parts.push(`<ul>${step.notes.map((note) => `<li>${escapeHtml(note)}</li>`).join('')}</ul>`)
  return `<li data-testid="step" data-status="${step.status}">${parts.join('\n')}</li>`
}

function formatMap(map: Record<string, string>, separator: string): string {
  return Object.entries(map).map(([name, value]) => `${name}${separator}${value}`).join('\n')
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')
}
