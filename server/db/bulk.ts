// Bulk writes that work on both engines: COPY FROM STDIN on PostgreSQL (as fast as ogr2ogr's
// PG_USE_COPY), and json_populate_recordset batches on the embedded engine, whose socket does not
// carry COPY. Geometries travel as hex EWKB text, which PostGIS parses on input.
import type pg from 'pg'
import { from as copyFrom, to as copyTo } from 'pg-copy-streams'
import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'

/** What bulkInsert takes beside single tuples: a batch of them, or rows already as COPY text. */
export type BulkChunk = { tuples: unknown[][] } | { copy: Buffer; rows: number }

function* batches(rows: Iterable<unknown[]>): Generator<BulkChunk> {
  let tuples: unknown[][] = []
  for (const r of rows) {
    tuples.push(r)
    if (tuples.length === 5000) {
      yield { tuples }
      tuples = []
    }
  }
  if (tuples.length) yield { tuples }
}

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

/** One row as a line of COPY text, appended value by value: no array and join per row. */
export function copyLine(r: unknown[]): string {
  let line = ''
  for (let k = 0; k < r.length; k++) {
    const text = copyText(r[k])
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

export async function bulkInsert(
  client: pg.ClientBase,
  table: string,
  columns: string[],
  rows: Iterable<unknown[]> | AsyncIterable<BulkChunk>,
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
      let since = 0
      const add = (r: unknown[]) => {
        buf += copyLine(r)
        done++
        since++
      }
      // Single tuples in batches: one await per batch, not per row.
      const source = Symbol.asyncIterator in rows ? rows : batches(rows)
      for await (const r of source) {
        if ('tuples' in r) for (const t of r.tuples) add(t)
        else {
          // COPY text made elsewhere (a worker thread): sent as it is, after what came before it.
          if (buf) yield buf
          buf = ''
          yield r.copy
          done += r.rows
          since += r.rows
        }
        if (since >= 5000) {
          if (buf) yield buf
          buf = ''
          since = 0
          opts.onProgress?.(done)
        }
      }
      if (buf) yield buf
      opts.onProgress?.(done)
    }
    await pipeline(Readable.from(lines()), stream)
    return
  }
  if (Symbol.asyncIterator in rows) throw new Error('chunks of COPY text need COPY')
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

/** Readers of the binary COPY format's fields, by type OID (PostgreSQL's send functions: big-endian). */
const BINARY: Record<number, (v: DataView, p: number) => number> = {
  16: (v, p) => v.getUint8(p), // bool
  20: (v, p) => Number(v.getBigInt64(p)), // int8
  21: (v, p) => v.getInt16(p), // int2
  23: (v, p) => v.getInt32(p), // int4
  700: (v, p) => v.getFloat32(p), // float4
  701: (v, p) => v.getFloat64(p), // float8
}
/** PGCOPY\n\377\r\n\0, then 32-bit flags and the length of a header extension. */
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1')
/** The binary COPY stream's start (no flags, no header extension) and its end (a field count of −1). */
const COPY_START = Buffer.concat([SIGNATURE, Buffer.alloc(8)])
const COPY_END = Buffer.from([0xff, 0xff])
/** Fields at least this long go to the stream as they are; shorter ones are gathered with their neighbours. */
const OWN_CHUNK = 4096

/** One row of the binary COPY format, as chunks for the stream (see copyBinaryRows). */
function* binaryRow(r: readonly unknown[]): Generator<Buffer> {
  const count = Buffer.allocUnsafe(2)
  count.writeInt16BE(r.length)
  const small: Buffer[] = [count]
  for (const v of r) {
    const len = Buffer.allocUnsafe(4)
    small.push(len)
    if (v == null) {
      len.writeInt32BE(-1)
      continue
    }
    let bytes: Buffer
    if (Buffer.isBuffer(v)) bytes = v
    else if (typeof v === 'string') bytes = Buffer.from(v)
    else if (typeof v === 'number' && Number.isSafeInteger(v)) {
      bytes = Buffer.allocUnsafe(8)
      bytes.writeBigInt64BE(BigInt(v))
    } else throw new Error(`copyBinaryRows: a ${typeof v} is not a field (Buffer, string, integer or null)`)
    len.writeInt32BE(bytes.length)
    if (bytes.length < OWN_CHUNK) small.push(bytes)
    else {
      yield Buffer.concat(small)
      small.length = 0
      yield bytes
    }
  }
  if (small.length) yield Buffer.concat(small)
}

/**
 * Rows into a table by COPY … FROM STDIN in the binary format, each value given as its binary form: a
 * Buffer as it is (a binary array, bytea), a string as UTF-8 (text, json), an integer as int8, null as
 * NULL. The Buffers go to the socket as they are: sent as query parameters, the driver copied each
 * into a message buffer it grew by half again and again, ~0.2 s of the main thread for a 1M city's
 * run of result sets and per-building arrays.
 */
export async function copyBinaryRows(
  client: pg.ClientBase,
  table: string,
  columns: string,
  rows: readonly (readonly unknown[])[],
): Promise<void> {
  const stream = client.query(copyFrom(`COPY ${table} (${columns}) FROM STDIN (FORMAT binary)`))
  stream.on('error', () => {}) // (the pipeline's rejection is the one that counts: see bulkInsert)
  function* chunks() {
    yield COPY_START
    for (const r of rows) yield* binaryRow(r)
    yield COPY_END
  }
  await pipeline(Readable.from(chunks()), stream)
}

/**
 * Reads a query's numeric columns straight into Float64Arrays through COPY … TO STDOUT in the binary
 * format: no row objects, no text, and parsing overlaps with PostgreSQL producing the rows. NULL → NaN,
 * booleans → 1/0; columns of bool, int2/4/8 and float4/8 only (checked before the COPY starts).
 * `sql` must not take parameters. Binary because the text format cost both sides: PostgreSQL printing
 * ten million shortest round-trip decimals and Node reading them back (2.2 s of the main thread for a
 * million buildings' ten columns, against ~0.3 s reading the doubles as sent).
 */
export async function copyColumns(
  client: pg.ClientBase,
  sql: string,
  ncols: number,
): Promise<{ n: number; cols: Float64Array[] }> {
  // The columns' types, from the query planned but not run.
  const probe = await client.query({ text: `SELECT * FROM (${sql}) q LIMIT 0`, rowMode: 'array' })
  const readers = probe.fields.map((f) => {
    const r = BINARY[f.dataTypeID]
    if (!r) throw new Error(`copyColumns: column ${f.name} has type ${f.dataTypeID}, not a number or boolean`)
    return r
  })
  if (readers.length !== ncols) throw new Error(`copyColumns: ${readers.length} columns, ${ncols} expected`)
  let cap = 1 << 16
  let cols = Array.from({ length: ncols }, () => new Float64Array(cap))
  let n = 0
  const grow = () => {
    cap *= 2
    cols = cols.map((c) => {
      const d = new Float64Array(cap)
      d.set(c)
      return d
    })
  }
  const stream = client.query(copyTo(`COPY (${sql}) TO STDOUT (FORMAT binary)`))
  // As for COPY FROM: the loop below sees the first error; a late duplicate must not go uncaught.
  stream.on('error', () => {})
  let tail: Buffer | null = null
  let header = true
  let ended = false
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const b: Buffer = tail ? Buffer.concat([tail, chunk]) : chunk
    const len = b.length
    let p = 0
    if (header) {
      // (the signature, flags and the header extension's length, then the extension: waited for whole)
      if (len < 19 || len < 19 + b.readUInt32BE(15)) {
        tail = b
        continue
      }
      if (!b.subarray(0, 11).equals(SIGNATURE)) throw new Error('copyColumns: not a binary COPY stream')
      p = 19 + b.readUInt32BE(15)
      header = false
    }
    // Whole tuples only (a field count, then each field's length, -1 for NULL, and its bytes); a tuple
    // cut by the chunk's end is read again from the next chunk.
    const v = new DataView(b.buffer, b.byteOffset, len)
    while (p + 2 <= len) {
      const count = v.getInt16(p)
      if (count === -1) {
        ended = true
        p += 2
        break
      }
      if (n === cap) grow()
      let q = p + 2
      let whole = true
      for (let k = 0; k < count; k++) {
        if (q + 4 > len) {
          whole = false
          break
        }
        const size = v.getInt32(q)
        q += 4
        if (size > 0 && q + size > len) {
          whole = false
          break
        }
        if (k < ncols) cols[k][n] = size < 0 ? NaN : readers[k](v, q)
        if (size > 0) q += size
      }
      if (!whole) break
      for (let k = count; k < ncols; k++) cols[k][n] = NaN
      n++
      p = q
    }
    tail = p < len ? b.subarray(p) : null
  }
  if (!ended) throw new Error('copyColumns: the COPY stream ended early')
  return { n, cols: cols.map((c) => c.subarray(0, n)) }
}

/**
 * The rows of `sql` by a binary COPY, each field as its own bytes (null for NULL). For bytea, which a
 * plain query sends hex-encoded (twice the bytes to send and decode) and pg cannot take in binary
 * (its protocol parser reads every field as UTF-8 text). The stream is gathered whole, then cut.
 */
export async function copyRawRows(
  client: pg.ClientBase,
  sql: string,
  opts: { share?: boolean } = {},
): Promise<(Buffer | null)[][]> {
  const stream = client.query(copyTo(`COPY (${sql}) TO STDOUT (FORMAT binary)`))
  stream.on('error', () => {}) // (the loop below sees the first error; see copyColumns)
  const chunks: Buffer[] = []
  let total = 0
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    chunks.push(chunk)
    total += chunk.length
  }
  // Shared fields are laid so that the first row's first field starts at a multiple of 8 in memory
  // (after the 19-byte header, its extension, the field count and the length): a kept row's typed
  // arrays can then be read in place (db/packed.ts unpackArrays' views) rather than copied again. And
  // in shared memory: posted to a worker thread (a kept graph, the homes' join), they are not copied.
  let b: Buffer
  if (opts.share) {
    const ext = chunks[0]?.length >= 19 ? chunks[0].readUInt32BE(15) : 0
    const pad = (8 - ((19 + ext + 6) % 8)) % 8
    b = Buffer.from(new SharedArrayBuffer(total + pad)).subarray(pad)
    let o = 0
    for (const c of chunks) {
      b.set(c, o)
      o += c.length
    }
  } else b = Buffer.concat(chunks, total)
  const broken = () => new Error('copyRawRows: not a whole binary COPY stream')
  if (b.length < 19 || !b.subarray(0, 11).equals(SIGNATURE)) throw broken()
  let p = 19 + b.readUInt32BE(15)
  const rows: (Buffer | null)[][] = []
  for (;;) {
    if (p + 2 > b.length) throw broken()
    const count = b.readInt16BE(p)
    p += 2
    if (count === -1) return rows
    const row: (Buffer | null)[] = []
    for (let k = 0; k < count; k++) {
      if (p + 4 > b.length) throw broken()
      const size = b.readInt32BE(p)
      p += 4
      if (size < 0) row.push(null)
      else {
        if (p + size > b.length) throw broken()
        // A copy (aligned, and a field kept must not hold the whole stream's buffer alive), unless the
        // caller shares the stream's bytes: a kept row's one field of tens of MB, unpacked at once.
        row.push(opts.share ? b.subarray(p, p + size) : Buffer.from(b.subarray(p, p + size)))
        p += size
      }
    }
    rows.push(row)
  }
}
