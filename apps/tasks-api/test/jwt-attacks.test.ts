/**
 * OBO-18: the Tasks API is wired to the same strict verifier as the MCP server (verifyAccessToken in
 * packages/tokens). One attack per family of the RFC 8725 catalogue (@ema/test-kit) over real HTTP,
 * with the API's clock frozen at `T`; packages/tokens runs the whole catalogue against the verifier.
 */
import { before } from 'node:test'
import { jwtAttackWiring, type AttackTarget, type ExpectedRefusal } from '@ema/test-kit'
import { generateSigningKey, JWT_TYP, type SigningKey } from '@ema/tokens'
import {
  ACT,
  ALICE,
  MCP_SERVER,
  type FakeAuthorizationServer,
  type RunningTasksApi,
  useTasksApi,
} from './support/tasks-api.ts'

const T = Math.floor(Date.now() / 1000)

let as: FakeAuthorizationServer
let api: RunningTasksApi
let attackerKey: SigningKey
useTasksApi((suite) => ({ as, api } = suite), { now: () => new Date(T * 1000) })
before(async () => {
  attackerKey = await generateSigningKey('ES256')
})

/** The on-behalf-of token the authorization server issues for alice at `T`. */
const target = (): AttackTarget => ({
  label: 'access token',
  typ: JWT_TYP.ACCESS_TOKEN,
  key: as.key,
  attackerKey,
  now: T,
  clockSkewSeconds: 30,
  maxLifetimeSeconds: 86_400,
  maxLength: 8192, // the verifyAccessToken defaults
  claims: () => ({
    iss: as.issuer,
    sub: ALICE,
    aud: api.config.identifier,
    client_id: MCP_SERVER,
    scope: 'tasks.read tasks.write',
    act: ACT,
    jti: crypto.randomUUID(),
    iat: T,
    exp: T + 300,
  }),
})

const challenge = ({ error }: ExpectedRefusal) => ({
  'cache-control': 'no-store',
  'www-authenticate': new RegExp(
    `^Bearer error="${error}", error_description="[^"]*", scope="tasks.read tasks.write", resource_metadata="http://localhost:\\d+/\\.well-known/oauth-protected-resource"$`,
  ),
})

jwtAttackWiring('the RFC 8725 catalogue at the Tasks API (GET /whoami)', {
  kind: { typ: JWT_TYP.ACCESS_TOKEN },
  ids: 'OBO-18',
  target,
  send: (token) => fetch(`${api.url}/whoami`, { headers: { authorization: `Bearer ${token}` } }),
  status: 401,
  error: 'invalid_token',
  headers: challenge,
})
