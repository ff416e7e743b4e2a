// Tests talk to a real PostgreSQL + PostGIS (never a mock). TEST_DATABASE_URL names the server
// (a maintenance database on it); each test file gets its own database, cloned from a template
// that global-setup migrated once. Every name carries this run's id, so two runs on one server
// (two checkouts, CI beside a developer) never touch each other's databases.
import pg from 'pg'
import { inject } from 'vitest'

export const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

declare module 'vitest' {
  export interface ProvidedContext {
    templateDb: string
    runId: string
  }
}

/** The migrated template of this run (set by global-setup). */
export const templateDb = () => inject('templateDb')
/** A database name unique to this run and caller. */
export const scratchName = (tag: string) => `cc_${inject('runId')}_${tag}_${Math.random().toString(36).slice(2, 8)}`

export function urlFor(database: string): string {
  const u = new URL(ADMIN_URL)
  u.pathname = `/${database}`
  return u.toString()
}

export async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: ADMIN_URL })
  await c.connect()
  try {
    return await fn(c)
  } finally {
    await c.end()
  }
}
