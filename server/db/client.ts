import type { Knex } from 'knex'
import type pg from 'pg'

/** Runs `fn` on one pooled connection of its own (a COPY, or a query in array mode), then gives it back. */
export async function onConnection<T>(knex: Knex, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = (await knex.client.acquireConnection()) as pg.Client
  try {
    return await fn(client)
  } finally {
    await knex.client.releaseConnection(client)
  }
}

/** A query's rows as arrays (no per-row objects: a million rows cost far less), on one pooled connection. */
export const arrayRows = (knex: Knex, text: string, values: unknown[]): Promise<unknown[][]> =>
  onConnection(knex, async (client) => (await client.query({ text, values, rowMode: 'array' })).rows)

/** Runs `fn` on one pooled connection inside BEGIN/COMMIT; any error rolls the whole thing back. */
export async function inTransaction<T>(knex: Knex, fn: (client: pg.ClientBase) => Promise<T>): Promise<T> {
  const client = (await knex.client.acquireConnection()) as pg.ClientBase
  try {
    await client.query('BEGIN')
    try {
      const out = await fn(client)
      await client.query('COMMIT')
      return out
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {})
      throw e
    }
  } finally {
    await knex.client.releaseConnection(client)
  }
}

/**
 * Runs `fn` while holding a session advisory lock, so of several processes starting on one
 * PostgreSQL database only one does it at a time. The embedded engine has one process and a
 * one-connection pool (holding a connection for the lock would starve `fn`), so it just runs.
 */
export async function withStartupLock<T>(
  db: { knex: Knex; engine: string },
  fn: () => Promise<T>,
  key = 'citycheck:startup',
): Promise<T> {
  if (db.engine !== 'postgresql') return fn()
  const client = (await db.knex.client.acquireConnection()) as pg.ClientBase
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [key])
    return await fn()
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', [key]).catch(() => {})
    await db.knex.client.releaseConnection(client)
  }
}
