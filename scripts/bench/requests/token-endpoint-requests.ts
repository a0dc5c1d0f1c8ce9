// The token endpoint requests the rows send, ours and the peers', each checking its answer (a token
// of the expected type) and throwing with the endpoint's error otherwise.
import { basicAuthorization as basic, describeTokenResponse } from '@ema/demo-kit'
import { topology } from '../topology.ts'
import { accounts } from './accounts.ts'

const { urls, peerJwtBearer, peerClientCredentials } = topology
/** The scope every token is asked for. */
const SCOPE = 'tasks.read tasks.write'

async function postForm(
  url: string,
  authorization: string,
  form: Record<string, string>,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
    body: new URLSearchParams(form),
  })
  return { status: response.status, json: (await response.json()) as Record<string, unknown> }
}

/** RFC 8693 at the IdP: ID token → ID-JAG. */
export async function exchange(idToken: string, tokenUrl = `${urls.idp}/token`): Promise<string> {
  const { status, json } = await postForm(tokenUrl, basic(accounts.idpClient.id, accounts.idpClient.secret), {
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    requested_token_type: 'urn:ietf:params:oauth:token-type:id-jag',
    audience: urls.as,
    resource: urls.rs,
    scope: SCOPE,
    subject_token: idToken,
    subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
  })
  if (
    status !== 200 ||
    typeof json['access_token'] !== 'string' ||
    json['issued_token_type'] !== 'urn:ietf:params:oauth:token-type:id-jag'
  ) {
    throw new Error(`token exchange: ${describeTokenResponse(status, json)}`)
  }
  return json['access_token']
}

/** RFC 7523 at the AS: ID-JAG → access token. */
export async function redeem(idJag: string, tokenUrl = `${urls.as}/token`): Promise<string> {
  const { status, json } = await postForm(tokenUrl, basic(accounts.asClient.id, accounts.asClient.secret), {
    grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
    assertion: idJag,
    resource: urls.rs,
    scope: SCOPE,
  })
  if (status !== 200 || typeof json['access_token'] !== 'string' || json['token_type'] !== 'Bearer') {
    throw new Error(`jwt-bearer: ${describeTokenResponse(status, json)}`)
  }
  return json['access_token']
}

/**
 * RFC 8693 on-behalf-of at the AS, as the MCP server does it (OBO-03 … OBO-06): the access token →
 * a token for the Tasks API with `tasks.read`. Done once, for the downstream peer to hold.
 */
export async function exchangeForTasksApi(accessToken: string): Promise<string> {
  const client = accounts.mcpServerClient
  const { status, json } = await postForm(`${urls.as}/token`, basic(client.id, client.secret), {
    grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
    subject_token: accessToken,
    subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    audience: urls.tasksApi,
    scope: 'tasks.read',
  })
  if (status !== 200 || typeof json['access_token'] !== 'string')
    throw new Error(`on-behalf-of exchange: ${describeTokenResponse(status, json)}`)
  return json['access_token']
}

/** The bare jwt-bearer peer: the same ID-JAG may be sent again (it keeps no replay store). */
export async function redeemAtPeer(idJag: string): Promise<void> {
  const { status, json } = await postForm(
    `${peerJwtBearer.url}/token`,
    basic(peerJwtBearer.client.id, peerJwtBearer.client.secret),
    {
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: idJag,
      resource: urls.rs,
      scope: SCOPE,
    },
  )
  if (status !== 200 || typeof json['access_token'] !== 'string')
    throw new Error(`peer jwt-bearer: ${describeTokenResponse(status, json)}`)
}

/** oidc-provider's client_credentials grant with a JWT access token. */
export async function clientCredentialsAtPeer(): Promise<void> {
  const { status, json } = await postForm(
    `${peerClientCredentials.url}/token`,
    basic(peerClientCredentials.client.id, peerClientCredentials.client.secret),
    {
      grant_type: 'client_credentials',
      resource: urls.rs,
      scope: SCOPE,
    },
  )
  if (status !== 200 || typeof json['access_token'] !== 'string')
    throw new Error(`peer client_credentials: ${describeTokenResponse(status, json)}`)
}
