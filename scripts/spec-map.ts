// Writes docs/spec-map.md, the requirement map: one row per requirement of docs/requirements.md, with
// where the code enforces it and which tests prove it. `node scripts/spec-map.ts --check` exits 1 when
// the file is out of date, or when code or a test cites an ID that docs/requirements.md does not have.
//
// What counts (so that the map can be trusted as a to-do list):
// - "enforced at": a source line under src/ that cites the ID, unless the line says the rule is NOT
//   met there ("Does NOT …", "not implemented", "out of scope", "waits for" …).
// - "tests": a test whose own title names the ID (`test('AS-17 …')`, or a catalogue row `{ id: 'AS-17', … }`
//   that becomes a title). Ranges such as "AS-11 … AS-22" credit nothing but their two ends.
//   Every test folder of the workspace is read: packages/*, apps/*, e2e, interop.
// - "knowingly unmet": the IDs in the table under "## Knowingly unmet requirements" of docs/security.md,
//   which says what happens instead. They never count as proven, whatever a test says of them.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { JWT_ATTACK_FAMILIES } from '@ema/test-kit'

const root = fileURLToPath(new URL('..', import.meta.url))
const ID = /\b(?:CL|IDP|AS|RS|OBO|SEC)-\d{2}\b/g
const ROLES: Array<[prefix: string, heading: string]> = [
  ['CL', 'MCP client'],
  ['IDP', 'Enterprise IdP'],
  ['AS', 'MCP authorization server'],
  ['RS', 'MCP server (resource server)'],
  ['OBO', 'On-behalf-of token exchange'],
  ['SEC', 'Security considerations'],
]

interface Requirement {
  id: string
  level: string
  text: string
  source: string
}

// --- inputs -------------------------------------------------------------------------------------

function readRequirements(): Map<string, Requirement> {
  const requirements = new Map<string, Requirement>()
  const text = readFileSync(join(root, 'docs', 'requirements.md'), 'utf8')
  for (const line of text.split('\n')) {
    const row = /^\| ((?:CL|IDP|AS|RS|OBO|SEC)-\d{2}) \| ([^|]+) \| ([^|]+) \| ([^|]*) \|\s*$/.exec(line)
    if (!row) continue
    const [, id, level, requirement, source] = row as unknown as [string, string, string, string, string]
    if (requirements.has(id)) fail(`docs/requirements.md lists ${id} twice`)
    requirements.set(id, { id, level: level.trim(), text: requirement.trim(), source: source.trim() })
  }
  return requirements
}

/** docs/security.md, "## Knowingly unmet requirements": `| ID | status | what happens instead |`. */
function readKnowinglyUnmet(): Map<string, string> {
  const unmet = new Map<string, string>()
  const text = readFileSync(join(root, 'docs', 'security.md'), 'utf8')
  const section = /^## Knowingly unmet requirements\n([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(text)?.[1] ?? ''
  for (const line of section.split('\n')) {
    const row = /^\| ((?:CL|IDP|AS|RS|OBO|SEC)-\d{2}) \| ([^|]+) \|/.exec(line)
    if (row) unmet.set(row[1]!, row[2]!.trim())
  }
  return unmet
}

function walk(dir: string, keep: (name: string) => boolean): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : walk(path, keep)
    return keep(entry.name) ? [path] : []
  })
}

const workspaces = [
  ...['packages', 'apps'].flatMap((top) => readdirSync(join(root, top)).map((name) => join(root, top, name))),
  join(root, 'e2e'),
  join(root, 'interop'),
]
const isCode = (name: string) => /\.(ts|mts|mjs)$/.test(name)
const sources = workspaces.flatMap((ws) => walk(join(ws, 'src'), isCode))
const tests = workspaces.flatMap((ws) => [...walk(join(ws, 'test'), isCode), ...walk(join(ws, 'tests'), isCode)])

/** A citation that says the rule is not met at this place is not enforcement. */
const NOT_MET =
  /\bDoes NOT\b|\bnot (?:yet )?(?:implemented|supported|offered|enforced|applied|checked|met)\b|\bout of scope\b|\bTODO\b|\bunmet\b|\bwaits? for\b/i

const enforced = new Map<string, string[]>()
for (const file of sources) {
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, index) => {
      if (NOT_MET.test(line)) return
      for (const id of new Set(line.match(ID) ?? [])) push(enforced, id, `${relative(root, file)}:${index + 1}`)
    })
}

/** A string literal's text: '…', "…" or `…` with escapes honoured (`${…}` kept as written). */
const LITERAL = String.raw`(['"\x60])((?:\\.|(?!\1)[^\\])*)\1`
const TITLE = new RegExp(String.raw`\b(?:test|it)(?:\.only)?\(\s*` + LITERAL, 'g')
// Table rows become titles: `{ id: 'AS-17', attack: 'an aud array' }` is the test `AS-17 refuses an aud array`
// (the row may span lines; id and attack belong to one object literal).
const TABLE_ROW = new RegExp(String.raw`\bid:\s*` + LITERAL + String.raw`[^{}]*?\battack:\s*` + LITERAL, 'g')
// The JWT attack catalogue (@ema/test-kit) is wired with a map from attack family to ID,
// `ids: { alg: 'AS-14', … }`, or one ID for every family, `ids: 'IDP-05'`, and each family's tests are
// titled `${jwtAttackId(ids, family)} refuses …` at run time.
const CATALOGUE_IDS = /\bids:\s*\{([^}]*)\}/g
const CATALOGUE_PAIR = /(['"]?)([\w-]+)\1:\s*'((?:CL|IDP|AS|RS|OBO|SEC)-\d{2})'/g
const CATALOGUE_ONE_ID = /\bids:\s*'((?:CL|IDP|AS|RS|OBO|SEC)-\d{2})'/g
const unescape = (text: string) => text.replace(/\\(.)/g, '$1')

const proven = new Map<string, string[]>()
for (const file of tests) {
  const text = readFileSync(file, 'utf8')
  const titles = [
    ...[...text.matchAll(TITLE)].map((m) => unescape(m[2]!)),
    ...[...text.matchAll(TABLE_ROW)].map((m) => `${unescape(m[2]!)} refuses ${unescape(m[4]!)}`),
    ...[...text.matchAll(CATALOGUE_IDS)].flatMap((map) =>
      [...map[1]!.matchAll(CATALOGUE_PAIR)].map((m) => `${m[3]!} refuses the attack catalogue's ${m[2]!} family`),
    ),
    ...[...text.matchAll(CATALOGUE_ONE_ID)].flatMap((m) =>
      JWT_ATTACK_FAMILIES.map((family) => `${m[1]!} refuses the attack catalogue's ${family} family`),
    ),
  ]
  for (const title of titles) {
    for (const id of new Set(title.match(ID) ?? [])) push(proven, id, `${relative(root, file)}: “${title}”`)
  }
}

// --- checks -------------------------------------------------------------------------------------

const requirements = readRequirements()
const unmet = readKnowinglyUnmet()
const unknown = [...new Set([...enforced.keys(), ...proven.keys(), ...unmet.keys()])].filter(
  (id) => !requirements.has(id),
)
if (unknown.length > 0) {
  const where = unknown.map(
    (id) => `${id} (${[...(enforced.get(id) ?? []), ...(proven.get(id) ?? [])][0] ?? 'docs/security.md'})`,
  )
  fail(`cited but not in docs/requirements.md: ${where.join(', ')}`)
}

// --- the map ------------------------------------------------------------------------------------

const isMust = (r: Requirement) => /MUST|REQUIRED/.test(r.level)
type Status = 'proven' | 'untested' | 'not cited' | 'unmet'
function statusOf(id: string): Status {
  if (unmet.has(id)) return 'unmet'
  if (proven.has(id)) return 'proven'
  return enforced.has(id) ? 'untested' : 'not cited'
}
const STATUS_TEXT: Record<Status, string> = {
  proven: '✅ proven',
  untested: '⚠️ enforced, no test names it',
  'not cited': '⬜ not cited',
  unmet: '⛔ knowingly unmet',
}

const escapeCell = (text: string) => text.replace(/\|/g, '\\|').replace(/</g, '&lt;')
const shorten = (text: string, max: number) => (text.length > max ? text.slice(0, max - 1) + '…' : text)
function folded(values: string[] | undefined, label: (n: number) => string): string {
  if (!values || values.length === 0) return '—'
  const list = [...new Set(values)].sort()
  if (list.length === 1) return escapeCell(list[0]!)
  return `<details><summary>${label(list.length)}</summary>${list.map(escapeCell).join('<br>')}</details>`
}
function statusCell(id: string): string {
  const status = statusOf(id)
  return status === 'unmet' ? `${STATUS_TEXT.unmet}: ${escapeCell(unmet.get(id)!)}` : STATUS_TEXT[status]
}

const all = [...requirements.values()]
const must = all.filter(isMust)
const count = (list: Requirement[], status: Status) => list.filter((r) => statusOf(r.id) === status).length
const todo = must.filter((r) => statusOf(r.id) === 'untested' || statusOf(r.id) === 'not cited')

const out = [
  '# Requirement map: requirement → code → test',
  '',
  'Generated by `node scripts/spec-map.ts` from [requirements.md](requirements.md), the requirement IDs cited in',
  'source comments, and test titles (do not edit by hand; `npm test` fails when it is out of date).',
  '',
  'How it counts: a source line under `src/` that cites an ID is where the rule is **enforced**, unless the line',
  'says the rule is not met there. A test **proves** an ID only when its own title names that ID (a range names',
  'only its two ends). **Knowingly unmet** rows come from [security.md](security.md#knowingly-unmet-requirements),',
  'which says what happens instead.',
  '',
  `${all.length} requirements, ${must.length} of them at MUST level. Of the MUST rows: ${count(must, 'proven')} proven by a test, ` +
    `${count(must, 'untested')} enforced without a test naming them, ${count(must, 'not cited')} not cited anywhere, ` +
    `${count(must, 'unmet')} knowingly unmet.`,
  '',
  '## To do: MUST rows without a test',
  '',
  todo.length === 0
    ? 'None.'
    : todo
        .map(
          (r) =>
            `- **${r.id}** (${statusOf(r.id) === 'untested' ? 'enforced, untested' : 'not cited'}): ${escapeCell(shorten(r.text, 160))}`,
        )
        .join('\n'),
  '',
  ...ROLES.flatMap(([prefix, heading]) => {
    const rows = all.filter((r) => r.id.startsWith(`${prefix}-`))
    if (rows.length === 0) return []
    return [
      `## ${heading} (${prefix})`,
      '',
      '| ID | level | requirement | status | enforced at | tests |',
      '| --- | --- | --- | --- | --- | --- |',
      ...rows.map(
        (r) =>
          `| ${r.id} | ${escapeCell(r.level)} | ${escapeCell(shorten(r.text, 140))} | ${statusCell(r.id)} | ` +
          `${folded(enforced.get(r.id), (n) => `${n} places`)} | ${folded(proven.get(r.id), (n) => `${n} tests`)} |`,
      ),
      '',
    ]
  }),
  '## Files',
  '',
  'Every source file of every workspace, with the first line of its first doc comment and the requirement IDs',
  'its code cites (the app READMEs link here instead of keeping their own lists).',
  '',
  ...workspaces.flatMap((ws) => {
    const files = sources.filter((file) => file.startsWith(`${ws}/`)).sort()
    if (files.length === 0) return []
    return [
      `### ${relative(root, ws)}`,
      '',
      '| file | what it does | IDs cited |',
      '| --- | --- | --- |',
      ...files.map((file) => {
        const text = readFileSync(file, 'utf8')
        const ids = [...new Set(text.match(ID) ?? [])].sort()
        return `| \`${relative(join(ws, 'src'), file)}\` | ${escapeCell(shorten(summaryOf(file, text), 150))} | ${ids.join(' ') || '—'} |`
      }),
      '',
    ]
  }),
].join('\n')

const target = join(root, 'docs', 'spec-map.md')
if (process.argv.includes('--check')) {
  const current = existsSync(target) ? readFileSync(target, 'utf8') : ''
  if (current !== out) fail('docs/spec-map.md is out of date: run `node scripts/spec-map.ts` and commit the result.')
  console.log('docs/spec-map.md is up to date.')
} else {
  writeFileSync(target, out)
  console.log(`wrote docs/spec-map.md (${all.length} requirements; ${todo.length} MUST rows without a test)`)
}

/**
 * What a file does, in its own words: the first sentence of the doc comment on the export the file is
 * named after (style rule 2: `verify-id-jag.ts` exports `verifyIdJag`), else of its leading comment.
 */
function summaryOf(file: string, text: string): string {
  const base = file.replace(/^.*\//, '').replace(/\.[^.]+$/, '')
  const camel = base.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())
  const names = [camel, camel.charAt(0).toUpperCase() + camel.slice(1)]
  const docBefore = (name: string) =>
    new RegExp(
      String.raw`\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*export (?:async )?(?:function|class|const|interface|type) ${name}\b`,
    ).exec(text)
  // The export the file is named after; else a standalone doc comment (one followed by a blank line,
  // which speaks for the file); else the first exported declaration's.
  const standalone = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\n\n/.exec(text)
  const exported = docBefore(`(?:${names.join('|')})`) ?? standalone ?? docBefore(String.raw`\w+`)
  const leading = /^(?:\/\/[^\n]*\n)+/.exec(text)?.[0] ?? /^\/\*\*([\s\S]*?)\*\//.exec(text)?.[1]
  const lines = (exported?.[1] ?? leading ?? '')
    .split('\n')
    .map((line) => line.replace(/^\s*(?:\*|\/\/)\s?/, '').trim())
    .filter((line) => line !== '' && !line.startsWith('@'))
  const paragraph = lines.join(' ')
  const sentence = /^(.*?\.)(\s|$)/.exec(paragraph)?.[1] ?? paragraph
  return sentence === '' ? '—' : sentence
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key) ?? []
  list.push(value)
  map.set(key, list)
}

function fail(message: string): never {
  console.error(`spec-map: ${message}`)
  process.exit(1)
}
