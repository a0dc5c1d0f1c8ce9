import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, test } from 'node:test'
import { PortInUseError, startRoles, type RoleSpec } from '../src/index.ts'

const workDir = mkdtempSync(path.join(tmpdir(), 'demo-kit-'))
after(() => rmSync(workDir, { recursive: true, force: true }))

/** A folder with `src/main.ts` holding `source`, as an app has. */
function role(name: string, source: string): string {
  const cwd = path.join(workDir, name)
  mkdirSync(path.join(cwd, 'src'), { recursive: true })
  writeFileSync(path.join(cwd, 'src', 'main.ts'), source)
  return cwd
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

const SERVER = `
import { createServer } from 'node:http'
console.log('starting on', process.env.DEMO_PORT)
createServer((_req, res) => res.end('ok')).listen(Number(process.env.DEMO_PORT), 'localhost')
process.on('SIGTERM', () => { console.log('bye'); process.exit(0) })
`

test('starts a role, waits until it answers, collects its output prefixed by name, and stops it', async () => {
  const port = await freePort()
  const spec: RoleSpec = { name: 'web', cwd: role('web', SERVER), readyUrl: `http://localhost:${port}/`, port }
  const started: string[] = []
  const running = await startRoles([spec], {
    env: { ...process.env, DEMO_PORT: String(port) },
    started: (r) => started.push(r.spec.name),
  })
  assert.deepEqual(started, ['web'])
  assert.equal((await fetch(spec.readyUrl)).status, 200)
  const [web] = running.roles
  assert.ok(web !== undefined && !web.hasExited() && !web.stopRequested())
  await running.stop()
  assert.ok(web.hasExited() && web.stopRequested())
  assert.match(running.output(), new RegExp(`^web \\| starting on ${port}\\nweb \\| bye`))
})

test("a role's own env is set over the common one", async () => {
  const port = await freePort()
  const spec: RoleSpec = {
    name: 'own-env',
    cwd: role('own-env', SERVER),
    readyUrl: `http://localhost:${port}/`,
    env: { DEMO_PORT: String(port) },
  }
  const running = await startRoles([spec], { env: { ...process.env, DEMO_PORT: '9' } })
  await running.stop()
  assert.match(running.output(), new RegExp(`^own-env \\| starting on ${port}\n`))
})

test('refuses a role that exits before it is ready, with its output', async () => {
  const spec: RoleSpec = {
    name: 'crash',
    cwd: role('crash', "console.error('no config'); process.exit(3)\n"),
    readyUrl: 'http://localhost:9/',
  }
  await assert.rejects(
    startRoles([spec], { env: process.env }),
    /crash exited \(3\) before http:\/\/localhost:9\/ answered:\nno config/,
  )
})

test('stops the roles it started when a later one fails', async () => {
  const port = await freePort()
  const roles: RoleSpec[] = [
    { name: 'web', cwd: role('web2', SERVER), readyUrl: `http://localhost:${port}/` },
    { name: 'crash', cwd: role('crash2', 'process.exit(1)\n'), readyUrl: 'http://localhost:9/' },
  ]
  const started: { hasExited(): boolean }[] = []
  await assert.rejects(
    startRoles(roles, { env: { ...process.env, DEMO_PORT: String(port) }, started: (r) => started.push(r) }),
    /crash exited/,
  )
  assert.equal(started.length, 2)
  assert.ok(started.every((r) => r.hasExited()))
})

test('refuses a taken port before starting anything', async () => {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve))
  const { port } = server.address() as AddressInfo
  try {
    const started: string[] = []
    const error = await startRoles(
      [{ name: 'web', cwd: role('web3', SERVER), readyUrl: `http://localhost:${port}/`, port }],
      { env: process.env, started: (r) => started.push(r.spec.name) },
    ).catch((e: unknown) => e)
    assert.ok(error instanceof PortInUseError)
    assert.equal(error.port, port)
    assert.equal(error.role, 'web')
    assert.deepEqual(started, [])
  } finally {
    await new Promise((resolve) => server.close(resolve))
  }
})

test('keeps only the last outputLimit characters when asked', async () => {
  const port = await freePort()
  const source = `console.log('x'.repeat(5000))\n${SERVER}`
  const running = await startRoles(
    [{ name: 'chatty', cwd: role('chatty', source), readyUrl: `http://localhost:${port}/` }],
    { env: { ...process.env, DEMO_PORT: String(port) }, outputLimit: 100 },
  )
  await running.stop()
  assert.ok((running.roles[0]?.output().length ?? 0) <= 100)
})

test('a role that cannot even be spawned (no such folder) is refused, not an unhandled error event', async () => {
  const port = await freePort()
  const spec: RoleSpec = {
    name: 'ghost',
    cwd: path.join(workDir, 'no-such-folder'),
    readyUrl: `http://localhost:${port}/`,
  }
  await assert.rejects(
    startRoles([spec], { env: process.env }),
    /ghost exited \(.*\) before [\s\S]*could not start: spawn .*ENOENT/,
  )
})
