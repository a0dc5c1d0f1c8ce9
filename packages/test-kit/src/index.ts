export type { AttackKey, AttackTarget } from './attack-target.ts'
export {
  JWT_ATTACK_FAMILIES,
  JWT_ATTACKS,
  JWT_BOUNDARIES,
  jwtAttacks,
  type JwtAttack,
  type JwtAttackFamily,
  type JwtBoundary,
  type JwtKind,
} from './jwt-attacks.ts'
export { anyClaimValue, editSegment, jwtMutation, reencode, safely, sameBytes, type Mutation } from './jwt-mutation.ts'
export { assertOAuthRefusal, type ExpectedRefusal } from './assert-oauth-refusal.ts'
export { fuzzRuns } from './fuzz-runs.ts'
export { jwtAttackWiring, type JwtAttackWiringOptions } from './jwt-attack-wiring.ts'
export { jwtForge, type JwtCraft, type JwtForge } from './jwt-forge.ts'
export { readRefusal } from './read-refusal.ts'
export { refusalTable, type RefusalRow, type RefusalTableOptions } from './refusal-table.ts'
export { signRaw } from './sign-raw.ts'
export { startRoleProcess, type RoleProcess } from './role-process.ts'
export { insecureHttpRule, type InsecureHttpRuleOptions } from './insecure-http-rule.ts'
