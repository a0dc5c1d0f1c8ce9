export type { ClientCertificate, TokenExchangeConfig } from './token-exchange-config.ts'
export { TokenExchangeError, type TokenExchangeFailure } from './token-exchange-error.ts'
export { postTokenRequest, type PostTokenRequestOptions, type TokenEndpointResponse } from './post-token-request.ts'
export {
  createTokenExchanger,
  loadClientCertificate,
  type ExchangedToken,
  type ExchangeTrace,
  type SubjectTokenExchange,
  type TokenExchanger,
  type TokenExchangerDeps,
  type TokenExchangerStats,
  type TokenExchangeLogger,
} from './create-token-exchanger.ts'
