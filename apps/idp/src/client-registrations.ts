import { firstIssue, parseUrlSetting } from '@ema/server-kit'
import { CLIENT_AUTH_METHOD, parsePublicJwks } from '@ema/tokens'
import { z } from 'zod'
import type { RegisteredClient } from './config.ts'

const { CLIENT_SECRET_BASIC, CLIENT_SECRET_POST, PRIVATE_KEY_JWT, NONE } = CLIENT_AUTH_METHOD

/** RFC 8252 §7.3: loopback IP literals; a native client may register plain http to them. */
const LOOPBACK_IP = /^(127(?:\.\d{1,3}){3}|\[::1\])$/

/** One client registration: the fields of {@link RegisteredClient}, with its wire names. */
const IdpClient = z
  .object({
    client_id: z.string().min(1),
    client_secret: z.string().min(1).optional(),
    token_endpoint_auth_method: z.enum([CLIENT_SECRET_BASIC, CLIENT_SECRET_POST, PRIVATE_KEY_JWT, NONE]),
    token_endpoint_auth_signing_alg: z.literal('ES256').optional(),
    application_type: z.enum(['web', 'native']).optional(),
    // Every client signs users in (code + PKCE), so it needs somewhere to be sent back to.
    redirect_uris: z.array(z.url()).min(1, 'redirect_uris must name at least one redirect URI'),
    jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).optional(),
    /** IDP-21: this client's id at each MCP authorization server, by issuer. Absent → none: it may sign in, not exchange. */
    clientIdAtAuthorizationServer: z.record(z.url(), z.string().min(1)).optional(),
  })
  .strict()
  .superRefine((client, ctx) => {
    const method = client.token_endpoint_auth_method
    const usesSecret = method === CLIENT_SECRET_BASIC || method === CLIENT_SECRET_POST
    // IDP-09: the registered method is the one oidc-provider enforces, so its credential must be there.
    if (usesSecret && client.client_secret === undefined)
      ctx.addIssue({ code: 'custom', path: ['client_secret'], message: `${method} needs client_secret` })
    if (!usesSecret && client.client_secret !== undefined)
      ctx.addIssue({ code: 'custom', path: ['client_secret'], message: `a ${method} client has no client_secret` })
    if (method === PRIVATE_KEY_JWT && client.jwks === undefined)
      ctx.addIssue({ code: 'custom', path: ['jwks'], message: 'private_key_jwt needs jwks (public keys)' })
    if (method !== PRIVATE_KEY_JWT && client.jwks !== undefined)
      ctx.addIssue({ code: 'custom', path: ['jwks'], message: 'jwks is only for private_key_jwt' })
    if (method !== PRIVATE_KEY_JWT && client.token_endpoint_auth_signing_alg !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['token_endpoint_auth_signing_alg'],
        message: 'token_endpoint_auth_signing_alg is only for private_key_jwt',
      })
    }
  })

/**
 * Client registrations with the fields of {@link RegisteredClient} (env `IDP_CLIENTS`, the data
 * file's `clients`). `label` names the source in errors (`IDP_CLIENTS`, `apps/idp/demo-world.json at clients`).
 *
 * Refused at start-up, with a TypeError naming the source and the entry: a field missing, unknown or
 * of the wrong type, a credential that does not fit the method (IDP-09), a private key in `jwks`
 * (CL-49), or a redirect URI that is plain http where it may not be (SEC-01: https, or http to a
 * loopback host with ALLOW_INSECURE_HTTP=true, the one rule of decision 0024; a `native` client may
 * use http to a loopback IP literal regardless, RFC 8252 §7.3, §8.3). Error messages never echo a secret.
 */
export function parseClientRegistrations(
  value: unknown,
  label: string,
  allowInsecureHttp: boolean,
): RegisteredClient[] {
  const at = (path: string) => (label.includes(' at ') ? `${label}.${path}` : `${label} at ${path}`)
  const parsed = z.array(IdpClient).safeParse(value)
  if (!parsed.success) throw new TypeError(firstIssue(parsed.error, label))
  return parsed.data.map((client, index) => {
    for (const uri of client.redirect_uris) {
      const url = new URL(uri)
      if (client.application_type === 'native' && url.protocol === 'http:' && LOOPBACK_IP.test(url.hostname)) continue
      parseUrlSetting(at(`${index}.redirect_uris`), uri, { allowInsecureHttp })
    }
    const { jwks, clientIdAtAuthorizationServer, ...rest } = client
    return {
      ...rest,
      // CL-49: public keys only; a private member is refused, never stripped.
      ...(jwks === undefined ? {} : { jwks: parsePublicJwks(JSON.stringify(jwks), at(`${index}.jwks`)) }),
      clientIdAtAuthorizationServer: clientIdAtAuthorizationServer ?? {}, // IDP-21
    }
  })
}

/** Each client_id names one registration: a repeated one (a demo client included) is a start-up error. */
export function requireUniqueClientIds(clients: RegisteredClient[]): RegisteredClient[] {
  const seen = new Set<string>()
  for (const client of clients) {
    if (seen.has(client.client_id))
      throw new TypeError(
        `client_id "${client.client_id}" is registered twice (IDP_CLIENTS repeats it or a demo client's id); each client_id must name one client`,
      )
    seen.add(client.client_id)
  }
  return clients
}
