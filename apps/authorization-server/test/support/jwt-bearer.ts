import { clientSecretBasic, clientSecretPost, privateKeyJwt, type ClientAuthentication } from '@ema/demo-kit'
import { SignJWT, type JWTVerifyGetKey } from 'jose'
import {
  GRANT_TYPE,
  InMemoryReplayStore,
  JWT_TYP,
  generateSigningKey,
  publicJwks,
  remoteKeySet,
  signClientAssertion,
  type RemoteKeySetOptions,
  type ReplayStore,
  type SigningKey,
} from '@ema/tokens'
import { createLogger, listen, type Listening } from '@ema/server-kit'
import { loadConfig, type AuthorizationServerConfig } from '../../src/config.ts'
import { createAuthorizationServerApp } from '../../src/app.ts'
import { useForSuite } from '@ema/test-kit'

export const RESOURCE = 'http://localhost:4003/mcp'
export const CLIENT_ID = 'acme-agent-tasks'
export const CLIENT_SECRET = 'acme-agent-as-secret'
/** A second registration of the agent, authenticated by private_key_jwt (see {@link twoClientAuthentications}). */
export const PKJWT_CLIENT = 'acme-agent-tasks-pkjwt'

/** CLIENTS with the agent by client_secret_basic and {@link PKJWT_CLIENT} by private_key_jwt with `key`. */
export function twoClientAuthentications(key: SigningKey): string {
  return JSON.stringify([
    { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, token_endpoint_auth_method: 'client_secret_basic' },
    { client_id: PKJWT_CLIENT, token_endpoint_auth_method: 'private_key_jwt', jwks: publicJwks([key]) },
  ])
}

/** A stand-in IdP: a JWKS endpoint on an ephemeral port, and a signing key to mint ID-JAGs with. */
export interface TestIdp {
  issuer: string
  jwksUri: string
  key: SigningKey
  /** Its TRUSTED_IDPS `subject_namespace`; absent → the config default (the issuer). */
  subjectNamespace?: string
  /** Its TRUSTED_IDPS `client_ids`; absent → every client registered at the AS under test. */
  clientIds?: string[]
  close(): Promise<void>
}

export interface StartIdpOptions {
  issuerPath?: string
  jwksPath?: string
  subjectNamespace?: string
  clientIds?: string[]
}

/** Starts a JWKS server. `issuerPath` and `jwksPath` let it look like an IdP that is not ours. */
export async function startIdp(options: StartIdpOptions = {}): Promise<TestIdp> {
  const key = await generateSigningKey('ES256')
  const jwksPath = options.jwksPath ?? '/jwks'
  const l = await listen({ port: 0 }, (req, res) => {
    if (req.url === jwksPath) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(publicJwks([key])))
    } else {
      res.writeHead(404).end()
    }
  })
  return {
    issuer: l.url + (options.issuerPath ?? ''),
    jwksUri: l.url + jwksPath,
    key,
    ...(options.subjectNamespace === undefined ? {} : { subjectNamespace: options.subjectNamespace }),
    ...(options.clientIds === undefined ? {} : { clientIds: options.clientIds }),
    close: () => l.close(),
  }
}

export interface TestAs {
  url: string
  config: AuthorizationServerConfig
  logs: string[]
  close(): Promise<void>
}

export interface StartAsOptions {
  /** The authorization server's clock (default: the real one); the negative suites freeze it for the skew edges. */
  now?: () => Date
  /** Options for every trusted IdP's remote key set (the fault suite shortens cooldown and timeout). */
  keySetOptions?: Omit<RemoteKeySetOptions, 'allowInsecureHttp'>
  /** Default: a fresh InMemoryReplayStore. */
  replayStore?: ReplayStore
}

/** Starts the authorization server on an ephemeral port, trusting the given IdPs. */
export async function startAs(
  idps: TestIdp[],
  env: Record<string, string> = {},
  options: StartAsOptions = {},
): Promise<TestAs> {
  const l: Listening = await listen({ port: 0 })
  const [first] = idps
  const registered =
    env.CLIENTS === undefined
      ? [CLIENT_ID]
      : (JSON.parse(env.CLIENTS) as Array<{ client_id: string }>).map((client) => client.client_id)
  const config = loadConfig({
    AS_ISSUER: l.url,
    IDP_ISSUER: first?.issuer,
    RS_RESOURCE: RESOURCE,
    ALLOW_INSECURE_HTTP: 'true',
    TRUSTED_IDPS: JSON.stringify(
      idps.map((idp) => ({
        issuer: idp.issuer,
        jwks_uri: idp.jwksUri,
        ...(idp.subjectNamespace === undefined ? {} : { subject_namespace: idp.subjectNamespace }),
        client_ids: idp.clientIds ?? registered,
      })),
    ),
    ...env,
  })
  const keySets = new Map<string, JWTVerifyGetKey>(
    config.trustedIdps.map((idp) => [
      idp.issuer,
      remoteKeySet(idp.jwks_uri, { ...options.keySetOptions, allowInsecureHttp: true }),
    ]),
  )
  const logs: string[] = []
  const app = createAuthorizationServerApp(config, {
    now: options.now ?? (() => new Date()),
    signingKey: await generateSigningKey('ES256'),
    issuerKeys: (issuer) => keySets.get(issuer),
    replayStore: options.replayStore ?? new InMemoryReplayStore(),
    log: createLogger({ name: 'authorization-server', level: 'debug', write: (line) => logs.push(line) }),
  })
  l.server.on('request', app)
  return { url: l.url, config, logs, close: () => l.close() }
}

export interface MintOptions {
  /** Claims to set; `undefined` removes a default claim. */
  claims?: Record<string, unknown>
  header?: Record<string, unknown>
  /** Sign with this key instead of the IdP's (its kid is still the IdP's unless header says otherwise). */
  signWith?: SigningKey
  /** The "now" (seconds since the epoch) that the default `iat` and `exp` are relative to. Default: the real clock. */
  now?: number
}

/** Mints an ID-JAG as `idp` would for `as`, with overrides for the attack tests. */
export async function mintIdJag(idp: TestIdp, as: TestAs, options: MintOptions = {}): Promise<string> {
  const now = options.now ?? Math.floor(Date.now() / 1000)
  const claims: Record<string, unknown> = {
    iss: idp.issuer,
    sub: 'u-1001',
    aud: as.url,
    client_id: CLIENT_ID,
    resource: RESOURCE,
    scope: 'tasks.read tasks.write',
    jti: crypto.randomUUID(),
    iat: now,
    exp: now + 300,
    ...options.claims,
  }
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name]
  const key = options.signWith ?? idp.key
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.alg, kid: idp.key.kid, typ: JWT_TYP.ID_JAG, ...options.header } as { alg: string })
    .sign(key.privateKey)
}

/** An unsigned JWT (`alg: none`). */
export function unsignedJwt(header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${b64({ alg: 'none', ...header })}.${b64(claims)}.`
}

export type ClientAuth =
  | { method: 'client_secret_basic' | 'client_secret_post'; clientId?: string; secret?: string }
  /** `aud`: the client assertion's audience; default this server's issuer (the only one it accepts, AS-08). */
  | { method: 'private_key_jwt'; clientId: string; key: SigningKey; aud?: string | string[] }
  | { method: 'none' }

export interface RedeemOptions {
  auth?: ClientAuth
  grantType?: string
  scope?: string
  resource?: string
  /** Extra raw form pairs (to send duplicates). */
  extra?: Array<[string, string]>
}

/** POSTs a jwt-bearer token request to the AS token endpoint. */
export async function redeem(
  as: TestAs,
  assertion: string | undefined,
  options: RedeemOptions = {},
): Promise<Response> {
  const form = new URLSearchParams({ grant_type: options.grantType ?? GRANT_TYPE.JWT_BEARER })
  if (assertion !== undefined) form.append('assertion', assertion)
  if (options.scope !== undefined) form.append('scope', options.scope)
  if (options.resource !== undefined) form.append('resource', options.resource)
  for (const [name, value] of options.extra ?? []) form.append(name, value)
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  }
  await clientAuthentication(as, options.auth ?? { method: 'client_secret_basic' })(headers, form)
  return fetch(`${as.url}/token`, { method: 'POST', headers, body: form })
}

/** The client authentication of `redeem`, with @ema/demo-kit's one implementation of each method. */
function clientAuthentication(as: TestAs, auth: ClientAuth): ClientAuthentication {
  switch (auth.method) {
    case 'client_secret_basic':
      return clientSecretBasic(auth.clientId ?? CLIENT_ID, auth.secret ?? CLIENT_SECRET)
    case 'client_secret_post':
      return clientSecretPost(auth.clientId ?? CLIENT_ID, auth.secret ?? CLIENT_SECRET)
    case 'private_key_jwt':
      return privateKeyJwt(auth.clientId, () =>
        auth.aud === undefined
          ? signClientAssertion({ clientId: auth.clientId, audience: as.url, now: new Date(), key: auth.key })
          : clientAssertionWithAud(auth.clientId, auth.key, auth.aud),
      )
    case 'none':
      return () => {}
  }
}

/** A client assertion as `signClientAssertion` makes it, but with any `aud`, an array included. */
async function clientAssertionWithAud(clientId: string, key: SigningKey, aud: string | string[]): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT({})
    .setProtectedHeader({ alg: key.alg, kid: key.kid })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(aud)
    .setJti(crypto.randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .sign(key.privateKey)
}

/** The claims of a JWT, unverified (for tests that already trust the token). */
export function decodeClaims(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>
}

/** Reads a refusal and checks it carries no token. */
export async function readRefusal(res: Response): Promise<{ status: number; body: Record<string, unknown> }> {
  const body = (await res.json()) as Record<string, unknown>
  if ('access_token' in body) throw new Error('a refusal carried an access_token')
  return { status: res.status, body }
}

/** How a FaultyIdp's JWKS endpoint answers right now. */
export type JwksBehaviour =
  | 'serve' //        200 with the published keys
  | 'reset' //        drops the connection without an answer
  | 'slow' //         answers only after `slowMs`
  | 'html' //         200 text/html (a captive portal, a login page)
  | 'invalid-json' // 200 application/json that does not parse
  | 'not-a-jwks' //   200 JSON without a `keys` array
  | 'error' //        500

/** A stand-in IdP whose JWKS endpoint a test can break, slow down, count and rotate. */
export interface FaultyIdp extends TestIdp {
  /** What the JWKS endpoint does with the next request. */
  behaviour: JwksBehaviour
  /** How long 'slow' waits before answering. Default 5000 ms. */
  slowMs: number
  /** The keys the JWKS endpoint publishes (default: just `key`). Mint with `key`, which `rotate` replaces. */
  published: SigningKey[]
  /** JWKS requests received so far. */
  readonly jwksRequests: number
  /** Generates a new signing key; `keepOld` publishes old and new together, otherwise only the new one. */
  rotate(options?: { keepOld?: boolean }): Promise<SigningKey>
}

/** Starts a FaultyIdp on an ephemeral port. */
export async function startFaultyIdp(): Promise<FaultyIdp> {
  const timers = new Set<NodeJS.Timeout>()
  let jwksRequests = 0
  const key = await generateSigningKey('ES256')
  const l = await listen({ port: 0 }, (req, res) => {
    if (req.url !== '/jwks') {
      res.writeHead(404).end()
      return
    }
    jwksRequests++
    const json = () =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(publicJwks(idp.published)))
    switch (idp.behaviour) {
      case 'serve':
        return json()
      case 'reset':
        return req.socket.destroy()
      case 'slow': {
        const timer = setTimeout(() => {
          timers.delete(timer)
          if (!res.destroyed) json()
        }, idp.slowMs)
        timers.add(timer)
        return
      }
      case 'html':
        return res
          .writeHead(200, { 'content-type': 'text/html' })
          .end('<!doctype html><title>Sign in</title><h1>Sign in</h1>')
      case 'invalid-json':
        return res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys": [')
      case 'not-a-jwks':
        return res.writeHead(200, { 'content-type': 'application/json' }).end('{"hello":"world"}')
      case 'error':
        return res.writeHead(500, { 'content-type': 'text/plain' }).end('oops')
    }
  })
  const idp: FaultyIdp = {
    issuer: l.url,
    jwksUri: `${l.url}/jwks`,
    key,
    behaviour: 'serve',
    slowMs: 5000,
    published: [key],
    get jwksRequests() {
      return jwksRequests
    },
    async rotate(options = {}) {
      const next = await generateSigningKey('ES256')
      idp.published = options.keepOld === true ? [...idp.published, next] : [next]
      idp.key = next
      return next
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer)
      await l.close()
    },
  }
  return idp
}

/** What a suite runs against: the IdP stand-in and the authorization server trusting it. */
export interface JwtBearerSuite {
  idp: TestIdp
  as: TestAs
}

/** How a suite's IdP stand-in and authorization server are started. */
export interface JwtBearerSetup {
  idp?: StartIdpOptions
  env?: Record<string, string>
  options?: StartAsOptions
}

/**
 * Starts the IdP stand-in and the authorization server trusting it before the suite's tests, as
 * `setup` says (called first, so it may make keys), hands them to `ready`, and closes both after.
 */
export function useJwtBearer(
  ready: (suite: JwtBearerSuite) => unknown,
  setup: () => JwtBearerSetup | Promise<JwtBearerSetup> = () => ({}),
): void {
  useForSuite(
    async (): Promise<JwtBearerSuite> => {
      const { idp: idpOptions, env, options } = await setup()
      const idp = await startIdp(idpOptions)
      return { idp, as: await startAs([idp], env, options) }
    },
    async ({ idp, as }) => {
      await as.close()
      await idp.close()
    },
    ready,
  )
}
