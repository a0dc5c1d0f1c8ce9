import { decodeJwt, decodeProtectedHeader, type JWTPayload, type ProtectedHeaderParameters } from 'jose'

/**
 * Decodes a JWT's header and claims **without verifying anything**, for display (the client app's
 * step-by-step view). Never base a decision on the result. Returns `undefined` for a malformed JWT.
 */
export function inspectJwt(token: string): { header: ProtectedHeaderParameters; claims: JWTPayload } | undefined {
  try {
    return { header: decodeProtectedHeader(token), claims: decodeJwt(token) }
  } catch {
    return undefined
  }
}
