import { createHash, randomBytes } from 'node:crypto'
import { z } from 'zod'
import {
  AccessDeniedError,
  TemporarilyUnavailableError,
  verifyIdToken,
  WELL_KNOWN,
  type IdTokenClaims,
  type IssuerKeys,
} from '@ema/tokens'
import { describeCause, type Logger } from '@ema/server-kit'
import type { SignInIdp } from '../config.ts'

export interface SignInAtIdpDeps {
  signInIdp: SignInIdp
  /** The trusted IdPs' key sets: the sign-in IdP's is the one its ID tokens are verified with. */
  issuerKeys: IssuerKeys
  fetch: typeof fetch
  now: () => Date
  clockSkewSeconds: number
  log: Logger
}

/** What a sign-in at the IdP needs to remember until the IdP sends the browser back (never sent to the client). */
export interface SignInRequest {
  state: string
  nonce: string
  codeVerifier: string
}

/** The IdP's authorization response, as it reached our redirect URI (RFC 6749 §4.1.2, §4.1.2.1; RFC 9207). */
export interface SignInResponse {
  code?: string
  error?: string
  error_description?: string
  iss?: string
}

/**
 * This authorization server as an OIDC relying party of the enterprise IdP (decision 0050): the
 * authorization code flow with PKCE S256, `state` and `nonce` (SEC-08), the code redeemed with
 * `client_secret_basic`, the ID token verified with `@ema/tokens`' `verifyIdToken` against the IdP's
 * JWKS (the trusted IdP's key set), and the `nonce` compared.
 */
export interface SignInAtIdp {
  /** A fresh state, nonce and PKCE verifier, and the IdP authorization URL carrying them. */
  start(options?: { forceLogin?: boolean }): Promise<{ request: SignInRequest; authorizationUrl: string }>
  /**
   * Checks the IdP's response and redeems its code.
   *
   * @throws {AccessDeniedError} the IdP did not sign the user in (its `error`), the response came from
   *   another issuer (RFC 9207 `iss`), or the ID token failed verification; the cause is logged only.
   * @throws {TemporarilyUnavailableError} the IdP's metadata or token endpoint could not be used.
   */
  finish(request: SignInRequest, response: SignInResponse): Promise<IdTokenClaims>
}

/** OIDC Discovery §3: the members this relying party uses. */
const IdpMetadata = z.object({
  issuer: z.string(),
  authorization_endpoint: z.url(),
  token_endpoint: z.url(),
  authorization_response_iss_parameter_supported: z.boolean().optional(),
})
type IdpMetadata = z.infer<typeof IdpMetadata>

const TokenResponse = z.object({ id_token: z.string().min(1) })

const TIMEOUT_MS = 10_000

export function signInAtIdp(deps: SignInAtIdpDeps): SignInAtIdp {
  const { signInIdp } = deps
  let metadata: IdpMetadata | undefined

  /** The IdP's OpenID configuration, fetched on first use (so the AS starts without the IdP) and kept once valid. */
  async function idpMetadata(): Promise<IdpMetadata> {
    if (metadata !== undefined) return metadata
    const url = `${signInIdp.issuer.replace(/\/$/, '')}${WELL_KNOWN.OPENID_CONFIGURATION}`
    let json: unknown
    try {
      const response = await deps.fetch(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(TIMEOUT_MS),
        redirect: 'error',
      })
      if (response.status !== 200) throw new Error(`HTTP ${response.status}`)
      json = await response.json()
    } catch (cause) {
      throw new TemporarilyUnavailableError(
        'the enterprise IdP cannot be reached to sign the user in; try again later',
        { cause },
      )
    }
    const parsed = IdpMetadata.safeParse(json)
    // OIDC Discovery §4.3: the issuer in the document must be the one it was fetched for.
    if (!parsed.success || parsed.data.issuer !== signInIdp.issuer) {
      throw new TemporarilyUnavailableError(
        'the enterprise IdP published unusable OpenID configuration; the sign-in cannot start',
        {
          cause: new Error(
            parsed.success ? `issuer ${parsed.data.issuer} is not ${signInIdp.issuer}` : parsed.error.message,
          ),
        },
      )
    }
    metadata = parsed.data
    return metadata
  }

  return {
    async start(options = {}) {
      const { authorization_endpoint: endpoint } = await idpMetadata()
      const request: SignInRequest = { state: random(), nonce: random(), codeVerifier: random() }
      const url = new URL(endpoint)
      url.search = new URLSearchParams({
        client_id: signInIdp.clientId,
        response_type: 'code',
        redirect_uri: signInIdp.redirectUri,
        scope: 'openid',
        state: request.state, // SEC-08
        nonce: request.nonce, // SEC-08
        code_challenge: createHash('sha256').update(request.codeVerifier).digest('base64url'), // RFC 7636 S256
        code_challenge_method: 'S256',
        ...(options.forceLogin === true ? { prompt: 'login' } : {}),
      }).toString()
      return { request, authorizationUrl: url.href }
    },

    async finish(request, response) {
      const idp = await idpMetadata()
      if (response.error !== undefined) {
        throw new AccessDeniedError(`the enterprise IdP did not sign the user in (${response.error})`, {
          cause: new Error(response.error_description ?? response.error),
        })
      }
      // RFC 9207 §2.4: the response must come from the IdP the request went to (mix-up defence).
      if (
        response.iss !== undefined
          ? response.iss !== signInIdp.issuer
          : idp.authorization_response_iss_parameter_supported === true
      ) {
        throw new AccessDeniedError(
          'the sign-in response did not come from the enterprise IdP it was sent to (RFC 9207 iss)',
        )
      }
      if (response.code === undefined) throw new AccessDeniedError('the enterprise IdP sent no authorization code')
      const idToken = await redeemCode(idp.token_endpoint, response.code, request.codeVerifier)
      const keys = deps.issuerKeys(signInIdp.issuer)
      if (keys === undefined) throw new TemporarilyUnavailableError('the enterprise IdP has no key set configured')
      let claims: IdTokenClaims
      try {
        claims = await verifyIdToken(idToken, {
          issuer: signInIdp.issuer,
          keys,
          audience: signInIdp.clientId,
          now: deps.now(),
          clockSkewSeconds: deps.clockSkewSeconds,
          nonce: request.nonce, // OIDC Core §3.1.3.7 item 11: tied to this sign-in (replay defence)
        })
      } catch (cause) {
        throw new AccessDeniedError("the enterprise IdP's ID token failed verification", { cause })
      }
      return claims
    },
  }

  async function redeemCode(tokenEndpoint: string, code: string, codeVerifier: string): Promise<string> {
    const body = new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: signInIdp.redirectUri,
      code_verifier: codeVerifier,
    })
    let status: number
    let json: unknown
    try {
      const response = await deps.fetch(tokenEndpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          // RFC 6749 §2.3.1: form-encoded id and secret, then Basic.
          authorization: `Basic ${Buffer.from(`${formEncode(signInIdp.clientId)}:${formEncode(signInIdp.clientSecret)}`).toString('base64')}`,
        },
        body,
        signal: AbortSignal.timeout(TIMEOUT_MS),
        redirect: 'error',
      })
      status = response.status
      json = await response.json().catch(() => undefined)
    } catch (cause) {
      throw new TemporarilyUnavailableError("the enterprise IdP's token endpoint cannot be reached; try again later", {
        cause,
      })
    }
    const parsed = TokenResponse.safeParse(json)
    if (status !== 200 || !parsed.success) {
      const error = typeof json === 'object' && json !== null && 'error' in json ? String(json.error) : `HTTP ${status}`
      deps.log.warn('the IdP refused the sign-in code', {
        idp: signInIdp.issuer,
        status,
        error,
        cause: describeCause(parsed.success ? undefined : parsed.error),
      })
      throw new AccessDeniedError(`the enterprise IdP refused to redeem the sign-in (${error})`)
    }
    return parsed.data.id_token
  }
}

function random(): string {
  return randomBytes(32).toString('base64url')
}

function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+')
}
