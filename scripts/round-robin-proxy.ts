// A stand-in for a load balancer (compose.yaml): PROXY_PORT → each of PROXY_TARGETS (ports on
// localhost) in turn; see startRoundRobinProxy in @ema/demo-kit. Not for production.
import { startRoundRobinProxy } from '@ema/demo-kit'

const port = Number(process.env.PROXY_PORT)
const targets = (process.env.PROXY_TARGETS ?? '')
  .split(',')
  .map((target) => Number(target.trim()))
  .filter((target) => target > 0)
if (!(port > 0) || targets.length === 0) {
  console.error('set PROXY_PORT and PROXY_TARGETS (comma-separated ports on localhost)')
  process.exit(1)
}
const proxy = await startRoundRobinProxy({ port, targets })
console.log(`round robin on http://localhost:${port} over ${targets.join(', ')}`)
const stop = () => void proxy.close().then(() => process.exit(0))
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
