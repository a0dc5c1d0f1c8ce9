import type { Logger } from '@ema/server-kit'
import { TokenExchangeError, type ExchangeTrace, type TokenExchanger } from '@ema/token-exchange'
import { inspectJwt } from '@ema/tokens'
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js'
import { principalOf } from './principal.ts'
import { TasksApiError, type TasksApiClient, type TasksApiRequest, type TasksApiResponse } from './tasks-api-client.ts'

/** The `_meta` key of the second hop's trace (MCP_TRACE_DOWNSTREAM=true). */
export const DOWNSTREAM_TRACE_KEY = 'io.ema/downstream'

/**
 * The second hop, made visible (demo only): the exchange as sent (secrets and the subject token
 * redacted) and its status, the DECODED claims of the token the authorization server issued (never
 * the compact token), and the API call.
 */
export interface DownstreamTrace {
  exchange: {
    request: ExchangeTrace['request'] | undefined
    status: number | undefined
    cached: boolean
    error?: { error: string; error_description?: string }
  }
  downstream_token_claims?: Record<string, unknown>
  api?: {
    method: string
    url: string
    status: number | undefined
    error?: { error: string; error_description?: string }
    body?: unknown
  }
}

/** Who refused a tool's downstream call, in a person's words, and the OAuth error code. */
export class DownstreamRefusal extends Error {
  readonly refusedBy: string
  readonly error: string
  readonly errorDescription: string | undefined
  readonly status: number | undefined
  readonly trace: DownstreamTrace

  constructor(init: {
    message: string
    refusedBy: string
    error: string
    errorDescription?: string
    status?: number
    trace: DownstreamTrace
    cause?: unknown
  }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause })
    this.name = 'DownstreamRefusal'
    this.refusedBy = init.refusedBy
    this.error = init.error
    this.errorDescription = init.errorDescription
    this.status = init.status
    this.trace = init.trace
  }
}

export interface OnBehalfOfDeps {
  /** Undefined when the exchange has no client credentials configured (every call is then refused, saying so). */
  exchanger: TokenExchanger | undefined
  tasksApi: TasksApiClient
  log: Logger
}

export interface OnBehalfOf {
  /**
   * Calls the Tasks API for the caller of a tool, with a token exchanged for that purpose:
   * 1. the inbound token, already fully validated by `requireBearerToken` (OBO-02), is the subject token;
   * 2. RFC 8693 exchange at the authorization server for the Tasks API, scope down to `scope` (OBO-03 … OBO-07),
   *    from the cache per (user, audience, scope) while fresh, one exchange in flight per key (OBO-17);
   * 3. the Tasks API call with the exchanged token, never the inbound one (OBO-01).
   *
   * @throws {DownstreamRefusal} naming who refused (the authorization server or the Tasks API) and the OAuth error code.
   */
  callTasksApi(
    authInfo: AuthInfo,
    scope: string,
    request: TasksApiRequest,
  ): Promise<{ response: TasksApiResponse; trace: DownstreamTrace }>
}

export function createOnBehalfOf(deps: OnBehalfOfDeps): OnBehalfOf {
  return {
    callTasksApi: async (authInfo, scope, request) => {
      const principal = principalOf(authInfo)
      if (deps.exchanger === undefined) {
        throw new DownstreamRefusal({
          message:
            'this MCP server has no client credentials for the token exchange (set TOKEN_EXCHANGE_CLIENT_CERT_FILE and TOKEN_EXCHANGE_CLIENT_KEY_FILE, or TOKEN_EXCHANGE_CLIENT_SECRET), so it cannot call the Tasks API on your behalf',
          refusedBy: 'the MCP server',
          error: 'server_error',
          trace: { exchange: { request: undefined, status: undefined, cached: false } },
        })
      }
      let exchanged
      try {
        exchanged = await deps.exchanger.exchange({
          subjectToken: authInfo.token,
          // The issued token's act names the inbound client, so the client is part of the user key.
          user: JSON.stringify([principal.iss, principal.sub, principal.client_id]),
          scope,
          ...(authInfo.expiresAt === undefined ? {} : { subjectTokenExpiresAt: authInfo.expiresAt }),
        })
      } catch (error) {
        if (!(error instanceof TokenExchangeError)) throw error
        deps.log.info('on-behalf-of token exchange refused', {
          refused_by: error.refusedBy,
          error: error.error,
          status: error.status,
          kind: error.kind,
          sub: principal.sub,
          scope,
        })
        throw new DownstreamRefusal({
          message: `${error.message}${error.kind === 'refused' ? ` (asked for a Tasks API token with scope ${scope})` : ''}`,
          refusedBy: error.refusedBy,
          error: error.error,
          ...optional(error.errorDescription, error.status),
          trace: {
            exchange: {
              request: undefined,
              status: error.status,
              cached: false,
              error: errorOf(error.error, error.errorDescription),
            },
          },
          cause: error,
        })
      }
      const trace: DownstreamTrace = {
        exchange: { request: exchanged.trace.request, status: exchanged.trace.status, cached: exchanged.fromCache },
        // Decoded only when the trace is shown (MCP_TRACE_DOWNSTREAM), not on every tool call.
        get downstream_token_claims() {
          return inspectJwt(exchanged.accessToken)?.claims ?? {}
        },
      }
      try {
        const response = await deps.tasksApi.call(exchanged.accessToken, request) //   OBO-01, RS-15: the exchanged token only
        trace.api = { method: response.method, url: response.url, status: response.status }
        return { response, trace }
      } catch (error) {
        if (!(error instanceof TasksApiError)) throw error
        deps.log.info('Tasks API refused the call', {
          refused_by: error.refusedBy,
          error: error.error,
          status: error.status,
          kind: error.kind,
          sub: principal.sub,
          path: request.path,
        })
        trace.api = {
          method: request.method,
          url: `${deps.tasksApi.url}${request.path}`,
          status: error.status,
          error: errorOf(error.error, error.errorDescription),
        }
        throw new DownstreamRefusal({
          message: error.message,
          refusedBy: error.refusedBy,
          error: error.error,
          ...optional(error.errorDescription, error.status),
          trace,
          cause: error,
        })
      }
    },
  }
}

function errorOf(error: string, description: string | undefined): { error: string; error_description?: string } {
  return description === undefined ? { error } : { error, error_description: description }
}

function optional(
  errorDescription: string | undefined,
  status: number | undefined,
): { errorDescription?: string; status?: number } {
  return {
    ...(errorDescription === undefined ? {} : { errorDescription }),
    ...(status === undefined ? {} : { status }),
  }
}
