import type { Knex } from 'knex'
import type pg from 'pg'

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
