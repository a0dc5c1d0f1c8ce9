export { fuzzRuns } from './fuzz-runs.ts'
export { anyClaimValue, editSegment, jwtMutation, reencode, safely, sameBytes, type Mutation } from './jwt-mutation.ts'
export { readRefusal } from './read-refusal.ts'
