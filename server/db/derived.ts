// Rows derived from uploads and kept in the database between runs (migrations 011, 012): the
// walking graph and the homes joined to it (network/cache.ts), the buildings' columns with their
// units, and the rows of the model's other queries (indicators/kept.ts). A city's roads and buildings change once or twice a year; its
// facilities, inspections and figures far more often, and each change is a new run that used to
// rebuild all of them from the uploads.
//
// Rows are keyed by everything they were made from (uploads, zone, settings, positions), so a key that
// matches is never stale; a row that cannot be read is a miss, and one that cannot be written is only
// a lost saving. `uploads` names the uploads a row came from: pruning one (import/pipeline.ts) takes
// its rows with it, and dropping the city all of them.
import type { Knex } from 'knex'
import type pg from 'pg'
import { int8Array } from './binary.ts'
import { copyBinaryRows, copyRawRows } from './bulk.ts'
import { onConnection } from './client.ts'
import { canCopy } from './engine.ts'

export type Kind = 'graph' | 'homes' | 'buildings' | 'extent' | 'parks' | 'rows'

/** A kept row's bytes, or null. */
export async function readCached(knex: Knex, key: string): Promise<Buffer | null> {
  if (!canCopy(knex)) return null
  // A binary COPY: a query would send the tens of MB hex-encoded (see readRunArrays).
  const sql = (c: pg.Client) => `SELECT data FROM derived_cache WHERE key = ${c.escapeLiteral(key)}`
  // (the field shares the stream's bytes: its readers copy what they keep — unpackArrays, JSON.parse)
  return onConnection(knex, async (c) => (await copyRawRows(c, sql(c), { share: true }))[0]?.[0] ?? null)
}

/** Keeps a row (over one kept under the key: the same inputs make the same bytes, and a damaged row heals). */
export async function writeCached(
  knex: Knex,
  row: { key: string; city: string; kind: Kind; uploads: number[]; data: Buffer },
): Promise<void> {
  if (!canCopy(knex)) return
  // By a binary COPY, the row before it under the key deleted in the same transaction (COPY cannot
  // update): as a query parameter the driver copied the tens of MB into a message buffer it grew by half
  // again and again (~90 MB of fresh memory for a 1M city's first run). Two loads writing one key at
  // once take turns on a lock on the key (the later one writes the same bytes again).
  await onConnection(knex, async (c) => {
    await c.query('BEGIN')
    try {
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`derived_cache:${row.key}`])
      await c.query('DELETE FROM derived_cache WHERE key = $1', [row.key])
      await copyBinaryRows(c, 'derived_cache', 'key, city, kind, uploads, data', [
        [row.key, row.city, row.kind, int8Array(row.uploads), row.data],
      ])
      await c.query('COMMIT')
    } catch (e) {
      await c.query('ROLLBACK').catch(() => {})
      throw e
    }
  })
}
