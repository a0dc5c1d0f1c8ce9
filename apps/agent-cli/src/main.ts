// `npm run agent -- <command>`: the headless agent CLI. An entry file: the only file under
// src/agent/ that reads process.env, process.argv or stdin.
import { openBrowser } from './open-browser.ts'
import { runAgentCommand } from './run-agent-command.ts'

const readStdin = async (): Promise<string> => {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

if (process.env.ALLOW_INSECURE_HTTP === 'true') {
  // Style rule 10: the insecure demo switch is never silent (CL-48).
  process.stderr.write(
    'WARNING: ALLOW_INSECURE_HTTP=true: tokens travel over plain http to loopback hosts. Local demos only.\n',
  )
}

process.exitCode = await runAgentCommand(process.argv.slice(2), {
  env: process.env,
  fetch: globalThis.fetch,
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  openUrl: (url) => {
    if (process.env.AGENT_OPEN_BROWSER !== 'false') openBrowser(url)
  },
  readStdin,
})
