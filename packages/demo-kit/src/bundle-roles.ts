import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

/** Each role's bundle, ready to run with `node <entry>` in the role's folder. */
export interface RoleBundles {
  /** The folder holding this build's files (under `cacheDir`). */
  dir: string
  /** A folder for V8's compile cache of these bundles (NODE_COMPILE_CACHE), removed with them. */
  compileCacheDir: string
  /** The bundle of each entry, by the name it was given (an absolute path). */
  entries: Record<string, string>
  /** True when this call bundled the sources (none kept yet, or one of the files they were made of changed). */
  built: boolean
}

export interface BundleRolesOptions {
  /** The repository: every source, `node_modules` and the inputs' paths are taken from here. */
  root: string
  /** The entry point of each role, by name, e.g. `{ idp: '/repo/apps/idp/src/main.ts' }`. */
  entries: Record<string, string>
  /** Where builds are kept (a git-ignored folder, e.g. `node_modules/.cache/role-bundles`). */
  cacheDir: string
}

/** What a build is made of, kept in `<cacheDir>/current.json`; a change to any of it (or to this code) rebuilds. */
interface BuildRecord {
  key: string
  dir: string
  entries: Record<string, string>
  /** Every file the bundles were made of, and every package.json and tsconfig that steered the build: [path from root, mtimeMs, size]. */
  inputs: Array<[string, number, number]>
}

/** Bump on any change to the build below: builds kept from before are then remade. */
const BUILD_FORMAT = 2

/**
 * The roles as `npm start` runs them (decision 0105): each role's sources and every package they load,
 * TypeScript types stripped, bundled by esbuild into one ES module per role (code shared between roles
 * in chunks, what a role imports dynamically in chunks of its own). A pure packaging of the sources the
 * tests run: no minification, names kept, `import.meta.url`, `__dirname` and `__filename` still each
 * file's own, so files read beside a source (views, static assets, the demo world) are found where they
 * are; source maps beside the bundles (`NODE_OPTIONS=--enable-source-maps` shows source lines in stack traces).
 *
 * Kept in `cacheDir` and reused while none of the files they were made of changed (modification time
 * and size, the way make decides), so a start in steady state only reads `current.json` and stats those
 * files; esbuild is loaded only to build. Two builds at once (two starts, a test) each write their own
 * folder and the last one wins; the build before it is kept for a process still loading its chunks.
 */
export async function bundleRoles(options: BundleRolesOptions): Promise<RoleBundles> {
  const root = resolve(options.root)
  const cacheDir = resolve(options.cacheDir)
  const key = JSON.stringify({ format: BUILD_FORMAT, node: process.version, entries: options.entries })
  const recordFile = join(cacheDir, 'current.json')
  const kept = readRecord(recordFile)
  if (
    kept !== undefined &&
    kept.key === key &&
    Object.values(kept.entries).every((entry) => statOf(entry) !== undefined) &&
    unchanged(root, kept.inputs)
  ) {
    const dir = join(cacheDir, kept.dir)
    return { dir, compileCacheDir: join(dir, 'compile-cache'), entries: kept.entries, built: false }
  }

  const esbuild = await import('esbuild')
  const name = `build-${Date.now().toString(36)}-${process.pid}`
  const outdir = join(cacheDir, name)
  mkdirSync(outdir, { recursive: true })
  const result = await esbuild
    .build({
      absWorkingDir: root,
      entryPoints: options.entries,
      outdir,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      // Resolved as Node resolves them: its conditions only (no bundler-only "module" condition), "main" only.
      conditions: [],
      mainFields: ['main'],
      target: `node${process.versions.node}`,
      keepNames: true,
      sourcemap: 'linked',
      metafile: true,
      logLevel: 'silent',
      // The CommonJS packages inside a bundle reach Node's built-ins through require.
      banner: {
        js: "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);",
      },
      plugins: [
        {
          name: 'each-file-keeps-its-location',
          setup(build) {
            build.onLoad({ filter: /\.([cm]?[jt]s)$/ }, async (args) => {
              const text = await readFile(args.path, 'utf8')
              return { contents: withOwnLocation(text, args.path), loader: /\.[cm]?ts$/.test(args.path) ? 'ts' : 'js' }
            })
          },
        },
      ],
    })
    .catch((error: unknown) => {
      rmSync(outdir, { recursive: true, force: true })
      throw error
    })
    // esbuild's service process would otherwise stay beside the roles until this process exits.
    .finally(() => esbuild.stop())
  const entries = Object.fromEntries(Object.keys(options.entries).map((entry) => [entry, join(outdir, `${entry}.js`)]))
  const record: BuildRecord = { key, dir: name, entries, inputs: inputsOf(root, Object.keys(result.metafile.inputs)) }
  const temporary = `${recordFile}.${process.pid}`
  writeFileSync(temporary, JSON.stringify(record))
  renameSync(temporary, recordFile)
  // Older builds go; the one this replaces stays for a process that may still import one of its chunks,
  // and so does any made in the last minute (another start's, being written or just started).
  for (const entry of readdirSync(cacheDir)) {
    if (!entry.startsWith('build-') || entry === name || entry === kept?.dir) continue
    if ((statOf(join(cacheDir, entry))?.mtimeMs ?? 0) < Date.now() - 60_000)
      rmSync(join(cacheDir, entry), { recursive: true, force: true })
  }
  return { dir: outdir, compileCacheDir: join(outdir, 'compile-cache'), entries, built: true }
}

/**
 * A source as it runs from its own file: `import.meta.url` (and `.dirname`, `.filename`) and, in
 * CommonJS, `__dirname` and `__filename` name the source file, not the bundle.
 */
function withOwnLocation(text: string, file: string): string {
  if (!text.includes('import.meta') && !text.includes('__dirname') && !text.includes('__filename')) return text
  if (text.includes('import.meta.resolve'))
    throw new Error(`${file}: import.meta.resolve cannot be bundled; run the roles from source`)
  let out = text
    .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(file).href))
    .replaceAll('import.meta.dirname', JSON.stringify(dirname(file)))
    .replaceAll('import.meta.filename', JSON.stringify(file))
  // A module that declares its own (an ES module deriving them from import.meta.url) keeps them.
  if (/\b__(dirname|filename)\b/.test(out) && !/\b(var|let|const|function)\s+__(dirname|filename)\b/.test(out))
    out = `var __dirname = ${JSON.stringify(dirname(file))}, __filename = ${JSON.stringify(file)};\n${out}`
  return out
}

function readRecord(file: string): BuildRecord | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as BuildRecord
  } catch {
    return undefined
  }
}

/** The files `sources` were made of, with the package.json and tsconfig that steer each (exports, type, compiler options), and the install. */
function inputsOf(root: string, sources: string[]): Array<[string, number, number]> {
  const files = new Set<string>(['node_modules/.package-lock.json'])
  const seenDirs = new Set<string>()
  for (const source of sources) {
    files.add(source)
    for (let dir = dirname(join(root, source)); !seenDirs.has(dir); dir = dirname(dir)) {
      seenDirs.add(dir)
      for (const steering of ['package.json', 'tsconfig.json', 'tsconfig.base.json']) {
        if (statOf(join(dir, steering)) !== undefined) files.add(relative(root, join(dir, steering)))
      }
      if (dir === root || dirname(dir) === dir) break
    }
  }
  return [...files].map((file): [string, number, number] => {
    const stat = statOf(join(root, file))
    return [file, stat?.mtimeMs ?? -1, stat?.size ?? -1]
  })
}

function unchanged(root: string, inputs: BuildRecord['inputs']): boolean {
  return inputs.every(([file, mtimeMs, size]) => {
    const stat = statOf(join(root, file))
    return (stat?.mtimeMs ?? -1) === mtimeMs && (stat?.size ?? -1) === size
  })
}

function statOf(file: string): { mtimeMs: number; size: number } | undefined {
  try {
    return statSync(file)
  } catch {
    return undefined
  }
}
