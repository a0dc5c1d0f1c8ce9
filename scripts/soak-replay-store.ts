/**
 * `npm run soak:replay-store`: issue 11's proof that the in-memory replay store, at a steady
 * redemption rate, neither refuses valid ID-JAGs nor grows without bound. It records fresh `jti`s at
 * SOAK_RATE per second for SOAK_SECONDS, each kept until its `exp` + skew as the jwt-bearer grant keeps
 * them (AS-23), and prints the live entries, the heap and the refusals every SOAK_REPORT_SECONDS. After
 * the first (lifetime + skew) the entries and the heap level off. Figures, not assertions; it exits 1
 * only if a valid id was refused or a replay was accepted.
 *
 * The defaults compress time (a 30 s ID-JAG, 30 s of skew, 150 s of run) so that it finishes in under
 * three minutes; `SOAK_LIFETIME_SECONDS=600 SOAK_SECONDS=1500` runs the real default lifetime. The heap
 * is measured after a full garbage collection when node runs with --expose-gc, as the npm script does.
 */
import { InMemoryReplayStore } from '@ema/tokens'

function setting(name: string, fallback: number): number {
  const raw = process.env[name]
  const value = raw === undefined || raw === '' ? fallback : Number(raw)
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`${name}=${raw}: expected a positive number`)
    process.exit(2)
  }
  return value
}

const RATE = setting('SOAK_RATE', 3000)
const SECONDS = setting('SOAK_SECONDS', 150)
const LIFETIME = setting('SOAK_LIFETIME_SECONDS', 30)
const SKEW = setting('SOAK_SKEW_SECONDS', 30)
const REPORT = setting('SOAK_REPORT_SECONDS', 10)
// The sizing rule of REPLAY_STORE_MAX_ENTRIES: rate × (lifetime + skew + the 10 s between sweeps), with 25 % room.
const CAPACITY = Math.ceil(RATE * (LIFETIME + SKEW + 10) * 1.25)

let warned = ''
const store = new InMemoryReplayStore({
  maxEntries: CAPACITY,
  onNearlyFull: (size, max) => {
    warned = `warned at ${size} of ${max}`
  },
})

console.log(
  `replay store soak: ${RATE} ids/s for ${SECONDS} s, each live ${LIFETIME} s + ${SKEW} s skew, capacity ${CAPACITY}`,
)
console.log('   t (s)   live entries   heap used (MB)   recorded   refused   replays accepted')
const started = Date.now()
let recorded = 0
let refused = 0
let replaysAccepted = 0
let nextReport = REPORT
let sequence = 0
while ((Date.now() - started) / 1000 < SECONDS) {
  const tickStart = Date.now()
  // One 10 ms tick's worth of redemptions, then one replay of the newest id.
  const batch = Math.max(1, Math.round(RATE / 100))
  for (let i = 0; i < batch; i++) {
    const expiresAt = new Date(Date.now() + (LIFETIME + SKEW) * 1000)
    try {
      if (await store.markUsed(`https://idp.example jti-${sequence++}`, expiresAt)) recorded++
    } catch {
      refused++
    }
  }
  if (await store.markUsed(`https://idp.example jti-${sequence - 1}`, new Date(Date.now() + 60_000))) replaysAccepted++
  const elapsed = (Date.now() - started) / 1000
  if (elapsed >= nextReport) {
    nextReport += REPORT
    // With --expose-gc (npm run soak:replay-store), the heap is measured after a full collection.
    ;(globalThis as { gc?: () => void }).gc?.()
    const heap = process.memoryUsage().heapUsed / 2 ** 20
    console.log(
      `${elapsed.toFixed(0).padStart(8)}   ${String(store.size).padStart(12)}   ${heap.toFixed(1).padStart(14)}   ${String(recorded).padStart(8)}   ${String(refused).padStart(7)}   ${String(replaysAccepted).padStart(16)}`,
    )
  }
  const wait = 10 - (Date.now() - tickStart)
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
}
console.log(
  `steady state expected at about ${Math.round(RATE * (LIFETIME + SKEW))} live entries (rate × (lifetime + skew)) plus up to 10 s of expired ones awaiting the sweep. ${warned === '' ? 'No 80 % warning.' : warned}`,
)
process.exit(refused === 0 && replaysAccepted === 0 ? 0 : 1)
