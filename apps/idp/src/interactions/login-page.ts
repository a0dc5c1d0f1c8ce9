import { escapeHtml } from '@ema/server-kit'
import type { DirectoryUser } from '../config.ts'

export interface LoginPageOptions {
  /** Where the form posts. */
  action: string
  /** The client asking for the sign-in, shown to the user. */
  clientId: string
  users: readonly DirectoryUser[]
  /** Shown above the form after a failed attempt. */
  error?: string
  /** Pre-fills the username after a failed attempt. */
  username?: string
}

/** The Acme SSO sign-in page. Demo IdP: it lists the demo users and their passwords. */
export function renderLoginPage(options: LoginPageOptions): string {
  const error = options.error === undefined ? '' : `<p class="error" role="alert">${escapeHtml(options.error)}</p>`
  const rows = options.users
    .map(
      (user) =>
        `<tr><td>${escapeHtml(user.username)}</td><td><code>${escapeHtml(user.password)}</code></td><td>${escapeHtml(user.name)}</td><td>${escapeHtml(user.groups.join(', ') || '(none)')}${user.administrator === true ? ' · administrator (<a href="/admin">admin console</a>)' : ''}</td></tr>`,
    )
    .join('\n          ')
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Sign in – Acme SSO</title>
    <style>
      body { font-family: system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem; color: #1f2937; }
      h1 { font-size: 1.5rem; }
      label { display: block; margin-top: 1rem; font-weight: 600; }
      input { width: 100%; padding: .5rem; font-size: 1rem; box-sizing: border-box; }
      button { margin-top: 1.25rem; padding: .6rem 1.5rem; font-size: 1rem; background: #1d4ed8; color: white; border: 0; border-radius: .25rem; cursor: pointer; }
      .error { color: #b91c1c; font-weight: 600; }
      table { border-collapse: collapse; margin-top: .5rem; width: 100%; }
      th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid #e5e7eb; }
      .note { color: #6b7280; font-size: .9rem; }
    </style>
  </head>
  <body>
    <main>
      <h1>Acme SSO</h1>
      <p>Sign in to continue to <strong>${escapeHtml(options.clientId)}</strong>.</p>
      ${error}
      <form method="post" action="${escapeHtml(options.action)}">
        <label for="username">Username</label>
        <input id="username" name="username" autocomplete="username" required autofocus value="${escapeHtml(options.username ?? '')}">
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required>
        <button type="submit">Sign in</button>
      </form>
      <section>
        <h2>Demo users</h2>
        <p class="note">This is a demo IdP, so the passwords are shown here.</p>
        <table>
          <thead><tr><th>Username</th><th>Password</th><th>Name</th><th>Groups</th></tr></thead>
          <tbody>
          ${rows}
          </tbody>
        </table>
      </section>
    </main>
  </body>
</html>`
}

/**
 * The page shown when sign-in cannot go on (an expired or unknown interaction, a bad form post):
 * the status, a sentence a person can act on, and no stack trace or internals.
 */
export function renderSignInErrorPage(options: { status: number; message: string }): string {
  return `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8"><title>Acme SSO: sign-in cannot continue</title>
    <style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1b2330}</style></head>
  <body>
    <h1>Acme SSO</h1>
    <p role="alert">Sign-in cannot continue (HTTP ${options.status}): ${escapeHtml(options.message)}</p>
    <p>Go back to the application and start signing in again.</p>
  </body>
</html>`
}
