import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { escapeHtml } from '@ema/server-kit'

export interface CallbackListener {
  redirectUri: string
  /** The first redirect that carries this sign-in's `state`, with the response to answer it on. */
  callback: Promise<{ url: URL; res: ServerResponse }>
  close(): void
}

/**
 * The one-shot loopback listener. CL-14: only a redirect carrying this sign-in's `state` is taken;
 * any other request to `/callback` (a forged one from another local process or a web page that found
 * the port, or a repeat) is answered 400 and ignored, so it cannot end the sign-in in progress.
 */
export async function listenForCallback(host: string, state: string): Promise<CallbackListener> {
  let deliver: ((url: URL, res: ServerResponse) => void) | undefined
  const callback = new Promise<{ url: URL; res: ServerResponse }>((resolve) => {
    deliver = (url, res) => resolve({ url, res })
  })
  let redirectUri = ''
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://loopback')
    if (req.method !== 'GET' || url.pathname !== '/callback') {
      void answerBrowser(res, 404, 'Not found: this listener only takes the sign-in redirect at /callback.')
      return
    }
    if (url.searchParams.get('state') !== state || deliver === undefined) {
      void answerBrowser(
        res,
        400,
        deliver === undefined
          ? 'This sign-in has already been handled.'
          : 'This response does not belong to the sign-in in progress, so it was ignored.',
      )
      return
    }
    const take = deliver
    deliver = undefined
    take(new URL(`${redirectUri}${url.search}`), res)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, resolve)
  })
  redirectUri = `http://${host}:${(server.address() as AddressInfo).port}/callback`
  return {
    redirectUri,
    callback,
    close: () => {
      server.close()
      server.closeIdleConnections()
    },
  }
}

/** Answers the browser with a small page, and resolves once the answer is sent (or the browser left). */
export function answerBrowser(res: ServerResponse, status: number, message: string): Promise<void> {
  const escaped = escapeHtml(message)
  // `connection: close`: nothing keeps the listener alive after the sign-in.
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    connection: 'close',
  })
  return new Promise((resolve) => {
    res.once('close', resolve)
    res.end(`<!doctype html><meta charset="utf-8"><title>Acme Agent CLI</title><p>${escaped}</p>\n`)
  })
}
