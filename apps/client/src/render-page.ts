import { escapeHtml } from '@ema/server-kit'
import type { Step } from '@ema/chain-steps'
import { DEMO_ATTACKS, findAttack, SIGN_IN_ATTACK } from './demo-attacks.ts'
import { roleName } from './sequence-arrow.ts'
import type { Session } from './session-store.ts'

export interface PageOptions {
  mcpServerUrl: string
  idpIssuer: string
  /** Show the "Break it" panel (CLIENT_DEMO_ATTACKS=true). */
  demoAttacks?: boolean
  /** Show the "with and without enterprise-managed authorization" toggle (DEMO_CLASSIC=true). */
  classic?: boolean
  /** Show the "Reset the demo" button (DEMO_RESET=true). */
  demoReset?: boolean
  /** After a reset: every role answered (`done`) or some did not (`partial`). */
  resetNotice?: 'done' | 'partial' | undefined
  /** What the page's script starts by itself once loaded (after carol's sign-in: the chain). */
  autoRun?: 'connect' | undefined
}

/**
 * The one page of Acme Agent, server-rendered. Shows who is signed in, the live sequence diagram (drawn
 * by `/static/stage.js` from the `/events` stream), the "Break it" panel, the chain's steps with their
 * (redacted) requests and decoded tokens, the tool form and result, and any refusal in plain words
 * with the refusing role and its OAuth error code. No token is ever written into the page (CL-34): only
 * `redact(…)` stand-ins and decoded claims. Works without the script (forms post and redirect).
 *
 * UI contract (the e2e tests depend on it): button "Sign in with Acme SSO"; "Signed in as <name>";
 * buttons "Connect to Tasks", "Sign out", "Call tool"; `select[name=tool]` labelled "Tool";
 * `input[name=title]` labelled "Task title"; `pre[data-testid=tool-result]`;
 * `ol#steps > li[data-testid=step][data-status=ok|error]`; `div[role=alert][data-testid=error]` with
 * `data-error` and `data-role`; `section#break-it` buttons named by the attacks' labels;
 * `svg#diagram g.arrow[data-to][data-outcome][data-error]` (drawn by the script); button
 * "Step through"; `#arrow-detail`; with DEMO_CLASSIC the radios "With (ID-JAG)" / "Without (classic MCP)",
 * `[data-testid=mode-help]` and `[data-testid=connected-via][data-via=ema|classic]`; with DEMO_RESET the
 * button "Reset the demo" (`form#reset-form`) and `[data-testid=reset-notice]`.
 */
export function renderPage(session: Session | undefined, options: PageOptions): string {
  const user = session?.user
  const serverParts =
    user === undefined
      ? `<section class="card">
        <p>Acme Agent is an MCP client. Sign in with your company account; the agent then gets an ID-JAG from
        Acme SSO and trades it for an access token to the <strong>Tasks</strong> MCP server, with no consent screen.</p>
        <form method="post" action="/login"><button type="submit">Sign in with Acme SSO</button></form>
      </section>
      ${session === undefined ? '' : renderError(session)}`
      : `<section class="card who" aria-label="Session">
        <p data-testid="user">Signed in as ${escapeHtml(user.name ?? user.username ?? user.sub)}${user.username === undefined ? '' : ` (${escapeHtml(user.username)})`}</p>
        ${renderConnect(options.classic === true)}
        <form method="post" action="/logout"><button type="submit" class="secondary">Sign out</button></form>
      </section>
      ${renderError(session!)}
      ${renderToolForm(session!)}
      ${options.demoAttacks === true ? renderBreakIt() : ''}`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme Agent</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/stage.css">
<script type="module" src="/static/stage.js"></script>
</head>
<body${options.autoRun === undefined ? '' : ` data-auto-run="${escapeHtml(options.autoRun)}"`}>
<header>
<h1>Acme Agent <small>MCP client · Enterprise-Managed Authorization (ID-JAG)</small></h1>
<p class="muted">IdP: ${escapeHtml(options.idpIssuer)} · MCP server: ${escapeHtml(options.mcpServerUrl)}</p>
${options.demoReset === true ? renderReset(options.resetNotice) : ''}
</header>
<main>
<div id="server-parts">
${serverParts}
</div>
${renderSequenceSection()}
<div id="steps-section">
${session?.user === undefined ? '' : renderSteps(session.steps)}
</div>
</main>
</body>
</html>`
}

/** The live sequence diagram's frame; `/static/stage.js` draws the arrows from the `/events` stream. */
function renderSequenceSection(): string {
  return `<section id="sequence" class="card" aria-labelledby="sequence-title">
  <div class="toolbar">
    <h2 id="sequence-title">The sequence, live</h2>
    <p id="run-title" class="muted" aria-live="polite"></p>
    <button type="button" id="step-through" class="secondary" aria-pressed="false" hidden>Step through</button>
  </div>
  <p id="step-help" class="muted" hidden>Presenter mode: <kbd>→</kbd> or <kbd>Space</kbd> next arrow, <kbd>←</kbd> previous, <kbd>Esc</kbd> to leave, <kbd>R</kbd> resets the demo.</p>
  <div id="diagram-frame" tabindex="-1">
    <p id="diagram-empty" class="muted">Sign in and connect: each request appears here as an arrow as it happens. Click an arrow, or focus it and press Enter, to see its request, response and decoded token.</p>
  </div>
  <noscript><p>The live diagram needs JavaScript; the steps below show the same requests.</p></noscript>
  <section id="arrow-detail" tabindex="0" aria-live="polite" aria-label="The selected arrow"></section>
</section>`
}

/**
 * "Connect to Tasks", with the toggle when DEMO_CLASSIC=true: with enterprise-managed authorization (the
 * IdP decides: ID-JAG, no consent screen) or without (the classic MCP flow: the MCP authorization
 * server's consent screen). The classic choice leaves the page (stage.js does not post it in place).
 */
function renderConnect(classic: boolean): string {
  if (!classic)
    return '<form method="post" action="/connect" data-live><button type="submit">Connect to Tasks</button></form>'
  return `<form method="post" action="/connect" data-live class="connect">
          <fieldset class="mode">
            <legend>Enterprise-managed authorization</legend>
            <label><input type="radio" name="mode" value="ema" checked> With (ID-JAG)</label>
            <label><input type="radio" name="mode" value="classic"> Without (classic MCP)</label>
          </fieldset>
          <p class="muted" data-testid="mode-help">What differs: with it, Acme SSO decides from the company's policy and no consent screen is shown; without it, the MCP authorization server signs you in and asks you to approve Acme Agent on its own consent screen.</p>
          <button type="submit">Connect to Tasks</button>
        </form>`
}

/** "Reset the demo": every role back at the demo's start (DEMO_RESET=true); a full page load, not in place. */
function renderReset(notice: PageOptions['resetNotice']): string {
  const said =
    notice === 'done'
      ? '<p role="status" data-testid="reset-notice">The demo was reset: every role is back at its start. Sign in again.</p>'
      : notice === 'partial'
        ? '<p role="status" data-testid="reset-notice">The demo was reset, but some roles did not answer; see Acme Agent\'s log.</p>'
        : ''
  return `<form method="post" action="/reset" id="reset-form" class="reset"><button type="submit" class="secondary" title="Empties the task lists, forgets used ID-JAGs, restores the IdP policy and ends every session here (R in presenter mode)">Reset the demo</button></form>
${said}`
}

/** Buttons that replay the chain with one thing wrong; the real roles refuse (CLIENT_DEMO_ATTACKS=true). */
function renderBreakIt(): string {
  const replayed = DEMO_ATTACKS.filter((attack) => attack.id !== SIGN_IN_ATTACK)
  const carol = findAttack(SIGN_IN_ATTACK)!
  return `<section id="break-it" class="card" aria-labelledby="break-it-title">
    <h2 id="break-it-title">Break it</h2>
    <p class="muted">Each button replays the chain with one thing wrong. The real roles answer as they would answer anyone: watch which one refuses, and why.</p>
    <form method="post" action="/break" data-live class="attacks">
      ${replayed.map((attack) => `<button type="submit" name="attack" value="${escapeHtml(attack.id)}" class="attack" title="${escapeHtml(attack.what)}">${escapeHtml(attack.label)}</button>`).join('\n      ')}
    </form>
    <form method="post" action="/login" class="attacks">
      <input type="hidden" name="login_hint" value="carol"><input type="hidden" name="then" value="connect"><input type="hidden" name="attack" value="${escapeHtml(carol.id)}">
      <button type="submit" class="attack" title="${escapeHtml(carol.what)}">${escapeHtml(carol.label)}</button>
    </form>
  </section>`
}

function renderError(session: Session): string {
  if (session.error === undefined) return ''
  const { code, message, role } = session.error
  const attack = session.attack === undefined ? undefined : findAttack(session.attack)
  const expected =
    attack === undefined
      ? ''
      : `<p class="why"><strong>${escapeHtml(attack.label)}:</strong> ${escapeHtml(attack.what)} ${escapeHtml(attack.why)} <span class="req">(${escapeHtml(attack.requirement)}; expected: ${escapeHtml(roleName(attack.refusedBy))} refuses with <code>${escapeHtml(attack.error)}</code>)</span></p>`
  return `<div role="alert" data-testid="error" data-error="${escapeHtml(code)}" data-role="${escapeHtml(role ?? '')}">
    <p>${role === undefined ? 'Refused' : `Refused by <strong data-testid="refusing-role">${escapeHtml(role)}</strong>`}: <code>${escapeHtml(code)}</code></p>
    <p>${escapeHtml(message)}</p>
    ${expected}
  </div>`
}

function renderToolForm(session: Session): string {
  const tools = session.tools
  if (tools === undefined || session.mcp === undefined) return ''
  const options = tools
    .map((tool) => `<option value="${escapeHtml(tool.name)}">${escapeHtml(tool.name)}</option>`)
    .join('')
  const result =
    session.toolResult === undefined
      ? ''
      : `<h3>Result of ${escapeHtml(session.toolResult.tool)}</h3><pre data-testid="tool-result">${escapeHtml(session.toolResult.text)}</pre>`
  const via =
    session.connectedVia === undefined
      ? ''
      : `<p class="muted" data-testid="connected-via" data-via="${session.connectedVia}">${
          session.connectedVia === 'classic'
            ? 'Connected without enterprise-managed authorization: the classic MCP flow, approved on the consent screen.'
            : 'Connected with enterprise-managed authorization: an ID-JAG from Acme SSO, no consent screen.'
        }</p>`
  return `<section class="card">
    <h2>Tasks tools</h2>
    ${via}
    <form method="post" action="/call-tool" data-live>
      <label for="tool">Tool</label><select id="tool" name="tool">${options}</select>
      <label for="title">Task title</label><input id="title" name="title" type="text" placeholder="e.g. Prepare the demo">
      <button type="submit">Call tool</button>
    </form>
    ${result}
  </section>`
}

function renderSteps(steps: Step[]): string {
  if (steps.length === 0) return '<ol id="steps"></ol>'
  return `<h2>What happened, step by step (JSON)</h2><ol id="steps">${steps.map(renderStep).join('')}</ol>`
}

function renderStep(step: Step): string {
  const parts = [`<h3>${escapeHtml(step.title)}${step.status === 'error' ? ' — refused' : ''}</h3>`]
  if (step.request !== undefined) {
    parts.push(
      `<div><strong>${escapeHtml(step.request.method)}</strong> <code>${escapeHtml(step.request.url)}</code></div>`,
    )
    if (step.request.headers !== undefined)
      parts.push(`<pre>${escapeHtml(formatMap(step.request.headers, ': '))}</pre>`)
    if (step.request.params !== undefined) parts.push(`<pre>${escapeHtml(formatMap(step.request.params, '='))}</pre>`)
  }
  if (step.response !== undefined) {
    parts.push(`<div>Response: <strong>HTTP ${step.response.status}</strong></div>`)
    if (step.response.body !== undefined)
      parts.push(`<pre>${escapeHtml(JSON.stringify(step.response.body, null, 2))}</pre>`)
  }
  for (const token of step.tokens ?? []) {
    parts.push(`<div><strong>${escapeHtml(token.label)}</strong> (decoded, not verified)</div>
      <div class="tokens"><pre>${escapeHtml(JSON.stringify(token.header, null, 2))}</pre><pre>${escapeHtml(JSON.stringify(token.claims, null, 2))}</pre></div>`)
  }
  if (step.notes !== undefined && step.notes.length > 0)
    parts.push(`<ul>${step.notes.map((note) => `<li>${escapeHtml(note)}</li>`).join('')}</ul>`)
  return `<li data-testid="step" data-status="${step.status}">${parts.join('\n')}</li>`
}

function formatMap(map: Record<string, string>, separator: string): string {
  return Object.entries(map)
    .map(([name, value]) => `${name}${separator}${value}`)
    .join('\n')
}
