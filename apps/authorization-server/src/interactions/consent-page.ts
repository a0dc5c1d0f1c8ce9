import { escapeHtml } from '@ema/server-kit'
/** What the consent screen shows: who asks, for which MCP server, which scopes, on whose behalf. */
export interface ConsentPageOptions {
  /** Where the form posts. */
  action: string
  csrfToken: string
  /** The client's `client_name`, else its client_id. */
  clientName: string
  clientId: string
  /** The MCP servers (resource identifiers) and the scopes asked for each. */
  resources: ReadonlyArray<{ resource: string; scopes: readonly string[] }>
  /** The signed-in user: the IdP's own identifier and the IdP. */
  user: { idpSub: string; idp: string }
}

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#1f2937}
      h1{font-size:1.4rem}code{background:#f3f4f6;padding:0 .25rem;border-radius:.2rem}
      ul{padding-left:1.25rem}.actions{display:flex;gap:.75rem;margin-top:1.5rem}
      button{padding:.6rem 1.5rem;font-size:1rem;border-radius:.25rem;cursor:pointer;border:1px solid #1d4ed8}
      .approve{background:#1d4ed8;color:#fff}.deny{background:#fff;color:#1d4ed8}.note{color:#6b7280;font-size:.9rem}`

/**
 * The consent screen of the authorization code flow (decision 0050): server-rendered, every value
 * HTML-escaped, one form with a CSRF token (SEC-08) and two buttons, Approve and Deny. This is the
 * screen Enterprise-Managed Authorization avoids: there the enterprise's IdP policy decides (AS-34).
 */
export function renderConsentPage(options: ConsentPageOptions): string {
  const resources = options.resources
    .map(
      (entry) => `
        <li>MCP server <code>${escapeHtml(entry.resource)}</code>
          <ul>${entry.scopes.map((scope) => `<li><code>${escapeHtml(scope)}</code></li>`).join('')}</ul>
        </li>`,
    )
    .join('')
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Authorize ${escapeHtml(options.clientName)} – MCP authorization server</title>
    <style>${STYLE}</style>
  </head>
  <body>
    <main>
      <h1>Authorize <strong>${escapeHtml(options.clientName)}</strong>?</h1>
      <p><strong>${escapeHtml(options.clientName)}</strong> (client <code>${escapeHtml(options.clientId)}</code>) asks to act on your behalf at:</p>
      <ul>${resources}
      </ul>
      <p class="note">Signed in as <code>${escapeHtml(options.user.idpSub)}</code> at ${escapeHtml(options.user.idp)}.</p>
      <form method="post" action="${escapeHtml(options.action)}" data-consent>
        <input type="hidden" name="csrf" value="${escapeHtml(options.csrfToken)}">
        <div class="actions">
          <button class="approve" type="submit" name="decision" value="approve">Approve</button>
          <button class="deny" type="submit" name="decision" value="deny">Deny</button>
        </div>
      </form>
    </main>
  </body>
</html>`
}

/**
 * The page shown when an interaction cannot go on (expired, unknown, another browser's, a refused
 * form post) and no client can be told: the status, a sentence a person can act on, no internals.
 */
export function renderInteractionErrorPage(options: { status: number; message: string }): string {
  return `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8"><title>MCP authorization server: cannot continue</title><style>${STYLE}</style></head>
  <body>
    <main>
      <h1>MCP authorization server</h1>
      <p role="alert">This authorization cannot continue (HTTP ${options.status}): ${escapeHtml(options.message)}</p>
      <p>Go back to the application and start again.</p>
    </main>
  </body>
</html>`
}

/** An OAuth error at the authorization endpoint that cannot be sent to a redirect URI (RFC 6749 §4.1.2.1). */
export function renderAuthorizationErrorPage(options: { status: number; error: string; description?: string }): string {
  return renderInteractionErrorPage({
    status: options.status,
    message: `${options.error}${options.description === undefined ? '' : `: ${options.description}`}`,
  })
}
