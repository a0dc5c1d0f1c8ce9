import {
  Client,
  CrossAppAccessProvider,
  requestJwtAuthorizationGrant,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client'
import { recordRequests, type RequestRecorder } from './record-requests.ts'

export interface CrossAppAccessOptions {
  /** The MCP server URL (also its resource identifier). */
  serverUrl: string
  /** The IdP's token endpoint, where the ID token is exchanged for an ID-JAG. */
  idpTokenEndpoint: string
  /** The user's ID token from the IdP. */
  idToken: string
  idpClient: { clientId: string; clientSecret: string }
  asClient: { clientId: string; clientSecret: string }
  /** The MCP authorization server's issuer, as we configured it. */
  expectedIssuer: string
  /** Passed to the transport; the SDK's default is 'reauthorize'. */
  onInsufficientScope?: 'reauthorize' | 'throw'
  /** Called with the recorder before connecting, so a test can inspect the wire when `connect` throws. */
  onRecorder?: (recorder: RequestRecorder) => void
}

export interface CrossAppAccessSession {
  client: Client
  /** Every request the SDK made: to the IdP (assertion callback), the AS and the MCP server. */
  recorder: RequestRecorder
  close(): Promise<void>
}

/**
 * The official v2 SDK client wired as its docs show: a CrossAppAccessProvider whose assertion
 * callback gets the ID-JAG with requestJwtAuthorizationGrant, plugged into a
 * StreamableHTTPClientTransport. Nothing here speaks OAuth itself; the SDK does, over `recorder.fetch`.
 *
 * @throws whatever the SDK's `connect` throws (the test asserts on it).
 */
export async function connectWithCrossAppAccess(options: CrossAppAccessOptions): Promise<CrossAppAccessSession> {
  const recorder = recordRequests()
  options.onRecorder?.(recorder)
  const provider = new CrossAppAccessProvider({
    assertion: async (ctx) => {
      const grant = await requestJwtAuthorizationGrant({
        tokenEndpoint: options.idpTokenEndpoint,
        audience: ctx.authorizationServerUrl,
        resource: ctx.resourceUrl,
        idToken: options.idToken,
        clientId: options.idpClient.clientId,
        clientSecret: options.idpClient.clientSecret,
        scope: ctx.scope,
        fetchFn: ctx.fetchFn,
      })
      return grant.jwtAuthGrant
    },
    clientId: options.asClient.clientId,
    clientSecret: options.asClient.clientSecret,
    expectedIssuer: options.expectedIssuer,
    fetchFn: recorder.fetch,
  })
  const transport = new StreamableHTTPClientTransport(new URL(options.serverUrl), {
    authProvider: provider,
    fetch: recorder.fetch,
    ...(options.onInsufficientScope === undefined ? {} : { onInsufficientScope: options.onInsufficientScope }),
  })
  const client = new Client({ name: 'interop-sdk-v2', version: '2.4.0' })
  await client.connect(transport)
  return { client, recorder, close: () => client.close() }
}
