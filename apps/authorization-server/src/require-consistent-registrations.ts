import { firstIssue, parseUrlSetting } from '@ema/server-kit'
import { CLIENT_AUTH_METHOD } from '@ema/tokens'
import { isInteractiveClient, isOnBehalfOfClient } from './client-kinds.ts'
import type { DownstreamApi, McpServer, MtlsConfig, RegisteredClient, TrustedIdp } from './config.ts'
import { SubjectNamespace } from './registration-schemas.ts'

/** The registrations, and whether each list came from its variable (for the messages) or the demo defaults. */
export interface Registrations {
  trustedIdps: readonly TrustedIdp[]
  clients: readonly RegisteredClient[]
  mcpServers: readonly McpServer[]
  downstreamApis: readonly DownstreamApi[]
  fromEnv: { trustedIdps: boolean; clients: boolean; downstreamApis: boolean }
}

/**
 * What the schemas cannot say alone, checked once at start-up so that a mistake is one line, never a
 * surprise at the first request: each trusted IdP is distinct and vouches only for registered EMA
 * clients (AS-16, AS-19); each client's switches are usable (OBO-10, RFC 8705); each downstream API is
 * consistent (OBO-05, OBO-10); every URL this server fetches or redirects to holds to the one
 * insecure-http rule (SEC-01, AS-15, SEC-08, decision 0024).
 * @throws {TypeError} naming the variable and the entry.
 */
export function requireConsistentRegistrations(
  registrations: Registrations,
  mtls: MtlsConfig | undefined,
  allowInsecureHttp: boolean,
): void {
  const { trustedIdps, clients, mcpServers, downstreamApis, fromEnv } = registrations
  requireDistinctTrustedIdps(trustedIdps, clients, fromEnv.trustedIdps)
  requireUsableClients(clients, mcpServers, mtls, fromEnv.clients)
  requireValidDownstreamApis(
    downstreamApis,
    clients,
    mcpServers,
    fromEnv.downstreamApis ? 'DOWNSTREAM_APIS' : 'the default downstream API (TASKS_API_URL)',
  )
  // Downstream API identifiers are names (the issued token's `aud`) that this server never calls,
  // so they are not held to the https rule; the Tasks API itself decides how it is served.
  const urls: Array<[string, string]> = [
    ...trustedIdps.flatMap((idp): Array<[string, string]> => [
      ['TRUSTED_IDPS issuer', idp.issuer],
      ['TRUSTED_IDPS jwks_uri', idp.jwks_uri],
    ]),
    ...mcpServers.map((server): [string, string] => ['MCP_SERVERS resource', server.resource]),
    ...clients.flatMap((client): Array<[string, string]> =>
      client.jwks_uri === undefined ? [] : [['CLIENTS jwks_uri', client.jwks_uri]],
    ),
  ]
  for (const [name, url] of urls) parseUrlSetting(name, url, { allowInsecureHttp })
  requireSafeRedirectUris(clients, allowInsecureHttp, fromEnv.clients)
}

/**
 * AS-16, AS-19: each trusted IdP is recognised once, maps its users into a namespace of its own and
 * vouches only for clients registered here.
 */
function requireDistinctTrustedIdps(
  trustedIdps: readonly TrustedIdp[],
  clients: readonly RegisteredClient[],
  fromEnv: boolean,
): void {
  const where = fromEnv ? 'TRUSTED_IDPS' : 'the default trusted IdP (IDP_ISSUER)'
  const issuers = new Set<string>()
  const namespaces = new Map<string, string>()
  const registered = new Set(clients.map((client) => client.client_id))
  for (const idp of trustedIdps) {
    if (issuers.has(idp.issuer)) throw new TypeError(`invalid TRUSTED_IDPS: issuer ${idp.issuer} is listed twice`)
    issuers.add(idp.issuer)
    // AS-19: the namespace is what keeps two IdPs' users apart; it must be a valid, unique alias.
    const namespace = SubjectNamespace.safeParse(idp.subject_namespace)
    if (!namespace.success)
      throw new TypeError(firstIssue(namespace.error, `${where} subject_namespace of ${idp.issuer}`))
    const holder = namespaces.get(idp.subject_namespace)
    if (holder !== undefined) {
      throw new TypeError(
        `invalid TRUSTED_IDPS: subject_namespace "${idp.subject_namespace}" is used by both ${holder} and ${idp.issuer}; each trusted IdP needs its own`,
      )
    }
    namespaces.set(idp.subject_namespace, idp.issuer)
    // AS-16: an IdP can only be bound to client relationships that exist here.
    for (const clientId of idp.client_ids) {
      if (!registered.has(clientId)) {
        throw new TypeError(
          `invalid ${where}: client_ids of ${idp.issuer} names "${clientId}", which is not a client registered in CLIENTS${fromEnv ? '' : '; set TRUSTED_IDPS to choose its client_ids'}`,
        )
      }
      // Decision 0050: an interactive registration uses the authorization code flow only; it never redeems ID-JAGs.
      if (clients.some((client) => client.client_id === clientId && isInteractiveClient(client))) {
        throw new TypeError(
          `invalid ${where}: client_ids of ${idp.issuer} names "${clientId}", an interactive client (it has redirect_uris); ID-JAGs are redeemed by EMA clients, registered without redirect_uris`,
        )
      }
    }
  }
}

/** RFC 8252 §7.3: loopback IP literals, to which a native client may redirect over plain http. */
const LOOPBACK_IP = /^(127(?:\.\d{1,3}){3}|\[::1\])$/

/**
 * SEC-01, SEC-08: redirect URIs are https, or http to a loopback host with ALLOW_INSECURE_HTTP (the one
 * rule of decision 0024), or (a
 * `native` client) http to a loopback IP literal (RFC 8252 §7.3, §8.3); never with a fragment
 * (RFC 6749 §3.1.2).
 */
function requireSafeRedirectUris(
  clients: readonly RegisteredClient[],
  allowInsecureHttp: boolean,
  fromEnv: boolean,
): void {
  const where = fromEnv ? 'CLIENTS' : 'the default clients'
  for (const client of clients) {
    for (const uri of client.redirect_uris ?? []) {
      const url = new URL(uri)
      if (url.hash !== '' || uri.includes('#'))
        throw new TypeError(
          `invalid ${where}: a redirect URI of "${client.client_id}" has a fragment (RFC 6749 §3.1.2)`,
        )
      if (client.application_type === 'native' && url.protocol === 'http:' && LOOPBACK_IP.test(url.hostname)) continue
      parseUrlSetting(`${where} redirect URI of "${client.client_id}"`, uri, { allowInsecureHttp })
    }
  }
}

/** OBO-10, RFC 8705: a client's switches must be usable as configured. */
function requireUsableClients(
  clients: readonly RegisteredClient[],
  mcpServers: readonly McpServer[],
  mtls: MtlsConfig | undefined,
  fromEnv: boolean,
): void {
  const where = fromEnv ? 'CLIENTS' : 'the default clients'
  const ids = new Set<string>()
  for (const client of clients) {
    if (ids.has(client.client_id))
      throw new TypeError(`invalid ${where}: client_id "${client.client_id}" is listed twice`)
    ids.add(client.client_id)
    if (client.token_endpoint_auth_method === CLIENT_AUTH_METHOD.TLS_CLIENT_AUTH && mtls === undefined) {
      throw new TypeError(
        `invalid ${where}: client "${client.client_id}" uses tls_client_auth, which needs the mTLS endpoint alias; set AS_MTLS_CERT_FILE, AS_MTLS_KEY_FILE and AS_MTLS_CA_FILE`,
      )
    }
    if (
      client.resource_server_identifier !== undefined &&
      !mcpServers.some((server) => server.resource === client.resource_server_identifier)
    ) {
      throw new TypeError(
        `invalid ${where}: client "${client.client_id}" is tied to ${client.resource_server_identifier} (resource_server_identifier), which is not a registered MCP server (MCP_SERVERS)`,
      )
    }
    if (isOnBehalfOfClient(client) && client.resource_server_identifier === undefined) {
      throw new TypeError(
        `invalid ${where}: client "${client.client_id}" is switched on for on_behalf_of_token_exchange but names no resource_server_identifier (the MCP server it is tied to, OBO-10)`,
      )
    }
    if (isInteractiveClient(client)) {
      // Decision 0050: an interactive registration is only that; EMA and OBO use registrations of their own.
      if (client.token_exchange !== undefined || client.resource_server_identifier !== undefined) {
        throw new TypeError(
          `invalid ${where}: client "${client.client_id}" has redirect_uris (an interactive client, authorization code flow only) and token exchange settings; register the MCP server's token exchange client separately`,
        )
      }
    } else {
      // AS-09, OBO-07: a public client can only use the authorization code flow, which needs redirect_uris.
      if (client.token_endpoint_auth_method === CLIENT_AUTH_METHOD.NONE) {
        throw new TypeError(
          `invalid ${where}: client "${client.client_id}" is public (token_endpoint_auth_method none) without redirect_uris; public clients may only use the authorization code flow (SEC-14), so give it redirect_uris`,
        )
      }
      if (client.application_type !== undefined || client.client_name !== undefined) {
        throw new TypeError(
          `invalid ${where}: client "${client.client_id}" has application_type or client_name, which only interactive clients (with redirect_uris) use`,
        )
      }
    }
  }
}

/** OBO-05, OBO-10: each downstream API is distinct from every MCP server, and grants only what it defines to clients that exist. */
function requireValidDownstreamApis(
  apis: readonly DownstreamApi[],
  clients: readonly RegisteredClient[],
  mcpServers: readonly McpServer[],
  where: string,
): void {
  const identifiers = new Set<string>()
  for (const api of apis) {
    if (new URL(api.identifier).hash !== '' || api.identifier.includes('#'))
      throw new TypeError(`invalid ${where}: identifier ${api.identifier} must not have a fragment (RFC 8707 §2)`)
    if (identifiers.has(api.identifier))
      throw new TypeError(`invalid ${where}: identifier ${api.identifier} is listed twice`)
    identifiers.add(api.identifier)
    // An MCP server's own tokens must never be obtainable by exchange (OBO-01: no passthrough, no laundering).
    if (mcpServers.some((server) => server.resource === api.identifier))
      throw new TypeError(`invalid ${where}: ${api.identifier} is an MCP server (MCP_SERVERS), not a downstream API`)
    for (const grant of api.client_grants) {
      const client = clients.find((candidate) => candidate.client_id === grant.client_id)
      if (client === undefined)
        throw new TypeError(
          `invalid ${where}: client_grants of ${api.identifier} names "${grant.client_id}", which is not a client registered in CLIENTS`,
        )
      const unknown = grant.scopes.filter((scope) => !api.scopes.includes(scope))
      if (unknown.length > 0)
        throw new TypeError(
          `invalid ${where}: client_grants of ${api.identifier} gives "${grant.client_id}" scopes the API does not define: ${unknown.join(' ')}`,
        )
    }
    for (const [inbound, mapped] of Object.entries(api.scope_mapping)) {
      const unknown = mapped.filter((scope) => !api.scopes.includes(scope))
      if (unknown.length > 0)
        throw new TypeError(
          `invalid ${where}: scope_mapping of ${api.identifier} maps "${inbound}" to scopes the API does not define: ${unknown.join(' ')}`,
        )
    }
  }
}
