import type { Exchange } from './record-traffic.ts'

/** A kept access token the chain reuses instead of an exchange (CL-43, CL-44): no request is made for it. */
export interface ReusedAccessToken {
  /** The issuer of the authorization server that issued it, and the resource it is for. */
  authorizationServer: string
  resource: string
  /** Seconds until it expires, at the time of reuse. */
  expiresIn: number
  grantedScope: string | undefined
}

/**
 * Who watches the chain: every exchange through the injected `fetch`, already redacted by
 * `recordTraffic` (CL-34), the one decision that makes no request, and the end of each operation (a
 * `runChain` run, a `callMcpTool` call).
 *
 * Does NOT name or format anything: what the traffic is shown as is the observer's business.
 */
export interface TrafficObserver {
  exchange(exchange: Exchange): void
  reusedAccessToken?(token: ReusedAccessToken): void
  /** An operation ended: whatever waits for a next exchange is complete as it stands. */
  flush?(): void
}
