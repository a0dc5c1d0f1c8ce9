import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateSigningKey, publicJwks, type SigningKey } from '@ema/tokens'
import {
  CLIENT_ID,
  decodeClaims,
  mintIdJag,
  readRefusal,
  redeem,
  startAs,
  startIdp,
  type TestAs,
  type TestIdp,
  useJwtBearer,
} from './support/jwt-bearer.ts'

// The "Acme Agent CLI" as the demo registers it here: AGENT_CLI_JWKS set, CLIENTS left to the
// defaults, so acme-agent-cli-tasks joins them as a private_key_jwt client (docs/demo-world.md).
const CLI_CLIENT_ID = 'acme-agent-cli-tasks'
let idp: TestIdp
let as: TestAs
let cliKey: SigningKey

useJwtBearer(
  (suite) => ({ idp, as } = suite),
  async () => {
    cliKey = await generateSigningKey('ES256')
    return {
      idp: { clientIds: [CLIENT_ID, CLI_CLIENT_ID] },
      env: { AGENT_CLI_JWKS: JSON.stringify(publicJwks([cliKey])) },
    }
  },
)

test('AS-08 AS-10 AS-18 acme-agent-cli-tasks redeems its ID-JAG, authenticated by private_key_jwt', async () => {
  const assertion = await mintIdJag(idp, as, { claims: { client_id: CLI_CLIENT_ID } })
  const res = await redeem(as, assertion, { auth: { method: 'private_key_jwt', clientId: CLI_CLIENT_ID, key: cliKey } })
  assert.equal(res.status, 200)
  const body = (await res.json()) as Record<string, unknown>
  assert.equal(typeof body.access_token, 'string')
  assert.equal(decodeClaims(String(body.access_token)).client_id, CLI_CLIENT_ID)
})

test('AS-08 acme-agent-cli-tasks with client_secret_basic is refused 401 invalid_client', async () => {
  const assertion = await mintIdJag(idp, as, { claims: { client_id: CLI_CLIENT_ID } })
  const { status, body } = await readRefusal(
    await redeem(as, assertion, {
      auth: { method: 'client_secret_basic', clientId: CLI_CLIENT_ID, secret: 'a-guessed-secret' },
    }),
  )
  assert.equal(status, 401)
  assert.equal(body.error, 'invalid_client')
})

test('AS-08 acme-agent-cli-tasks is refused 401 invalid_client for a client assertion signed with a key it did not register', async () => {
  const assertion = await mintIdJag(idp, as, { claims: { client_id: CLI_CLIENT_ID } })
  const { status, body } = await readRefusal(
    await redeem(as, assertion, {
      auth: { method: 'private_key_jwt', clientId: CLI_CLIENT_ID, key: await generateSigningKey('ES256') },
    }),
  )
  assert.equal(status, 401)
  assert.equal(body.error, 'invalid_client')
})

test("AS-18 the CLI may not redeem an ID-JAG issued to the web client, nor the web client the CLI's", async () => {
  const web = await readRefusal(
    await redeem(as, await mintIdJag(idp, as), {
      auth: { method: 'private_key_jwt', clientId: CLI_CLIENT_ID, key: cliKey },
    }),
  )
  assert.deepEqual(web, {
    status: 400,
    body: { error: 'invalid_grant', error_description: 'the ID-JAG was issued to another client' },
  })
  const cli = await readRefusal(await redeem(as, await mintIdJag(idp, as, { claims: { client_id: CLI_CLIENT_ID } })))
  assert.deepEqual(cli, {
    status: 400,
    body: { error: 'invalid_grant', error_description: 'the ID-JAG was issued to another client' },
  })
})

test('AS-16 an IdP not trusted for acme-agent-cli-tasks cannot vouch for it', async () => {
  const narrow = await startIdp({ clientIds: [CLIENT_ID] })
  const narrowAs = await startAs([narrow], { AGENT_CLI_JWKS: JSON.stringify(publicJwks([cliKey])) })
  try {
    const assertion = await mintIdJag(narrow, narrowAs, { claims: { client_id: CLI_CLIENT_ID } })
    const { status, body } = await readRefusal(
      await redeem(narrowAs, assertion, { auth: { method: 'private_key_jwt', clientId: CLI_CLIENT_ID, key: cliKey } }),
    )
    assert.equal(status, 400)
    assert.equal(body.error, 'invalid_grant')
    assert.match(String(body.error_description), /may not vouch for client acme-agent-cli-tasks/)
  } finally {
    await narrowAs.close()
    await narrow.close()
  }
})
