import {
  type ClientRegistration,
  discoverAuthorizationServer,
  discoverProtectedResource,
  FlowError,
  IdJagOAuthClientProvider,
  type IdpTokenEndpoint,
  redeemIdJag,
  requestIdJag,
} from '@ema/id-jag-client'
import type { ChainConfig, DemoAttackWorld } from './config.ts'
import type { LifelineId } from './sequence-arrow.ts'

/**
 * The "Break it" panel: each entry replays the chain with one thing wrong, so that the audience sees
 * which role refuses and why. Acme Agent builds the bad request (only with CLIENT_DEMO_ATTACKS=true);
 * the role under attack answers as it would answer anyone. Data first, so the page, the docs and the
 * tests read the same catalogue.
 */
export interface DemoAttack {
  id: string
  /** The button's words. */
  label: string
  /** What is wrong, in plain words. */
  what: string
  /** The role expected to refuse, and its OAuth error code. */
  refusedBy: LifelineId
  error: string
  /** The rule that refuses it (docs/requirements.md). */
  requirement: string
  /** Why the refusal matters. */
  why: string
}

export const DEMO_ATTACKS: readonly DemoAttack[] = [
  {
    id: 'replayed-id-jag',
    label: 'Replay an ID-JAG',
    what: 'Acme Agent redeems the same ID-JAG twice.',
    refusedBy: 'as',
    error: 'invalid_grant',
    requirement: 'AS-23',
    why: 'An ID-JAG is single use: the authorization server remembers its jti until it expires, so a stolen, already used ID-JAG is worthless.',
  },
  {
    id: 'expired-id-jag',
    label: 'Expired ID-JAG',
    what: 'Acme Agent presents an ID-JAG that expired (Acme SSO issued it as if 15 minutes ago: IDP_DEMO_ATTACKS).',
    refusedBy: 'as',
    error: 'invalid_grant',
    requirement: 'AS-20',
    why: 'ID-JAGs live minutes, not hours; past exp (plus a small clock skew) the authorization server refuses it.',
  },
  {
    id: 'other-audience',
    label: 'ID-JAG for another authorization server',
    what: "Acme Agent presents an ID-JAG that Acme SSO issued for a partner's authorization server.",
    refusedBy: 'as',
    error: 'invalid_grant',
    requirement: 'AS-17',
    why: "aud must be exactly this authorization server's issuer: a token meant for someone else cannot be replayed here.",
  },
  {
    id: 'other-client',
    label: "Another client's ID-JAG",
    what: 'Another registered client (other-agent) presents the ID-JAG that Acme SSO issued to Acme Agent.',
    refusedBy: 'as',
    error: 'invalid_grant',
    requirement: 'AS-18',
    why: "The ID-JAG's client_id must name the client that authenticated the request: a leaked ID-JAG is useless to any other client.",
  },
  {
    id: 'other-resource-token',
    label: 'Token for another MCP server',
    what: 'Acme Agent calls Tasks with an access token issued for the Calendar MCP server.',
    refusedBy: 'mcp',
    error: 'invalid_token',
    requirement: 'RS-09',
    why: 'Access tokens are audience-restricted: Tasks accepts only tokens whose aud is its own resource identifier.',
  },
  {
    id: 'id-jag-as-bearer',
    label: 'ID-JAG as a bearer token',
    what: 'Acme Agent skips the authorization server and sends the ID-JAG itself to Tasks as a Bearer token.',
    refusedBy: 'mcp',
    error: 'invalid_token',
    requirement: 'RS-11',
    why: "The MCP server trusts only its own authorization server's access tokens (typ at+jwt); an ID-JAG is a grant, not an access token.",
  },
  {
    id: 'scope-not-allowed',
    label: 'A scope the policy does not allow',
    what: 'Acme Agent asks Acme SSO for tasks.admin, a scope no group is granted.',
    refusedBy: 'idp',
    error: 'access_denied',
    requirement: 'IDP-13',
    why: "The administrator's policy at the IdP decides who gets which scopes; nothing is granted beyond it.",
  },
  {
    id: 'refused-user',
    label: 'A user the policy refuses (carol)',
    what: 'Carol signs in (password carol-password) and Acme Agent runs the chain for her.',
    refusedBy: 'idp',
    error: 'access_denied',
    requirement: 'IDP-55',
    why: 'Carol is in no group the policy lets use Tasks: Acme SSO refuses the token exchange, no consent screen can override it.',
  },
  {
    id: 'forged-signature',
    label: 'Forged signature',
    what: 'Acme Agent alters the signature bytes of a real ID-JAG (to change a claim, an attacker would have to).',
    refusedBy: 'as',
    error: 'invalid_grant',
    requirement: 'AS-13',
    why: 'The signature must verify with a key of the issuing IdP; any change to the ID-JAG breaks it.',
  },
] as const

/** The attack that is a sign-in rather than a replay: the page starts a sign-in for carol. */
export const SIGN_IN_ATTACK = 'refused-user'

export function findAttack(id: string): DemoAttack | undefined {
  return DEMO_ATTACKS.find((attack) => attack.id === id)
}

export interface AttackContext {
  chain: ChainConfig
  world: DemoAttackWorld
  /** The recorded fetch: every request shows up in the diagram. */
  fetch: typeof fetch
  /** The signed-in user's ID token (the subject token). */
  idToken: string
  idp: () => Promise<IdpTokenEndpoint>
  idpName: string
}

/**
 * Replays the chain with one thing wrong. Resolves when nobody refused (which the page reports as a
 * failure of the demo), throws the refusing role's `FlowError` otherwise.
 */
export async function runAttack(attack: DemoAttack, context: AttackContext): Promise<void> {
  const { chain, world } = context
  const allowInsecureHttp = chain.allowInsecureHttp
  const protectedResource = await discoverProtectedResource({
    mcpServerUrl: chain.mcpServerUrl,
    expectedAuthorizationServer: chain.expectedAuthorizationServer,
    fetch: context.fetch,
    allowInsecureHttp,
  })
  const authorizationServer = await discoverAuthorizationServer({
    authorizationServer: protectedResource.authorizationServer,
    fetch: context.fetch,
    allowInsecureHttp,
  })
  const resource = protectedResource.metadata.resource
  const idp = await context.idp()

  const idJagFor = async (
    target: { audience?: string; resource?: string; scope?: string; fetch?: typeof fetch } = {},
  ): Promise<string> =>
    (
      await requestIdJag({
        tokenEndpoint: idp.tokenEndpoint,
        issuer: idp.issuer,
        authMethodsSupported: idp.authMethodsSupported,
        idpName: context.idpName,
        client: chain.idpClient,
        subjectToken: context.idToken,
        audience: target.audience ?? authorizationServer.issuer,
        resource: target.resource ?? resource,
        scope: target.scope ?? chain.scope,
        fetch: target.fetch ?? context.fetch,
        allowInsecureHttp,
      })
    ).assertion
  const redeem = (idJag: string, options: { client?: ClientRegistration; resource?: string; scope?: string } = {}) =>
    redeemIdJag(
      new IdJagOAuthClientProvider({
        authorizationServer: authorizationServer.issuer,
        resource: options.resource ?? resource,
        client: options.client ?? chain.authorizationServerClient,
        scope: options.scope ?? chain.scope,
        obtainIdJag: async () => idJag,
      }),
      { authorizationServer, fetch: context.fetch },
    )
  const callTasks = (bearer: string) => callMcpWithBearer(chain.mcpServerUrl, bearer, context.fetch)

  switch (attack.id) {
    case 'replayed-id-jag': {
      const idJag = await idJagFor()
      await redeem(idJag)
      await redeem(idJag)
      return
    }
    case 'expired-id-jag':
      await redeem(await idJagFor({ fetch: withFormParameter(context.fetch, 'demo_expired', 'true') }))
      return
    case 'other-audience':
      await redeem(
        await idJagFor({
          audience: world.otherAuthorizationServer.issuer,
          resource: world.otherAuthorizationServer.resource,
          scope: world.otherAuthorizationServer.scope,
        }),
      )
      return
    case 'other-client':
      await redeem(await idJagFor(), { client: world.otherClient })
      return
    case 'other-resource-token': {
      const token = await redeem(
        await idJagFor({ resource: world.otherMcpServer.resource, scope: world.otherMcpServer.scope }),
        { resource: world.otherMcpServer.resource, scope: world.otherMcpServer.scope },
      )
      await callTasks(token.access_token)
      return
    }
    case 'id-jag-as-bearer':
      await callTasks(await idJagFor())
      return
    case 'scope-not-allowed':
      await idJagFor({ scope: world.ungrantedScope })
      return
    case 'forged-signature':
      await redeem(alterSignature(await idJagFor()))
      return
    default:
      throw new FlowError('invalid_request', `"${attack.label}" is not replayed by the server`)
  }
}

/** A real JWS with one bit of its signature flipped: still well-formed, no longer valid. */
export function alterSignature(compact: string): string {
  const [header, payload, signature] = compact.split('.')
  if (header === undefined || payload === undefined || signature === undefined) throw new TypeError('not a compact JWS')
  const bytes = Buffer.from(signature, 'base64url')
  const middle = Math.floor(bytes.length / 2)
  bytes[middle] = (bytes[middle] ?? 0) ^ 0x01
  return `${header}.${payload}.${bytes.toString('base64url')}`
}

/** Adds one form parameter to token exchange requests (the demo-only `demo_expired`, which only IDP_DEMO_ATTACKS honours). */
function withFormParameter(fetchImpl: typeof fetch, name: string, value: string): typeof fetch {
  return (input, init) => {
    const body = init?.body
    if (body instanceof URLSearchParams) {
      const params = new URLSearchParams(body)
      params.set(name, value)
      return fetchImpl(input, { ...init, body: params })
    }
    return fetchImpl(input, init)
  }
}

/**
 * An MCP `initialize` with the given Bearer token, as any client could send it. A 401/403 becomes the
 * MCP server's refusal with the code from its `WWW-Authenticate` challenge.
 */
async function callMcpWithBearer(mcpServerUrl: string, bearer: string, fetchImpl: typeof fetch): Promise<void> {
  const response = await fetchImpl(mcpServerUrl, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${bearer}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'acme-agent-break-it', version: '0.1.0' },
      },
    }),
  })
  await response.body?.cancel()
  if (response.status < 400) return
  const challenge = response.headers.get('www-authenticate') ?? ''
  const error =
    /\berror="([^"]*)"/.exec(challenge)?.[1] ?? (response.status === 401 ? 'invalid_token' : 'access_denied')
  const description = /\berror_description="([^"]*)"/.exec(challenge)?.[1]
  throw new FlowError(
    error,
    `The Tasks MCP server refused the request (HTTP ${response.status}): ${description ?? error}`,
    { status: response.status, description, refusedBy: 'mcp_server' },
  )
}
