import type { Row } from '../row.ts'
import { ROW } from '../rows/row-names.ts'

/**
 * Our rows next to the peers of the same run; `goal` is issue 11's target ratio, where it sets one.
 * The MCP goal (≥ 0.9× the SDK server without auth) is judged against peers doing the same work
 * (decision 0070): `whoami` beside the SDK server whose tool makes the same Tasks API call, and `ping`
 * (no tool, no downstream) beside the SDK server's `ping`. The peers whose tool answers from memory stay,
 * as `note`d comparisons of unlike work.
 */
const COMPARISONS: Array<{ ours: string; peer: string; goal?: number; note?: string }> = [
  { ours: ROW.redeem, peer: ROW.peerJwtBearer, goal: 1.0 },
  { ours: ROW.redeem, peer: ROW.peerClientCredentials },
  { ours: ROW.exchange, peer: ROW.peerJwtBearer, goal: 0.9 },
  { ours: ROW.exchange, peer: ROW.peerClientCredentials },
  { ours: ROW.whoami, peer: ROW.peerMcpDownstream, goal: 0.9 },
  { ours: ROW.ping, peer: ROW.peerMcpPing, goal: 0.9 },
  { ours: ROW.ping, peer: ROW.peerMcpBearerPing },
  { ours: ROW.whoami, peer: ROW.peerMcp, note: 'unlike work: the peer makes no downstream call' },
  { ours: ROW.whoami, peer: ROW.peerMcpBearer, note: 'unlike work: the peer makes no downstream call' },
]

/** The ratio of each of our rows to each peer (req/s over req/s), and whether issue 11's goals are met. */
export function printComparisons(rows: readonly Row[]): void {
  console.log('ratios to the peers (req/s of ours over req/s of the peer, same run, interleaved):')
  for (const { ours, peer, goal, note } of COMPARISONS) {
    const a = rows.find((row) => row.name === ours)?.result.perSecond
    const b = rows.find((row) => row.name === peer)?.result.perSecond
    if (a === undefined || b === undefined || b === 0) continue
    const value = a / b
    const verdict =
      goal === undefined
        ? note === undefined
          ? ''
          : `  (${note})`
        : `  (goal ≥ ${goal.toFixed(2)}×: ${value >= goal ? 'met' : 'NOT met'})`
    console.log(`  ${ours.padEnd(36)} / ${peer.padEnd(40)} ${value.toFixed(2)}×${verdict}`)
  }
}
