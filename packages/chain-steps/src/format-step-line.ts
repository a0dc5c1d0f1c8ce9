import type { Step } from './step.ts'

/**
 * One step as one log line: status, title, request method and URL, response status, notes.
 *
 * Does NOT print parameters, headers, bodies or decoded tokens, so no credential reaches the log
 * (CL-34); URLs in this flow carry none.
 */
export function formatStepLine(step: Step): string {
  const parts = [`[${step.status === 'ok' ? 'ok' : 'FAILED'}] ${step.title}`]
  if (step.request !== undefined) parts.push(`: ${step.request.method} ${step.request.url}`)
  if (step.response !== undefined) parts.push(` -> HTTP ${step.response.status}`)
  if (step.notes !== undefined && step.notes.length > 0) parts.push(` (${step.notes.join('; ')})`)
  return parts.join('')
}
