import express from 'express'
import { fileURLToPath } from 'node:url'

/** The folder of the page's own script and style sheet (the CSP allows scripts and styles from 'self' only). */
const STATIC_DIR = fileURLToPath(new URL('../static/', import.meta.url))

/** Serves `static/` at `/static/`: `stage.js` (the live sequence diagram) and `stage.css`. Nothing else is listed. */
export function serveStaticAssets(app: express.Express): void {
  app.use('/static', express.static(STATIC_DIR, { index: false, dotfiles: 'deny', fallthrough: true, redirect: false }))
}
