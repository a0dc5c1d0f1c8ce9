import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto'
import { performance } from 'node:perf_hooks'

/**
 * A yardstick for reading the table: how long one ES256 signature and one verification take with
 * node:crypto in this process (one core, synchronously, on a token-sized input). The servers sign
 * and verify through jose, which adds its own work around the same operations.
 */
export function es256Yardstick(seconds: number): { signMs: number; verifyMs: number } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const input = Buffer.from(randomBytes(450).toString('base64url'))
  const signature = sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' })
  const time = (operation: () => void): number => {
    let count = 0
    const start = performance.now()
    const end = start + seconds * 1000
    while (performance.now() < end) {
      operation()
      count++
    }
    return (performance.now() - start) / count
  }
  return {
    signMs: time(() => sign('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' })),
    verifyMs: time(() => {
      if (!verify('sha256', input, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature))
        throw new Error('ES256 yardstick: verification failed')
    }),
  }
}
