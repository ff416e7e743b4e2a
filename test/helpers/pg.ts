// Tests talk to a real PostgreSQL + PostGIS (never a mock). TEST_DATABASE_URL names the server
// (a maintenance database on it); each test file gets its own database, cloned from a template
// that global-setup migrated once.
import pg from 'pg'

export const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
export const TEMPLATE_DB = 'citycheck_test_template'

export function urlFor(database: string): string {
  const u = new URL(ADMIN_URL)
  u.pathname = `/${database}`
  return u.toString()
}

export async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: ADMIN_URL })
  await c.connect()
  try { return await fn(c) } finally { await c.end() }
}
