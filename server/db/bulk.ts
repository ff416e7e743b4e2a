// Bulk writes that work on both engines: COPY FROM STDIN on PostgreSQL (as fast as ogr2ogr's
// PG_USE_COPY), and json_populate_recordset batches on the embedded engine, whose socket does not
// carry COPY. Geometries travel as hex EWKB text, which PostGIS parses on input.
import type pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'

/** COPY text format escaping: backslash, tab, newline, carriage return. */
export function copyText(v: unknown): string {
  if (v === null || v === undefined) return '\\N'
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v)
  return /[\\\t\n\r]/.test(s) ? s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : s
}

export async function bulkInsert(
  client: pg.ClientBase,
  table: string,
  columns: string[],
  rows: Iterable<unknown[]>,
  opts: { copy: boolean; total: number; onProgress?: (done: number) => void },
): Promise<void> {
  const cols = columns.map((c) => `"${c}"`).join(', ')
  if (opts.copy) {
    const stream = client.query(copyFrom(`COPY ${table} (${cols}) FROM STDIN`))
    let done = 0
    async function* lines() {
      let buf = ''
      for (const r of rows) {
        buf += r.map(copyText).join('\t') + '\n'
        if (++done % 5000 === 0) { yield buf; buf = ''; opts.onProgress?.(done) }
      }
      if (buf) yield buf
      opts.onProgress?.(done)
    }
    await pipeline(Readable.from(lines()), stream)
    return
  }
  const batch: Record<string, unknown>[] = []
  let done = 0
  const flush = async () => {
    if (!batch.length) return
    await client.query(`INSERT INTO ${table} (${cols}) SELECT ${cols} FROM json_populate_recordset(NULL::${table}, $1::json)`, [JSON.stringify(batch)])
    done += batch.length
    batch.length = 0
    opts.onProgress?.(done)
  }
  for (const r of rows) {
    const o: Record<string, unknown> = {}
    columns.forEach((c, i) => { o[c] = r[i] })
    batch.push(o)
    if (batch.length >= 2000) await flush()
  }
  await flush()
}
