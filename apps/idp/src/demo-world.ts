import { readFileSync } from 'node:fs'
import type { JWK } from 'jose'
import { z } from 'zod'
import type { AuthorizationServer, DirectoryUser, RegisteredClient } from './config.ts'
import { parseEnterprisePolicy, PolicyValidationError, type EnterprisePolicy } from './policy/enterprise-policy.ts'

/**
 * The demo world as a data file (apps/idp/demo-world.json, env `IDP_WORLD_FILE`): the directory,
 * the registered clients, the (audience, resource) pairs (IDP-14) and the administrator's policy
 * with its named variants. A fork edits the file, not code.
 */
export interface DemoWorld {
  organizationName: string
  users: DirectoryUser[]
  clients: RegisteredClient[]
  authorizationServers: AuthorizationServer[]
  /** The policy of each variant: `default` is the file's `policy`, the others its `policyVariants`. */
  policies: Record<string, EnterprisePolicy>
}

/** The settings `${NAME}` may name in the file, and nothing else of the environment. */
const WORLD_SETTINGS = ['IDP_ISSUER', 'AS_ISSUER', 'RS_RESOURCE', 'CLIENT_URL', 'ACME_AGENT_IDP_SECRET'] as const
export type WorldSettings = Record<(typeof WORLD_SETTINGS)[number], string>

export interface LoadDemoWorldOptions {
  /** The file's name as shown in error messages. */
  label: string
  settings: WorldSettings
  /** Public JWK Sets a client may take with `jwksFrom` (undefined → that client is not registered). */
  jwkSets: { AGENT_CLI_JWKS: { keys: JWK[] } | undefined }
  /**
   * Validates the clients the way `IDP_CLIENTS` is validated (credentials fit the method, public
   * keys only, safe redirect URIs); `where` names the entry in errors.
   */
  parseClients: (value: unknown[], where: string) => RegisteredClient[]
}

const Comment = z.string().optional()
const DirectoryUserSchema = z
  .object({
    $comment: Comment,
    username: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, ".", "_" or "-"'),
    password: z.string().min(1, 'must not be empty'),
    sub: z.string().min(1, 'must not be empty').max(255, 'is longer than 255 characters'),
    name: z.string().min(1, 'must not be empty'),
    email: z.email(),
    groups: z.array(
      z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, ".", "_" or "-"'),
    ),
    administrator: z.boolean().optional(),
  })
  .strict()

const McpServerSchema = z
  .object({
    $comment: Comment,
    resource: z.url(),
    name: z.string().min(1),
    scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'must be an RFC 6749 §3.3 scope token')).min(1),
  })
  .strict()

const WorldSchema = z
  .object({
    $comment: Comment,
    organizationName: z.string().min(1),
    users: z.array(DirectoryUserSchema).min(1, 'must list at least one user'),
    clients: z.array(z.looseObject({ jwksFrom: z.literal('AGENT_CLI_JWKS').optional(), $comment: Comment })),
    authorizationServers: z
      .array(z.object({ $comment: Comment, issuer: z.url(), resources: z.array(McpServerSchema).min(1) }).strict())
      .min(1),
    policy: z.unknown(),
    policyVariants: z
      .record(
        z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'a variant name is 1-32 lower-case letters, digits or "-"'),
        z.unknown(),
      )
      .optional(),
  })
  .strict()

/**
 * Reads, fills in and validates the demo world file.
 * @throws {TypeError} with one line per problem, each naming the file and the path at fault
 *   (`invalid apps/idp/demo-world.json at users.1.email: …`). Never echoes a password or secret.
 */
export function loadDemoWorld(file: string, options: LoadDemoWorldOptions): DemoWorld {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (cause) {
    throw new TypeError(
      `cannot read ${options.label}: ${cause instanceof Error && 'code' in cause ? String(cause.code) : 'unreadable'}`,
      { cause },
    )
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (cause) {
    throw new TypeError(
      `${options.label} is not valid JSON (${cause instanceof Error ? cause.message : 'parse error'})`,
      { cause },
    )
  }
  const problems: string[] = []
  const filled = substitute(json, options.settings, '', problems)
  if (problems.length > 0)
    throw new TypeError(problems.map((problem) => `invalid ${options.label} at ${problem}`).join('\n'))
  const parsed = WorldSchema.safeParse(filled)
  if (!parsed.success) {
    throw new TypeError(
      parsed.error.issues
        .map((issue) => `invalid ${options.label} at ${issue.path.join('.') || '(top level)'}: ${issue.message}`)
        .join('\n'),
    )
  }
  const world = parsed.data
  const users = world.users.map(({ $comment: _comment, administrator, ...user }) => ({
    ...user,
    ...(administrator === true ? { administrator } : {}),
  }))

  // `jwksFrom`: the client's public keys come from a setting; unset → the client is not registered.
  const registrations: unknown[] = []
  const indexes: number[] = []
  world.clients.forEach((client, index) => {
    const { jwksFrom, $comment: _comment, ...rest } = client
    if (jwksFrom !== undefined) {
      const jwks = options.jwkSets[jwksFrom]
      if (jwks === undefined) return
      registrations.push({ ...rest, jwks })
    } else {
      registrations.push(rest)
    }
    indexes.push(index)
  })
  const clients = options.parseClients(registrations, `${options.label} at clients`)

  const authorizationServers = world.authorizationServers.map((as) => ({
    issuer: as.issuer,
    resources: as.resources.map(({ $comment: _comment, ...server }) => server),
  }))
  const policyWorld = { users, clients, authorizationServers }
  const policies: Record<string, EnterprisePolicy> = {}
  for (const [name, value, at] of [
    ['default', world.policy, 'policy'],
    ...Object.entries(world.policyVariants ?? {}).map(
      ([variant, policy]) => [variant, policy, `policyVariants.${variant}`] as const,
    ),
  ] as const) {
    try {
      policies[name] = parseEnterprisePolicy(value, policyWorld)
    } catch (error) {
      if (!(error instanceof PolicyValidationError)) throw error
      throw new TypeError(
        error.issues
          .map(
            (issue) =>
              `invalid ${options.label} at ${at}${issue.path === '' ? '' : `.${issue.path}`}: ${issue.message}`,
          )
          .join('\n'),
        { cause: error },
      )
    }
  }
  return { organizationName: world.organizationName, users, clients, authorizationServers, policies }
}

const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g

/** Replaces `${NAME}` in every string (keys included) with the setting of that name. */
function substitute(value: unknown, settings: WorldSettings, path: string, problems: string[]): unknown {
  const fill = (text: string, at: string): string =>
    text.replace(PLACEHOLDER, (whole, name: string) => {
      if ((WORLD_SETTINGS as readonly string[]).includes(name)) return settings[name as keyof WorldSettings]
      problems.push(
        `${at || '(top level)'}: \${${name}} is not a setting the file may use (${WORLD_SETTINGS.join(', ')})`,
      )
      return whole
    })
  if (typeof value === 'string') return fill(value, path)
  if (Array.isArray(value))
    return value.map((item, index) => substitute(item, settings, join(path, String(index)), problems))
  if (value !== null && typeof value === 'object') {
    // A `$comment` is prose for the reader and is left as it is.
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) =>
        key === '$comment'
          ? [key, inner]
          : [fill(key, join(path, key)), substitute(inner, settings, join(path, key), problems)],
      ),
    )
  }
  return value
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`
}
