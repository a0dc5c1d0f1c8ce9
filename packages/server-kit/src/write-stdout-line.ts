import { writeSync } from 'node:fs'

let pending: string[] = []
let scheduled = false

function flush(): void {
  scheduled = false
  if (pending.length === 0) return
  const text = pending.join('')
  pending = []
  process.stdout.write(text)
}

// Lines still waiting when the process ends are written synchronously, so that no line is lost on an
// orderly exit, an uncaught exception or process.exit(); only SIGKILL can lose the last turn's lines.
process.once('exit', () => {
  if (pending.length === 0) return
  writeSync(1, pending.join(''))
  pending = []
})

/**
 * Writes one line to stdout, batched: every line of one turn of the event loop goes out in one write,
 * after the turn (`setImmediate`). Stdout is a pipe or a file in production, and Node writes those
 * synchronously on Linux, so a log line per request was a system call on the request's path; under
 * load, many requests' lines now share one. Order is kept: the logger and the audit trail share this.
 */
export function writeStdoutLine(line: string): void {
  pending.push(line + '\n')
  if (scheduled) return
  scheduled = true
  setImmediate(flush)
}
