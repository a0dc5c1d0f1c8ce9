// @ema/chain-steps: the chain's steps as a page or a log shows them, built from the traffic that
// @ema/id-jag-client records. Named exports only.

export { StepView, type StepViewNames } from './step-view.ts'
export { type Step, type StepRecorder } from './step.ts'
export { formatStepLine } from './format-step-line.ts'
