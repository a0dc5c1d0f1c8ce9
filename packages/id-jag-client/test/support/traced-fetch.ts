import { recordTraffic } from '../../src/record-traffic.ts'
import type { Step } from '../../src/step.ts'
import { StepView, type StepViewNames } from '../../src/step-view.ts'

/**
 * `fetch` recorded into a {@link StepView} whose steps go to `steps`, as `runChain` wires it; `flush()`
 * ends the operation.
 */
export function tracedFetch(
  steps: Step[],
  names: Partial<StepViewNames> = {},
): typeof fetch & { view: StepView; flush(): void } {
  const view = new StepView(
    { idpName: 'Acme SSO', serverName: 'Tasks', mcpServerUrl: 'http://localhost:4003/mcp', ...names },
    (step) => steps.push(step),
  )
  const recorded = recordTraffic(fetch, (exchange) => view.add(exchange))
  return Object.assign(recorded, { view, flush: () => view.flush() })
}
