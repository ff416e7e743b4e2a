// Bulk writes that work on both engines: COPY FROM STDIN on PostgreSQL (as fast as ogr2ogr's
// PG_USE_COPY), and json_populate_recordset batches on the embedded engine, whose socket does not
// carry COPY. Geometries travel as hex EWKB text, which PostGIS parses on input.
import type pg from 'pg'
import { from as copyFrom, to as copyTo } from 'pg-copy-streams'
import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'

/** COPY text format escaping: backslash, tab, newline, carriage return. */
export function copyText(v: unknown): string {
  if (v === null || v === undefined) return '\\N'
  // Numbers and booleans never need escaping (the common case: hundreds of thousands of values a run).
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '\\N'
  if (typeof v === 'boolean') return v ? 't' : 'f'
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v)
  return /[\\\t\n\r]/.test(s)
    ? s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
    : s
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
    // A connection killed mid-COPY can report its error on the stream after the pipeline has settled
    // (seen in CI under load): the pipeline's rejection is the one that counts, so a late duplicate
    // must not become an uncaught exception that brings the process down.
    stream.on('error', () => {})
    let done = 0
    async function* lines() {
      let buf = ''
      for (const r of rows) {
        // Appended value by value: no array and join per row (a million rows a run).
        for (let k = 0; k < r.length; k++) buf += k ? `\t${copyText(r[k])}` : copyText(r[k])
        buf += '\n'
        if (++done % 5000 === 0) {
          yield buf
          buf = ''
          opts.onProgress?.(done)
        }
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
    await client.query(
      `INSERT INTO ${table} (${cols}) SELECT ${cols} FROM json_populate_recordset(NULL::${table}, $1::json)`,
      [JSON.stringify(batch)],
    )
    done += batch.length
    batch.length = 0
    opts.onProgress?.(done)
  }
  for (const r of rows) {
    const o: Record<string, unknown> = {}
    columns.forEach((c, i) => {
      o[c] = r[i]
    })
    batch.push(o)
    if (batch.length >= 2000) await flush()
  }
  await flush()
}

/**
 * Reads a query's numeric columns straight into Float64Arrays through COPY … TO STDOUT: no row
 * objects, and parsing overlaps with PostgreSQL producing the rows. NULL → NaN, booleans → 1/0.
 * Only for numbers and booleans (the text is parsed as such); `sql` must not take parameters.
 */
export async function copyColumns(
  client: pg.ClientBase,
  sql: string,
  ncols: number,
): Promise<{ n: number; cols: Float64Array[] }> {
  let cap = 1 << 16
  let cols = Array.from({ length: ncols }, () => new Float64Array(cap))
  let n = 0
  let rest = ''
  const take = (line: string) => {
    if (!line) return
    if (n === cap) {
      cap *= 2
      cols = cols.map((c) => {
        const d = new Float64Array(cap)
        d.set(c)
        return d
      })
    }
    let start = 0
    for (let k = 0; k < ncols; k++) {
      let end = line.indexOf('\t', start)
      if (end < 0) end = line.length
      const f = line.slice(start, end)
      cols[k][n] = f === '\\N' ? NaN : f === 't' ? 1 : f === 'f' ? 0 : Number(f)
      start = end + 1
    }
    n++
  }
  const stream = client.query(copyTo(`COPY (${sql}) TO STDOUT`))
  // As for COPY FROM: the loop below sees the first error; a late duplicate must not go uncaught.
  stream.on('error', () => {})
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const text = rest + chunk.toString('latin1')
    const lines = text.split('\n')
    rest = lines.pop()!
    for (const l of lines) take(l)
  }
  take(rest)
  return { n, cols: cols.map((c) => c.subarray(0, n)) }
}
