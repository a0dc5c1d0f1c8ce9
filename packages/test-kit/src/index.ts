export type { AttackKey, AttackTarget } from './attack-target.ts'
export {
  JWT_ATTACK_FAMILIES,
  JWT_ATTACKS,
  JWT_BOUNDARIES,
  jwtAttackId,
  jwtAttacks,
  type JwtAttack,
  type JwtAttackFamily,
  type JwtAttackIds,
  type JwtBoundary,
  type JwtKind,
} from './jwt-attacks.ts'
export { anyClaimValue, editSegment, jwtMutation, reencode, safely, sameBytes, type Mutation } from './jwt-mutation.ts'
export { assertOAuthRefusal, type ExpectedRefusal } from './assert-oauth-refusal.ts'
export { fuzzRuns } from './fuzz-runs.ts'
export { fuzzJwtMutations, type FuzzJwtMutationsOptions } from './fuzz-jwt-mutations.ts'
export { fuzzTokenRequestForms, type FuzzTokenRequestFormsOptions } from './fuzz-token-request-forms.ts'
export { decodeBasic, fakeJwt, startFakeServer, type FakeServer, type ReceivedRequest } from './fake-server.ts'
export { jwtAttackWiring, type JwtAttackWiringOptions } from './jwt-attack-wiring.ts'
export { formPairs, postForm, type FormFields } from './post-form.ts'
export { jwtForge, type JwtCraft, type JwtForge } from './jwt-forge.ts'
export { parseChallenge } from './parse-challenge.ts'
export { readRefusal } from './read-refusal.ts'
export { refusalTable, type RefusalRow, type RefusalTableOptions } from './refusal-table.ts'
export { signRaw } from './sign-raw.ts'
export { assertAliveNotReady } from './assert-alive-not-ready.ts'
export { useForSuite } from './use-for-suite.ts'
export { startRoleProcess, type RoleProcess } from './role-process.ts'
export { insecureHttpRule, type InsecureHttpRuleOptions } from './insecure-http-rule.ts'
