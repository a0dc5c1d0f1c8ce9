// Acme Agent's live sequence diagram. Plain ES module, no framework, served from 'self' (strict CSP).
// It draws the session's timeline from the server-sent events of /events: one lifeline per role, one
// arrow per request as it completes. Everything it shows arrives already redacted (CL-34): decoded
// claims and redact(…) stand-ins, never a token. Text goes into the DOM with textContent only.

const SVG_NS = 'http://www.w3.org/2000/svg'
const COLUMN = 200
const HEAD = 58
const TOP = 64
const ROW = 64

/** @type {{ run: any, arrows: any[], lifelines: Array<{ id: string, name: string }>, selected: number | undefined, presenting: boolean, step: number, fresh: Set<number> }} */
const state = {
  run: undefined,
  arrows: [],
  lifelines: [],
  selected: undefined,
  presenting: false,
  step: 0,
  fresh: new Set(),
}

const frame = document.getElementById('diagram-frame')
const detail = document.getElementById('arrow-detail')
const runTitle = document.getElementById('run-title')
const stepButton = document.getElementById('step-through')
const stepHelp = document.getElementById('step-help')
const empty = document.getElementById('diagram-empty')

/** Creates an element with attributes and children (strings become text nodes). */
function el(name, attributes = {}, ...children) {
  const node = document.createElement(name)
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value))
  for (const child of children)
    if (child !== undefined && child !== null) node.append(child instanceof Node ? child : String(child))
  return node
}
function svg(name, attributes = {}, text) {
  const node = document.createElementNS(SVG_NS, name)
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value))
  if (text !== undefined) node.textContent = text
  return node
}

function shownLifelines() {
  const touchesApi = state.arrows.some((arrow) => arrow.from === 'api' || arrow.to === 'api')
  return state.lifelines.filter((line) => line.id !== 'api' || touchesApi)
}

function statusText(arrow) {
  const ms = `${arrow.durationMs} ms`
  if (arrow.outcome === 'failed') return `✕ no answer · ${ms}`
  if (arrow.outcome === 'refused')
    return `✕ ${arrow.status ?? ''} ${arrow.refusal?.error ?? ''} · ${ms}`.replace(/\s+/g, ' ')
  if (arrow.outcome === 'challenge') return `${arrow.status} challenge (expected) · ${ms}`
  return `${arrow.status ?? ''} · ${ms}`
}

function nameOf(id) {
  return state.lifelines.find((line) => line.id === id)?.name ?? id
}

function describe(arrow, index) {
  return `Step ${index + 1} of ${state.arrows.length}: ${arrow.label}, from ${nameOf(arrow.from)} to ${nameOf(arrow.to)}, ${statusText(arrow).replace('✕', 'refused:')}`
}

/** Draws the whole diagram from `state`. */
function render() {
  const lines = shownLifelines()
  const width = COLUMN * Math.max(lines.length, 1)
  const height = TOP + state.arrows.length * ROW + 24
  const x = (id) => {
    const index = lines.findIndex((line) => line.id === id)
    return COLUMN / 2 + COLUMN * Math.max(index, 0)
  }
  const root = svg('svg', {
    id: 'diagram',
    viewBox: `0 0 ${width} ${height}`,
    role: 'group',
    'aria-labelledby': 'sequence-title',
    'aria-describedby': 'run-title',
  })
  for (const line of lines) {
    const cx = x(line.id)
    const head = svg('g', { class: 'head', 'aria-hidden': 'true' })
    head.append(svg('rect', { x: cx - COLUMN / 2 + 8, y: 4, width: COLUMN - 16, height: HEAD - 10, rx: 6 }))
    const words = line.name.split(' ')
    const parts = line.name.length > 16 && words.length > 1 ? [words.slice(0, -1).join(' '), words.at(-1)] : [line.name]
    parts.forEach((part, i) => head.append(svg('text', { x: cx, y: parts.length === 1 ? 32 : 24 + i * 18 }, part)))
    root.append(head)
    root.append(svg('line', { class: 'lifeline', x1: cx, y1: HEAD - 6, x2: cx, y2: height, 'aria-hidden': 'true' }))
  }
  state.arrows.forEach((arrow, index) => {
    const y = TOP + index * ROW + 38
    const x1 = x(arrow.from)
    const x2 = x(arrow.to)
    const left = Math.min(x1, x2)
    const right = Math.max(x1, x2)
    const direction = x2 >= x1 ? 1 : -1
    const classes = ['arrow']
    if (state.selected === arrow.id) classes.push('selected')
    if (state.presenting && index > state.step) classes.push('future')
    if (state.fresh.has(arrow.id)) classes.push('fresh')
    const group = svg('g', {
      // The accessible name is the visible text (label, then status); <desc> adds who talks to whom.
      class: classes.join(' '),
      tabindex: 0,
      role: 'button',
      'aria-roledescription': 'arrow',
      'data-id': arrow.id,
      'data-index': index,
      'data-from': arrow.from,
      'data-to': arrow.to,
      'data-outcome': arrow.outcome,
      'data-error': arrow.refusal?.error ?? '',
      'data-label': arrow.label,
    })
    group.append(svg('desc', {}, `from ${nameOf(arrow.from)} to ${nameOf(arrow.to)}`))
    group.append(svg('rect', { class: 'hit', x: 2, y: y - 34, width: width - 4, height: ROW - 6, rx: 6 }))
    const label = `${index + 1}. ${arrow.label}`
    const estimate = label.length * 8
    const anchorEnd = left + 10 + estimate > width - 6 && right - 10 - estimate > 0
    group.append(
      svg(
        'text',
        {
          class: 'label',
          x: anchorEnd ? right - 10 : left + 10,
          y: y - 10,
          'text-anchor': anchorEnd ? 'end' : 'start',
        },
        label,
      ),
    )
    const tipX = x2 - direction * 12
    group.append(svg('line', { x1, y1: y, x2: tipX, y2: y }))
    group.append(svg('polygon', { class: 'tip', points: `${x2},${y} ${tipX},${y - 7} ${tipX},${y + 7}` }))
    if (arrow.outcome === 'refused' || arrow.outcome === 'failed') {
      const cx = x2 - direction * 26
      group.append(svg('line', { class: 'cross', x1: cx - 8, y1: y - 8, x2: cx + 8, y2: y + 8 }))
      group.append(svg('line', { class: 'cross', x1: cx - 8, y1: y + 8, x2: cx + 8, y2: y - 8 }))
    }
    group.append(
      svg(
        'text',
        {
          class: 'status',
          x: anchorEnd ? right - 10 : left + 10,
          y: y + 22,
          'text-anchor': anchorEnd ? 'end' : 'start',
        },
        statusText(arrow),
      ),
    )
    group.addEventListener('click', () => select(arrow.id))
    group.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || (event.key === ' ' && !state.presenting)) {
        event.preventDefault()
        select(arrow.id)
      }
    })
    root.append(group)
  })
  const previous = document.getElementById('diagram')
  const hadFocus = document.activeElement?.closest?.('#diagram g.arrow')?.getAttribute('data-id')
  if (previous) previous.replaceWith(root)
  else frame.append(root)
  if (hadFocus) root.querySelector(`g.arrow[data-id="${hadFocus}"]`)?.focus()
  empty.hidden = state.arrows.length > 0
  stepButton.hidden = state.arrows.length === 0
  state.fresh.clear()
  renderTitle()
}

function renderTitle() {
  if (state.run === undefined) return
  if (state.presenting && state.arrows.length > 0) {
    const arrow = state.arrows[state.step]
    runTitle.textContent = arrow === undefined ? '' : describe(arrow, state.step)
    return
  }
  const result = state.run.result
  const outcome =
    result === undefined
      ? state.arrows.length > 0
        ? 'running…'
        : ''
      : result.outcome === 'ok'
        ? 'done: every request answered'
        : `refused by ${result.role ?? 'a role'} with ${result.error}`
  runTitle.textContent = [
    state.run.title,
    `${state.arrows.length} arrow${state.arrows.length === 1 ? '' : 's'}`,
    outcome,
  ]
    .filter(Boolean)
    .join(' · ')
}

function pre(value) {
  return el('pre', {}, typeof value === 'string' ? value : JSON.stringify(value, null, 2))
}
function formatMap(map, separator) {
  return Object.entries(map)
    .map(([name, value]) => `${name}${separator}${value}`)
    .join('\n')
}

/** Shows one arrow: its request, response, and each decoded token with the rule that checks each claim. */
function renderDetail(arrow) {
  detail.replaceChildren()
  if (arrow === undefined) return
  const index = state.arrows.indexOf(arrow)
  detail.append(el('h3', {}, `${index + 1}. ${arrow.label} — ${nameOf(arrow.from)} → ${nameOf(arrow.to)}`))
  const outcome =
    arrow.refusal !== undefined
      ? el(
          'p',
          { class: 'outcome refused', 'data-testid': 'detail-refusal' },
          `Refused by ${arrow.refusal.role}: `,
          el('code', {}, arrow.refusal.error),
          arrow.refusal.description ? ` — ${arrow.refusal.description}` : '',
          ` (HTTP ${arrow.status ?? '—'}, ${arrow.durationMs} ms)`,
        )
      : el(
          'p',
          { class: 'outcome' },
          arrow.outcome === 'failed'
            ? `No answer (${arrow.durationMs} ms)`
            : `HTTP ${arrow.status} in ${arrow.durationMs} ms`,
        )
  detail.append(outcome)
  for (const note of arrow.notes ?? []) detail.append(el('p', { class: 'muted' }, note))

  const request = el(
    'div',
    {},
    el('h4', {}, 'Request'),
    el('p', {}, el('strong', {}, arrow.request.method), ' ', el('code', {}, arrow.request.url)),
  )
  if (arrow.request.headers) request.append(pre(formatMap(arrow.request.headers, ': ')))
  if (arrow.request.params) request.append(pre(formatMap(arrow.request.params, '=')))
  if (arrow.request.json !== undefined) request.append(pre(arrow.request.json))
  const response = el('div', {}, el('h4', {}, 'Response'))
  if (arrow.response) {
    response.append(el('p', {}, `HTTP ${arrow.response.status}`))
    if (arrow.response.headers && Object.keys(arrow.response.headers).length > 0)
      response.append(pre(formatMap(arrow.response.headers, ': ')))
    if (arrow.response.body !== undefined) response.append(pre(arrow.response.body))
  } else {
    response.append(el('p', {}, 'none'))
  }
  detail.append(el('div', { class: 'cols' }, request, response))

  for (const token of arrow.tokens ?? []) {
    const section = el('div', { class: 'token', 'data-testid': 'decoded-token' }, el('h4', {}, token.label))
    if (token.checkedBy) section.append(el('p', { class: 'muted' }, `Checked by ${token.checkedBy}.`))
    const table = el(
      'table',
      {},
      el('caption', { class: 'muted' }, `${token.label}: each claim and the rule that checks it`),
      el(
        'colgroup',
        {},
        el('col', { class: 'claim' }),
        el('col', { class: 'value' }),
        el('col', { class: 'rule' }),
        el('col', { class: 'req' }),
      ),
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          el('th', { scope: 'col' }, 'Claim'),
          el('th', { scope: 'col' }, 'Value'),
          el('th', { scope: 'col' }, 'Rule'),
          el('th', { scope: 'col' }, 'Req.'),
        ),
      ),
    )
    const body = el('tbody')
    for (const row of token.rows) {
      body.append(
        el(
          'tr',
          { 'data-claim': `${row.part}.${row.name}` },
          el('th', { scope: 'row' }, row.part === 'header' ? `${row.name} (header)` : row.name),
          el('td', {}, row.value),
          el('td', {}, row.rule ?? ''),
          el('td', { class: 'req' }, row.requirement ?? ''),
        ),
      )
    }
    table.append(body)
    section.append(table)
    detail.append(section)
  }
}

function select(id) {
  state.selected = id
  const index = state.arrows.findIndex((arrow) => arrow.id === id)
  if (state.presenting && index >= 0) state.step = index
  render()
  renderDetail(state.arrows[index])
  const node = document.querySelector(`#diagram g.arrow[data-id="${id}"]`)
  node?.scrollIntoView({ block: 'nearest' })
}

// ---- presenter mode ------------------------------------------------------------------------------

function present(on) {
  state.presenting = on
  document.body.classList.toggle('presenting', on)
  stepButton.setAttribute('aria-pressed', String(on))
  stepButton.textContent = on ? 'Leave presenter mode' : 'Step through'
  stepHelp.hidden = !on
  if (on) {
    const index = state.arrows.findIndex((arrow) => arrow.id === state.selected)
    state.step = index >= 0 ? index : 0
    if (state.arrows[state.step]) select(state.arrows[state.step].id)
    frame.focus()
  } else {
    render()
    stepButton.focus()
  }
}

function go(step) {
  if (state.arrows.length === 0) return
  state.step = Math.max(0, Math.min(state.arrows.length - 1, step))
  select(state.arrows[state.step].id)
}

stepButton.addEventListener('click', () => present(!state.presenting))
document.addEventListener('keydown', (event) => {
  if (!state.presenting || event.altKey || event.ctrlKey || event.metaKey) return
  const target = /** @type {HTMLElement} */ (event.target)
  if (target.matches?.('input, select, textarea')) return
  const moves = { ArrowRight: 1, ' ': 1, PageDown: 1, ArrowDown: 1, ArrowLeft: -1, PageUp: -1, ArrowUp: -1 }
  if (event.key in moves && !(event.key === ' ' && target === stepButton)) {
    event.preventDefault()
    go(state.step + moves[event.key])
  } else if (event.key === 'Home') {
    event.preventDefault()
    go(0)
  } else if (event.key === 'End') {
    event.preventDefault()
    go(state.arrows.length - 1)
  } else if (event.key === 'Escape') {
    event.preventDefault()
    present(false)
  } else if (event.key === 'r' || event.key === 'R') {
    // The demo reset (DEMO_RESET=true): every role back at its start.
    const reset = /** @type {HTMLFormElement | null} */ (document.getElementById('reset-form'))
    if (reset !== null) {
      event.preventDefault()
      reset.requestSubmit()
    }
  }
})

// ---- the event stream ----------------------------------------------------------------------------

/** True once this page sent the reset itself: its own answer (with the notice) is on the way. */
let resetting = false
document.getElementById('reset-form')?.addEventListener('submit', () => {
  resetting = true
})

function connectEvents() {
  const events = new EventSource('/events')
  // The demo was reset (this session ended): start again from the signed-out page.
  events.addEventListener('reset', () => {
    events.close()
    if (!resetting) window.location.assign('/')
  })
  events.addEventListener('run', (event) => {
    const data = JSON.parse(event.data)
    const sameRun = state.run?.id === data.run.id
    state.run = data.run
    state.lifelines = data.lifelines
    state.arrows = data.arrows
    if (!sameRun) {
      state.selected = undefined
      state.step = 0
      detail.replaceChildren()
      for (const arrow of data.arrows) state.fresh.add(arrow.id)
    }
    render()
  })
  events.addEventListener('arrow', (event) => {
    const data = JSON.parse(event.data)
    if (state.run?.id !== data.runId) return
    const arrows = state.arrows.filter((arrow) => arrow.id !== data.arrow.id)
    let at = arrows.length
    while (at > 0 && arrows[at - 1].startedAt > data.arrow.startedAt) at -= 1
    arrows.splice(at, 0, data.arrow)
    state.arrows = arrows
    state.fresh.add(data.arrow.id)
    render()
  })
  events.addEventListener('done', (event) => {
    const data = JSON.parse(event.data)
    if (state.run?.id !== data.runId) return
    state.run = { ...state.run, result: data.result }
    renderTitle()
  })
}

// ---- forms that stay on the page, so the diagram keeps drawing while they run --------------------

document.addEventListener('submit', async (event) => {
  const form = /** @type {HTMLFormElement} */ (event.target)
  if (!form.matches('form[data-live]')) return
  // The classic MCP flow leaves the page for the authorization server's sign-in and consent screen.
  if (new FormData(form).get('mode') === 'classic') return
  event.preventDefault()
  const submitter = /** @type {HTMLButtonElement | null} */ (event.submitter)
  const body = new URLSearchParams(/** @type {any} */ (new FormData(form, submitter)))
  const buttons = [...document.querySelectorAll('#server-parts button')]
  for (const button of buttons) button.disabled = true
  submitter?.setAttribute('aria-busy', 'true')
  try {
    const response = await fetch(form.action, { method: 'POST', body, credentials: 'same-origin' })
    if (!response.ok) throw new Error(`HTTP ${response.status}`)
    const page = new DOMParser().parseFromString(await response.text(), 'text/html')
    for (const id of ['server-parts', 'steps-section']) {
      const fresh = page.getElementById(id)
      if (fresh) document.getElementById(id)?.replaceWith(document.importNode(fresh, true))
    }
    const again = submitter?.name
      ? document.querySelector(`#server-parts button[name="${submitter.name}"][value="${CSS.escape(submitter.value)}"]`)
      : undefined
    const focusable = /** @type {HTMLElement | null} */ (
      again ?? document.querySelector(`#server-parts form[action="${new URL(form.action).pathname}"] button`)
    )
    focusable?.focus()
  } catch (error) {
    console.error('Acme Agent: the form could not be sent in place; reloading', error)
    window.location.reload()
  } finally {
    for (const button of document.querySelectorAll('#server-parts button')) button.disabled = false
    submitter?.removeAttribute('aria-busy')
  }
})

connectEvents()
if (document.body.dataset.autoRun === 'connect') {
  ;/** @type {HTMLFormElement | null} */ (document.querySelector('form[action="/connect"]'))?.requestSubmit()
}
