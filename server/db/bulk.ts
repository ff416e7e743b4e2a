// Bulk writes that work on both engines: COPY FROM STDIN on PostgreSQL (as fast as ogr2ogr's
// PG_USE_COPY), and json_populate_recordset batches on the embedded engine, whose socket does not
// carry COPY. Geometries travel as hex EWKB text, which PostGIS parses on input.
import type pg from 'pg'
import { from as copyFrom, to as copyTo } from 'pg-copy-streams'
import { finished, pipeline } from 'node:stream/promises'
import { once } from 'node:events'
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

const columnList = (columns: string[]) => columns.map((c) => `"${c}"`).join(', ')

/**
 * One row as a line of COPY text, appended value by value: no array and join per row. With `last`, an
 * object the same as the previous row's in its column reuses that row's JSON (runs of rows share one).
 */
function copyLine(r: unknown[], last?: { obj: unknown[]; text: string[] }): string {
  let line = ''
  for (let k = 0; k < r.length; k++) {
    const v = r[k]
    let text: string
    if (last && v !== null && typeof v === 'object') {
      if (last.obj[k] !== v) {
        last.obj[k] = v
        last.text[k] = copyText(v)
      }
      text = last.text[k]
    } else text = copyText(v)
    line += k ? `\t${text}` : text
  }
  return `${line}\n`
}

/** Inserts in batches where COPY is unavailable (the embedded engine): rows as JSON records. */
function jsonBatches(client: pg.ClientBase, table: string, columns: string[]) {
  const cols = columnList(columns)
  const batch: Record<string, unknown>[] = []
  return {
    batch,
    async flush() {
      if (!batch.length) return
      await client.query(
        `INSERT INTO ${table} (${cols}) SELECT ${cols} FROM json_populate_recordset(NULL::${table}, $1::json)`,
        [JSON.stringify(batch)],
      )
      batch.length = 0
    },
    add(r: unknown[]) {
      const o: Record<string, unknown> = {}
      columns.forEach((c, i) => {
        o[c] = r[i]
      })
      batch.push(o)
    },
  }
}

export interface BulkWriter {
  /** Sends the rows, then lets the event loop hand them to the socket; rejects once the COPY failed. */
  write(rows: Iterable<unknown[]>): Promise<void>
  /** Ends the COPY and waits until PostgreSQL has taken every row. */
  end(): Promise<void>
  /** Cancels the COPY (nothing it sent is kept), so the connection can take the rollback. */
  abort(reason: unknown): Promise<void>
}

/**
 * A COPY kept open while the rows are still being produced, so PostgreSQL inserts one batch while
 * Node computes the next (an indicator run's million results: the database's core works beside Node's
 * instead of after it). A write waits for the socket only when far behind (64 MB buffered).
 */
export function bulkWriter(client: pg.ClientBase, table: string, columns: string[], copy: boolean): BulkWriter {
  if (!copy) {
    const j = jsonBatches(client, table, columns)
    return {
      async write(rows) {
        for (const r of rows) {
          j.add(r)
          if (j.batch.length >= 2000) await j.flush()
        }
      },
      end: () => j.flush(),
      abort: async () => {
        j.batch.length = 0
      },
    }
  }
  const cols = columnList(columns)
  const stream = client.query(copyFrom(`COPY ${table} (${cols}) FROM STDIN`))
  let failed: unknown = null
  stream.on('error', (e) => {
    failed ??= e
  })
  const check = () => {
    if (failed) throw failed
  }
  const last = { obj: [] as unknown[], text: [] as string[] }
  return {
    async write(rows) {
      check()
      let buf = '',
        n = 0
      for (const r of rows) {
        buf += copyLine(r, last)
        if (++n % 5000 === 0) {
          stream.write(buf)
          buf = ''
        }
      }
      if (buf) stream.write(buf)
      if (stream.writableLength > 64 << 20) await once(stream, 'drain')
      else await new Promise(setImmediate)
      check()
    },
    async end() {
      check()
      stream.end()
      await finished(stream)
      check()
    },
    async abort(reason) {
      if (stream.destroyed) return
      stream.destroy(reason instanceof Error ? reason : new Error(String(reason)))
      await finished(stream).catch(() => {})
    },
  }
}

export async function bulkInsert(
  client: pg.ClientBase,
  table: string,
  columns: string[],
  rows: Iterable<unknown[]>,
  opts: { copy: boolean; total: number; onProgress?: (done: number) => void },
): Promise<void> {
  const cols = columnList(columns)
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
        buf += copyLine(r)
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
  const j = jsonBatches(client, table, columns)
  let done = 0
  const flush = async () => {
    done += j.batch.length
    await j.flush()
    opts.onProgress?.(done)
  }
  for (const r of rows) {
    j.add(r)
    if (j.batch.length >= 2000) await flush()
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
