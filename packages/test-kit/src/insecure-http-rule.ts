import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'

export interface InsecureHttpRuleOptions {
  /** The role, in the test titles: `IdP`, `authorization server` … */
  role: string
  /** The role's `loadConfig` (or the agent CLI's `loadAgentConfig`). */
  loadConfig: (env: Record<string, string | undefined>) => unknown
  /**
   * A configuration the role accepts without ALLOW_INSECURE_HTTP: every URL https, plus whatever
   * else it needs to start (a key, a secret). Each row changes one variable of it.
   */
  secureEnv: Record<string, string>
  /** The URL variables this role reads, each with a plain-http loopback URL it accepts with the switch on. */
  loopbackUrls: Record<string, string>
  /**
   * The role's `src/main.ts` (an absolute path), for a server role: it is started once with the first
   * variable on a non-loopback http host, and must stop with its one `cannot start:` line and exit
   * code 1, never a stack trace.
   */
  main?: string
}

/** A non-loopback host, in place of the loopback one: `http://localhost:4001/x` → `http://idp.internal:4001/x`. */
function awayFromLoopback(href: string): string {
  const url = new URL(href)
  url.hostname = 'idp.internal'
  return url.href
}

/**
 * SEC-01, CL-48 (decision 0024): the one insecure-http rule, run against a role's `loadConfig`, one
 * row per URL variable. With `ALLOW_INSECURE_HTTP=true` a loopback http URL is accepted and any
 * other http host is refused, with the same message at every role and no advice to set the switch
 * that is set; without the switch, http is refused with a message that says to set it.
 */
export function insecureHttpRule(options: InsecureHttpRuleOptions): void {
  const { role, loadConfig, secureEnv } = options
  const refusedWith = (env: Record<string, string>, message: RegExp) =>
    assert.throws(
      () => loadConfig(env),
      (error: unknown) => {
        assert.ok(error instanceof TypeError, `a TypeError, not ${String(error)}`)
        assert.match(error.message, message)
        return true
      },
    )
  test(`SEC-01 CL-48 the ${role} accepts the secure configuration without ALLOW_INSECURE_HTTP`, () => {
    assert.doesNotThrow(() => loadConfig(secureEnv))
  })
  const [first] = Object.entries(options.loopbackUrls)
  if (options.main !== undefined && first !== undefined) {
    const main = options.main
    test(`SEC-01 the ${role}'s main.ts stops on a non-loopback http ${first[0]} with one start-up line and exit code 1, no stack trace`, () => {
      const run = spawnSync(process.execPath, [main], {
        env: {
          PATH: process.env.PATH,
          ...secureEnv,
          ALLOW_INSECURE_HTTP: 'true',
          [first[0]]: awayFromLoopback(first[1]),
        },
        encoding: 'utf8',
        timeout: 30_000,
      })
      const output = run.stdout + run.stderr
      assert.equal(run.status, 1, output)
      assert.match(output, new RegExp(`cannot start: ${first[0]} is plain http to idp\\.internal`))
      assert.doesNotMatch(output, /\n\s+at /)
    })
  }
  for (const [name, loopback] of Object.entries(options.loopbackUrls)) {
    const away = awayFromLoopback(loopback)
    test(`SEC-01 CL-48 the ${role}'s ${name}: http to loopback with ALLOW_INSECURE_HTTP=true only, else refused in one line`, () => {
      assert.doesNotThrow(() => loadConfig({ ...secureEnv, ALLOW_INSECURE_HTTP: 'true', [name]: loopback }))
      refusedWith(
        { ...secureEnv, ALLOW_INSECURE_HTTP: 'true', [name]: away },
        new RegExp(
          `^${name} is plain http to idp\\.internal(:\\d+)?, which is not a loopback host: ALLOW_INSECURE_HTTP=true allows http only to localhost, 127\\.x\\.x\\.x and \\[::1\\]; use https$`,
        ),
      )
      refusedWith(
        { ...secureEnv, [name]: loopback },
        new RegExp(
          `^${name} is plain http \\(http://[^)]+\\): use https, or set ALLOW_INSECURE_HTTP=true for a local demo`,
        ),
      )
    })
  }
}
