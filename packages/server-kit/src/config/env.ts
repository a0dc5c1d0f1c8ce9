/** Environment variables as `process.env` holds them; each role's `loadConfig` takes one, only main.ts passes `process.env`. */
export type Env = Record<string, string | undefined>
