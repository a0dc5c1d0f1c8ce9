/** One CLI invocation, parsed. */
export type AgentCommand =
  | { name: 'help' }
  | { name: 'login'; idTokenFromStdin: boolean }
  | { name: 'status' }
  | { name: 'logout' }
  | { name: 'tools'; pinnedScope: string | undefined }
  | { name: 'call'; tool: string; arguments: Record<string, unknown>; pinnedScope: string | undefined }

/** A command line that is not one of the usages: exit code 2, with the usage text. */
export class UsageError extends Error {}

/** RFC 6749 §3.3 scope-token characters, space-separated. */
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/

/**
 * Parses `npm run agent -- <command> …`. `--scope <scopes>` (or `--scope=<scopes>`) may stand
 * anywhere after `tools` or `call`; everything else is positional.
 * @throws {UsageError}
 */
export function parseAgentArguments(argv: readonly string[]): AgentCommand {
  const [command, ...rest] = argv
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      return { name: 'help' }
    case 'login': {
      if (rest.length === 0) return { name: 'login', idTokenFromStdin: false }
      if (rest.length === 1 && rest[0] === '--id-token') return { name: 'login', idTokenFromStdin: true }
      throw new UsageError(
        `login takes no arguments except --id-token (the ID token comes on standard input), got "${rest.join(' ')}"`,
      )
    }
    case 'status':
    case 'logout':
      if (rest.length > 0) throw new UsageError(`${command} takes no arguments, got "${rest.join(' ')}"`)
      return { name: command }
    case 'tools':
    case 'call': {
      const { pinnedScope, positional } = takeScopeOption(rest)
      if (command === 'tools') {
        if (positional.length > 0)
          throw new UsageError(`tools takes no arguments except --scope, got "${positional.join(' ')}"`)
        return { name: 'tools', pinnedScope }
      }
      const [tool, json, ...extra] = positional
      if (tool === undefined) throw new UsageError('call needs a tool name, e.g. npm run agent -- call whoami')
      if (extra.length > 0)
        throw new UsageError(`call takes a tool name and one JSON object, got also "${extra.join(' ')}"`)
      return { name: 'call', tool, arguments: json === undefined ? {} : parseToolArguments(json), pinnedScope }
    }
    default:
      throw new UsageError(`Unknown command "${command}"`)
  }
}

function takeScopeOption(args: readonly string[]): { pinnedScope: string | undefined; positional: string[] } {
  let pinnedScope: string | undefined
  const positional: string[] = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    let value: string | undefined
    if (arg === '--scope') value = args[++i]
    else if (arg.startsWith('--scope=')) value = arg.slice('--scope='.length)
    else if (arg.startsWith('--')) throw new UsageError(`Unknown option "${arg}"`)
    else {
      positional.push(arg)
      continue
    }
    if (pinnedScope !== undefined) throw new UsageError('--scope is given twice')
    const scope = value?.trim().replace(/\s+/g, ' ')
    if (scope === undefined || scope === '' || !SCOPE.test(scope))
      throw new UsageError('--scope needs space-separated scopes, e.g. --scope "tasks.read"')
    pinnedScope = scope
  }
  return { pinnedScope, positional }
}

function parseToolArguments(json: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    throw new UsageError(`The tool arguments are not JSON: ${json}`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new UsageError('The tool arguments must be a JSON object, e.g. {"title":"Ship it"}')
  return value as Record<string, unknown>
}
