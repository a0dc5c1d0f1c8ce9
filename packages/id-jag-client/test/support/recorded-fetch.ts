import { type Exchange, recordTraffic } from '../../src/record-traffic.ts'

/** `fetch` recorded as `runChain` wires it for an observer: every exchange, redacted, goes to `exchanges`. */
export function recordedFetch(exchanges: Exchange[]): typeof fetch {
  return recordTraffic(fetch, (exchange) => exchanges.push(exchange))
}
