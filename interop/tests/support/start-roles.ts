import { fileURLToPath } from 'node:url'
import {
  demoWorldEnv,
  demoWorldRoles,
  demoWorldUrls,
  ensureDemoPki,
  startRoles as startDemoRoles,
  type RunningRoles,
} from '@ema/demo-kit'

export type { RunningRoles }

/**
 * The URLs every role derives its configuration from (docs/demo-world.md), on ports 5200-5204:
 * away from e2e (5100-5104) and `npm start` (3000, 4001-4003). Nothing listens at the client URL;
 * it only makes the IdP's redirect URI `${client}/callback`.
 */
export const urls = demoWorldUrls(5200)

/**
 * The demo PKI (`.demo/pki/`, made once per checkout, as `npm start` makes it): the AS serves its mTLS
 * alias on 5212 and the MCP server authenticates there with its certificate (RFC 8705 tls_client_auth).
 */
export const pki = await ensureDemoPki(fileURLToPath(new URL('../../../.demo/pki/', import.meta.url)))

/**
 * Starts the IdP, the authorization server, the Tasks API and the MCP server, each as its own process
 * (`node src/main.ts` in `apps/<role>`, as e2e/playwright.config.ts does), and waits until each
 * one's metadata URL answers 200. Roles talk to the test over HTTP only: nothing of theirs is imported.
 *
 * @param extraEnv added to every role's environment.
 */
export function startRoles(extraEnv: Record<string, string> = {}): Promise<RunningRoles> {
  return startDemoRoles(demoWorldRoles(urls), { env: roleEnv(extraEnv) })
}

/** The environment every role gets (a test reads the MCP server's TOKEN_EXCHANGE_* from it to exchange as the MCP server would). */
export function roleEnv(extraEnv: Record<string, string> = {}): NodeJS.ProcessEnv {
  return demoWorldEnv(process.env, urls, extraEnv, pki)
}
