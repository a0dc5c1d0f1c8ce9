export { ensureAgentCliKey, type AgentCliKey } from './agent-cli-key.ts'
export {
  basicAuthorization,
  clientSecretBasic,
  clientSecretPost,
  privateKeyJwt,
  publicClient,
  type ClientAuthentication,
} from './client-auth.ts'
export { CookieJar } from './cookie-jar.ts'
export { describeTokenResponse } from './describe-token-response.ts'
export {
  appFolder,
  demoWorldEnv,
  demoWorldRoles,
  demoWorldUrls,
  protectedResourceMetadataUrl,
  type DemoWorldUrls,
} from './demo-world.ts'
export { DEMO_CLIENT_SUBJECT_DN, ensureDemoPki, type DemoPki } from './demo-pki.ts'
export { issueCertificate, type CertificateAndKey, type IssueCertificateOptions } from './issue-certificate.ts'
export { logInAtIdp, type LogInAtIdpOptions, type User } from './log-in-at-idp.ts'
export { cpuSecondsOf } from './process-cpu.ts'
export {
  agentCliEnv,
  runAgentCli,
  type AgentCliRun,
  type RunAgentCliOptions,
  type RunningAgentCli,
} from './run-agent-cli.ts'
export { signInAtIdp, type SignInAtIdpOptions, type SignInTokens } from './sign-in-at-idp.ts'
export {
  PortInUseError,
  startRoles,
  type RoleSpec,
  type RunningRole,
  type RunningRoles,
  type StartRolesOptions,
} from './start-roles.ts'
export {
  freePort,
  hasRedisServer,
  RedisServerNotFoundError,
  startRedisServer,
  type RunningRedisServer,
  type StartRedisServerOptions,
} from './start-redis-server.ts'
export { ensureDeploymentKeys, type DeploymentKeys } from './deployment-keys.ts'
export { startRoundRobinProxy, type RoundRobinProxy, type RoundRobinProxyOptions } from './round-robin-proxy.ts'
export { waitForReady } from './wait-for-ready.ts'
export { probeHealth } from './probe-health.ts'
export { bundleRoles, type BundleRolesOptions, type RoleBundles } from './bundle-roles.ts'
