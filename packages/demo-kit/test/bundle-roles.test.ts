import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bundleRoles } from '../src/bundle-roles.ts'

/**
 * A role in miniature: a TypeScript entry that reads a file beside its source through import.meta.url,
 * loads a CommonJS module that reports its own __dirname and __filename, and has two classes of the same
 * name in two modules (a bundler renames one of them unless told to keep names).
 */
function writeRole(root: string, greeting: string): string {
  const src = join(root, 'role', 'src')
  mkdirSync(src, { recursive: true })
  writeFileSync(join(root, 'package.json'), JSON.stringify({ type: 'module' }))
  writeFileSync(join(root, 'role', 'greeting.txt'), greeting)
  writeFileSync(
    join(src, 'read-beside.ts'),
    `import { readFileSync } from 'node:fs'
export class Reader {}
export const greeting: string = readFileSync(new URL('../greeting.txt', import.meta.url), 'utf8')
export const here: string = import.meta.url
`,
  )
  writeFileSync(join(src, 'other.ts'), `export class Reader {}\n`)
  writeFileSync(
    join(src, 'legacy.cjs'),
    `class Reader {}
module.exports = { dir: __dirname, file: __filename, name: Reader.name }
`,
  )
  writeFileSync(
    join(src, 'main.ts'),
    `import { greeting, here, Reader } from './read-beside.ts'
import { Reader as OtherReader } from './other.ts'
import legacy from './legacy.cjs'
const { dir, file, name } = legacy as { dir: string; file: string; name: string }
console.log(JSON.stringify({ greeting, here, dir, file, names: [Reader.name, OtherReader.name, name] }))
`,
  )
  return join(src, 'main.ts')
}

const run = (entry: string, cwd: string): unknown =>
  JSON.parse(execFileSync(process.execPath, [entry], { cwd, encoding: 'utf8' }))

test('bundleRoles: a bundle runs as its sources do (files read beside a source, __dirname and __filename, class names); it is reused until a source changes', async () => {
  const root = mkdtempSync(join(tmpdir(), 'bundle-roles-'))
  try {
    const main = writeRole(root, 'hello')
    const cacheDir = join(root, 'cache')
    const options = { root, entries: { role: main }, cacheDir }

    const first = await bundleRoles(options)
    assert.equal(first.built, true)
    assert.notEqual(first.entries.role, main)
    const fromSource = run(main, join(root, 'role'))
    assert.deepEqual(run(first.entries.role!, join(root, 'role')), fromSource)
    assert.deepEqual(fromSource, {
      greeting: 'hello',
      here: new URL(`file://${join(root, 'role', 'src', 'read-beside.ts')}`).href,
      dir: join(root, 'role', 'src'),
      file: join(root, 'role', 'src', 'legacy.cjs'),
      names: ['Reader', 'Reader', 'Reader'],
    })

    const again = await bundleRoles(options)
    assert.equal(again.built, false)
    assert.equal(again.entries.role, first.entries.role)

    // A source changes: the next call bundles again, into a new folder; the one before is kept for a
    // process still loading its chunks, and the one before that goes once it is a minute old; one made
    // in the last minute (another start's) stays.
    writeFileSync(
      join(root, 'role', 'src', 'read-beside.ts'),
      `export class Reader {}\nexport const greeting = 'changed'\nexport const here = 'nowhere'\n`,
    )
    const second = await bundleRoles(options)
    assert.equal(second.built, true)
    assert.notEqual(second.dir, first.dir)
    assert.equal((run(second.entries.role!, join(root, 'role')) as { greeting: string }).greeting, 'changed')
    assert.equal(existsSync(first.dir), true)

    writeFileSync(join(root, 'role', 'src', 'legacy.cjs'), `module.exports = { name: 'touched' }\n`)
    const anotherStarts = join(cacheDir, 'build-another-start')
    mkdirSync(anotherStarts)
    const aMinuteAgo = new Date(Date.now() - 61_000)
    utimesSync(first.dir, aMinuteAgo, aMinuteAgo)
    const third = await bundleRoles(options)
    assert.equal(third.built, true)
    assert.equal(existsSync(second.dir), true)
    assert.equal(existsSync(anotherStarts), true)
    assert.equal(existsSync(first.dir), false)
    assert.equal(readdirSync(cacheDir).filter((entry) => entry.startsWith('build-')).length, 3)
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})

test('bundleRoles: a package.json that steers a source (its type, its exports) is an input too; a removed build is made again', async () => {
  const root = mkdtempSync(join(tmpdir(), 'bundle-roles-'))
  try {
    const main = writeRole(root, 'hello')
    const options = { root, entries: { role: main }, cacheDir: join(root, 'cache') }
    assert.equal((await bundleRoles(options)).built, true)
    writeFileSync(join(root, 'package.json'), JSON.stringify({ type: 'module', name: 'renamed' }))
    const remade = await bundleRoles(options)
    assert.equal(remade.built, true)
    // A build folder removed by hand (current.json left behind) is made again, never run from nowhere.
    rmSync(remade.dir, { recursive: true })
    const again = await bundleRoles(options)
    assert.equal(again.built, true)
    assert.equal(existsSync(again.entries.role!), true)
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})
