/**
 * One step of the chain as a page or a log shows it, built by {@link StepView} from the recorded
 * traffic, so everything in it is already redacted (CL-34). Decoded JWTs are shown, never the compact
 * strings.
 */
export interface Step {
  title: string
  status: 'ok' | 'error'
  request?: {
    method: string
    url: string
    headers?: Record<string, string>
    params?: Record<string, string>
  }
  response?: { status: number; body?: unknown }
  /** Decoded (unverified) header and claims of tokens obtained in this step, for display. */
  tokens?: Array<{ label: string; header: unknown; claims: unknown }>
  notes?: string[]
}

/** Receives each step as it completes. */
export type StepRecorder = (step: Step) => void
