// A run's results are stored as sets: one row per indicator, variant and level, holding its units'
// codes, names, values and statuses as arrays in one order (migrations/008_result_sets.ts; the view
// `indicator_results` unnests them for every reader). A million results are ~1,800 rows.
import type pg from 'pg'
import type { ResultRow } from './compute.ts'

/** One indicator's results at one level under one variant, as the columns of indicator_result_sets. */
export interface ResultSet {
  indicator: string
  variant: string
  level: string
  rows: ResultRow[]
}

/** The rows grouped by indicator, variant and level, each group in the order its rows came. */
export function groupSets(rows: ResultRow[]): ResultSet[] {
  const sets = new Map<string, ResultSet>()
  for (const r of rows) {
    const key = `${r.indicator}|${r.variant}|${r.level}`
    let s = sets.get(key)
    if (!s) sets.set(key, (s = { indicator: r.indicator, variant: r.variant, level: r.level, rows: [] }))
    s.rows.push(r)
  }
  return [...sets.values()]
}

// The arrays travel in PostgreSQL's binary array format (a Buffer parameter is sent as binary): the
// database copies floats and strings instead of parsing text, escapes and quotes — for a million
// results 2.8 s of PostgreSQL's time as array literals (README: design notes).
const OID = { text: 25, float8: 701, json: 114 } as const

/** ndim 1, the null flag, the element type, the length, lower bound 1; or ndim 0 when empty. */
function header(buf: Buffer, n: number, hasNull: boolean, oid: number): void {
  buf.writeInt32BE(n ? 1 : 0, 0)
  buf.writeInt32BE(hasNull ? 1 : 0, 4)
  buf.writeInt32BE(oid, 8)
  if (n) {
    buf.writeInt32BE(n, 12)
    buf.writeInt32BE(1, 16)
  }
}
const headerSize = (n: number) => (n ? 20 : 12)

/** Numbers as a binary float8[]; null and non-finite values are NULL (as the COPY text writes them). */
export function float8Array(values: readonly (number | null | undefined)[]): Buffer {
  const n = values.length
  const buf = Buffer.allocUnsafe(headerSize(n) + n * 12)
  let o = headerSize(n)
  let hasNull = false
  for (let i = 0; i < n; i++) {
    const v = values[i]
    if (v == null || !Number.isFinite(v)) {
      buf.writeInt32BE(-1, o)
      o += 4
      hasNull = true
    } else {
      buf.writeInt32BE(8, o)
      buf.writeDoubleBE(v, o + 4)
      o += 12
    }
  }
  header(buf, n, hasNull, OID.float8)
  return buf.subarray(0, o)
}

/** Strings as a binary text[] (or json[] with `oid`); null is NULL. */
export function textArray(values: readonly (string | null | undefined)[], oid: number = OID.text): Buffer {
  const n = values.length
  let size = headerSize(n)
  let hasNull = false
  // A run of equal strings (one no-data reason for every unit) is measured once.
  let last: string | undefined
  let lastLen = 0
  for (let i = 0; i < n; i++) {
    const v = values[i]
    if (v == null) {
      hasNull = true
      size += 4
      continue
    }
    if (v !== last) {
      last = v
      lastLen = Buffer.byteLength(v)
    }
    size += 4 + lastLen
  }
  const buf = Buffer.allocUnsafe(size)
  let o = headerSize(n)
  for (let i = 0; i < n; i++) {
    const v = values[i]
    if (v == null) {
      buf.writeInt32BE(-1, o)
      o += 4
    } else {
      const len = buf.write(v, o + 4)
      buf.writeInt32BE(len, o)
      o += 4 + len
    }
  }
  header(buf, n, hasNull, oid)
  return buf
}

/** Values as a binary json[]; null is NULL. Runs of rows sharing one object are stringified once. */
export function jsonArray(values: readonly unknown[]): Buffer {
  let last: unknown
  let lastText = ''
  return textArray(
    values.map((v) => {
      if (v == null) return null
      if (v !== last) {
        last = v
        lastText = JSON.stringify(v)
      }
      return lastText
    }),
    OID.json,
  )
}

const INSERT = `INSERT INTO indicator_result_sets (run_id, city, indicator, variant, level, unit_codes, unit_names,
  value, numerator, denominator, target, status, extra) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`

/** The parameters of one set's INSERT. */
export function setParams(city: string, runId: number, s: ResultSet): unknown[] {
  const { rows } = s
  return [
    runId,
    city,
    s.indicator,
    s.variant,
    s.level,
    textArray(rows.map((r) => r.unit_code)),
    textArray(rows.map((r) => r.unit_name)),
    float8Array(rows.map((r) => r.value)),
    float8Array(rows.map((r) => r.numerator)),
    float8Array(rows.map((r) => r.denominator)),
    float8Array(rows.map((r) => r.target)),
    textArray(rows.map((r) => r.status)),
    jsonArray(rows.map((r) => r.extra)),
  ]
}

export interface SetWriter {
  /** Sends the rows' sets; PostgreSQL inserts them while the caller computes the next rows. */
  write(rows: ResultRow[]): void
  /** Waits until every set is inserted; rejects with the first refusal. */
  end(): Promise<void>
  /** Waits for what was sent to settle (its errors dropped), so the connection can take the rollback. */
  abort(): Promise<void>
}

/**
 * Inserts a run's result sets on `client` as they are computed. The INSERTs are queued on the
 * connection, not awaited one by one: the database works on one while Node computes the next.
 */
export function setWriter(client: pg.ClientBase, city: string, runId: number): SetWriter {
  const pending: Promise<unknown>[] = []
  let failed: unknown = null
  return {
    write(rows) {
      for (const s of groupSets(rows))
        pending.push(
          client.query(INSERT, setParams(city, runId, s)).catch((e) => {
            failed ??= e
          }),
        )
    },
    async end() {
      await Promise.all(pending)
      if (failed) throw failed
    },
    async abort() {
      await Promise.all(pending)
    },
  }
}
