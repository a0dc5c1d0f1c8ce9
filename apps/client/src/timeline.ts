import { LIFELINES, type NewArrow, type SequenceArrow } from './sequence-arrow.ts'

/** What the page hears about a run, over server-sent events. */
export type TimelineEvent =
  | { type: 'run'; run: RunInfo; arrows: SequenceArrow[]; lifelines: typeof LIFELINES }
  | { type: 'arrow'; runId: number; arrow: SequenceArrow }
  | { type: 'done'; runId: number; result: RunResult }
  /** The demo was reset (every role back at its start): the page reloads, signed out. */
  | { type: 'reset' }

export interface RunInfo {
  id: number
  /** e.g. "Sign-in and the chain", "Break it: replayed ID-JAG". */
  title: string
  /** The attack replayed, if this run is one (demo-attacks.ts). */
  attack?: string
  result?: RunResult
}

/** How a run ended: every arrow answered, or the first refusal with its role and OAuth error code. */
export interface RunResult {
  outcome: 'ok' | 'refused'
  role?: string
  error?: string
  message?: string
}

type Listener = (event: TimelineEvent) => void

/** A timeline as data, without its listeners: what a shared session store keeps (decision 0090). */
export interface TimelineState {
  run: RunInfo
  arrows: SequenceArrow[]
  nextArrowId: number
  nextRunId: number
}

/**
 * One session's sequence diagram: the current run's arrows, in the order their requests started,
 * and the listeners (the page's event streams) told about each arrow as it completes.
 * The classic (non-EMA) connection records its runs here like the chain; a demo reset ends with {@link reset}.
 */
export class Timeline {
  #run: RunInfo = { id: 0, title: 'Nothing yet' }
  #arrows: SequenceArrow[] = []
  #nextArrowId = 1
  #nextRunId = 1
  readonly #listeners = new Set<Listener>()

  get run(): RunInfo {
    return this.#run
  }

  get arrows(): readonly SequenceArrow[] {
    return this.#arrows
  }

  /** Starts a run; `keep` arrows of the previous one stay (e.g. the sign-in leg before the chain). */
  begin(title: string, options: { keep?: (arrow: SequenceArrow) => boolean; attack?: string } = {}): RunInfo {
    this.#run = { id: this.#nextRunId++, title, ...(options.attack === undefined ? {} : { attack: options.attack }) }
    this.#arrows = options.keep === undefined ? [] : this.#arrows.filter(options.keep)
    this.#emit(this.snapshot())
    return this.#run
  }

  /** Adds one arrow, placed by the time its request started. */
  add(arrow: NewArrow): SequenceArrow {
    const numbered: SequenceArrow = { id: this.#nextArrowId++, ...arrow }
    let at = this.#arrows.length
    while (at > 0 && this.#arrows[at - 1]!.startedAt > numbered.startedAt) at -= 1
    this.#arrows.splice(at, 0, numbered)
    this.#emit({ type: 'arrow', runId: this.#run.id, arrow: numbered })
    return numbered
  }

  end(result: RunResult): void {
    this.#run = { ...this.#run, result }
    this.#emit({ type: 'done', runId: this.#run.id, result })
  }

  /** Tells the pages watching that the demo was reset; they reload. */
  reset(): void {
    this.#emit({ type: 'reset' })
  }

  /** The whole current state, for a page that (re)connects. */
  snapshot(): TimelineEvent {
    return { type: 'run', run: this.#run, arrows: [...this.#arrows], lifelines: LIFELINES }
  }

  /** The timeline as data, for a session store to keep. */
  state(): TimelineState {
    return { run: this.#run, arrows: [...this.#arrows], nextArrowId: this.#nextArrowId, nextRunId: this.#nextRunId }
  }

  /** Takes `state` (written by another instance), keeping the listeners, and tells them the whole of it. */
  restore(state: TimelineState): void {
    this.#run = state.run
    this.#arrows = [...state.arrows]
    this.#nextArrowId = state.nextArrowId
    this.#nextRunId = state.nextRunId
    this.#emit(this.snapshot())
  }

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  #emit(event: TimelineEvent): void {
    for (const listener of this.#listeners) listener(event)
  }
}
