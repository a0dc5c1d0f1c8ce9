import { CLIENT_AUTH_METHOD } from '@ema/tokens'
import { z } from 'zod'

/**
 * The schemas of the authorization server's JSON settings (each a JSON array in one variable, read
 * with server-kit's `readJson`). What they cannot say alone (a client_id named by a trusted IdP is
 * registered, a namespace is unique …) is checked by `requireConsistentRegistrations`.
 */

export const Url = z.string().url()
/** AS-19: `|` separates the namespace from the IdP's `sub`, so it may not occur in the namespace. */
export const SubjectNamespace = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[^|\s]+$/, 'subject_namespace must not contain "|" or whitespace')
/** Env `TRUSTED_IDPS`: the IdPs whose ID-JAGs this server redeems (AS-16). */
export const TrustedIdps = z
  .array(
    z
      .object({
        issuer: Url,
        jwks_uri: Url,
        subject_namespace: SubjectNamespace.optional(),
        client_ids: z
          .array(z.string().min(1), {
            error: 'client_ids is required: the clients registered here that this IdP may vouch for (AS-16)',
          })
          .min(1, 'client_ids must name at least one registered client (AS-16)'),
      })
      .strict(),
  )
  .min(1)
const Jwks = z.object({ keys: z.array(z.record(z.string(), z.unknown())) })
/** Env `CLIENTS`: the registered clients (AS-08, AS-10, OBO-07, decision 0050). */
export const Clients = z
  .array(
    z
      .object({
        client_id: z.string().min(1),
        client_secret: z.string().min(1).optional(),
        token_endpoint_auth_method: z.enum([
          CLIENT_AUTH_METHOD.CLIENT_SECRET_BASIC,
          CLIENT_AUTH_METHOD.CLIENT_SECRET_POST,
          CLIENT_AUTH_METHOD.PRIVATE_KEY_JWT,
          CLIENT_AUTH_METHOD.TLS_CLIENT_AUTH,
          CLIENT_AUTH_METHOD.NONE,
        ]),
        jwks: Jwks.optional(),
        jwks_uri: Url.optional(),
        tls_client_auth_subject_dn: z.string().min(1).optional(),
        token_exchange: z
          .object({ allow_any_profile_of_type: z.array(z.string().min(1)) })
          .strict()
          .optional(),
        resource_server_identifier: Url.optional(),
        redirect_uris: z.array(Url).min(1, 'redirect_uris must name at least one redirect URI').optional(),
        application_type: z.enum(['web', 'native']).optional(),
        client_name: z.string().min(1).max(100).optional(),
      })
      .strict()
      .refine(
        (c) => {
          switch (c.token_endpoint_auth_method) {
            case CLIENT_AUTH_METHOD.PRIVATE_KEY_JWT:
              return c.jwks !== undefined || c.jwks_uri !== undefined
            case CLIENT_AUTH_METHOD.TLS_CLIENT_AUTH:
              return c.tls_client_auth_subject_dn !== undefined && c.client_secret === undefined
            case CLIENT_AUTH_METHOD.NONE:
              return c.client_secret === undefined
            default:
              return c.client_secret !== undefined
          }
        },
        {
          message:
            'client_secret_* clients need client_secret; private_key_jwt clients need jwks or jwks_uri; tls_client_auth clients need tls_client_auth_subject_dn and no client_secret; none (public) clients have no client_secret',
        },
      ),
  )
  .min(1)
const ScopeToken = z
  .string()
  .regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'a scope must be a non-empty scope token (RFC 6749 §3.3)')
/** Env `MCP_SERVERS`: the MCP servers this server issues access tokens for (AS-24, AS-26). */
export const McpServers = z.array(z.object({ resource: Url, scopes: z.array(ScopeToken).min(1) }).strict()).min(1)
/** Env `DOWNSTREAM_APIS`: the APIs of the on-behalf-of token exchange (OBO-05, OBO-10). */
export const DownstreamApis = z.array(
  z
    .object({
      identifier: Url,
      scopes: z.array(ScopeToken).min(1),
      client_grants: z.array(z.object({ client_id: z.string().min(1), scopes: z.array(ScopeToken).min(1) }).strict()),
      scope_mapping: z.record(ScopeToken, z.array(ScopeToken)).optional(),
    })
    .strict(),
)
