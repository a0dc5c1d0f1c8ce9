import type { AuthorizationServer, RegisteredClient } from './config.ts'
import type { EnterprisePolicy } from './policy/enterprise-policy.ts'

/**
 * What `IDP_DEMO_ATTACKS=true` adds to the demo world (docs/demo-world.md, "Break it"). None of these
 * servers runs: they are names the IdP issues ID-JAGs for, so that the client app can show the MCP
 * authorization server and the MCP server refusing them.
 */
export const DEMO_ATTACK_WORLD = {
  /** A second MCP server governed by the same authorization server (its access tokens must not work at Tasks). */
  OTHER_MCP_SERVER: { resource: 'https://calendar.acme.example/mcp', name: 'Calendar', scopes: ['calendar.read'] },
  /** A partner's authorization server (its ID-JAGs must not work at ours, AS-17), and the MCP server it governs. */
  OTHER_AUTHORIZATION_SERVER: {
    issuer: 'https://as.partner.example',
    resource: 'https://files.partner.example/mcp',
    name: 'Partner Files',
    scopes: ['files.read'],
    clientId: 'acme-agent-partner',
  },
  /** A Tasks scope the administrator defined but grants to no group (a request for it is refused, IDP-13). */
  UNGRANTED_TASKS_SCOPE: 'tasks.admin',
} as const

/**
 * The demo-only token exchange parameter (with `IDP_DEMO_ATTACKS=true` only): `demo_expired=true`
 * issues the ID-JAG as if 15 minutes ago, so that it has already expired, as one kept that long would
 * have. Without the flag oidc-provider strips it like any unknown parameter.
 */
export const DEMO_EXPIRED_PARAMETER = 'demo_expired'

/**
 * IDP_DEMO_ATTACKS=true: the demo world gains {@link DEMO_ATTACK_WORLD} (Tasks defines `tasks.admin`,
 * which no rule grants; Calendar beside Tasks; the partner's authorization server, to which Acme Agent
 * is mapped too, IDP-21) and the policy rules that let engineering and sales reach them.
 */
export function withDemoAttackWorld(
  world: { clients: RegisteredClient[]; authorizationServers: AuthorizationServer[] },
  policy: EnterprisePolicy,
  urls: { asIssuer: string; rsResource: string },
) {
  const { OTHER_MCP_SERVER: other, OTHER_AUTHORIZATION_SERVER: partner, UNGRANTED_TASKS_SCOPE } = DEMO_ATTACK_WORLD
  const clients = world.clients.map((client) =>
    client.client_id !== 'acme-agent'
      ? client
      : {
          ...client,
          clientIdAtAuthorizationServer: {
            ...client.clientIdAtAuthorizationServer,
            [partner.issuer]: partner.clientId,
          },
        },
  )
  const authorizationServers: AuthorizationServer[] = [
    ...world.authorizationServers.map((as) =>
      as.issuer !== urls.asIssuer
        ? as
        : {
            ...as,
            resources: [
              ...as.resources.map((server) =>
                server.resource !== urls.rsResource
                  ? server
                  : { ...server, scopes: [...server.scopes, UNGRANTED_TASKS_SCOPE] },
              ),
              { ...other, scopes: [...other.scopes] },
            ],
          },
    ),
    {
      issuer: partner.issuer,
      resources: [{ resource: partner.resource, name: partner.name, scopes: [...partner.scopes] }],
    },
  ]
  const rule = (id: string, audience: string, resource: string, scopes: readonly string[]) => ({
    id,
    description: 'IDP_DEMO_ATTACKS: engineering and sales reach the demo attack world',
    effect: 'allow' as const,
    subject: '*',
    client: '*',
    audience,
    resource,
    scopes: [...scopes],
  })
  return {
    clients,
    authorizationServers,
    policy: {
      ...policy,
      rules: [
        ...policy.rules,
        rule('demo-attacks-calendar', urls.asIssuer, other.resource, other.scopes),
        rule('demo-attacks-partner', partner.issuer, partner.resource, partner.scopes),
      ],
    },
  }
}
