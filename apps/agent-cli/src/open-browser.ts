import { spawn } from 'node:child_process'

/**
 * Asks the desktop to open a URL in the default browser (`open` on macOS, the URL handler of
 * `rundll32` on Windows, `xdg-open` elsewhere). Best effort: the caller has printed the URL already, so a machine without
 * a desktop loses nothing. The URL is passed as one argument, never through a shell string.
 */
export function openBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['rundll32', ['url.dll,FileProtocolHandler', url]]
        : ['xdg-open', [url]]
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true })
    child.on('error', () => {}) // no opener installed: the printed URL is enough
    child.unref()
  } catch {
    // as above
  }
}
