// A run's results are stored as sets: one row per indicator, variant and level, holding its units'
// codes, names, values and statuses as arrays in one order (migrations/008_result_sets.ts; the view
// `indicator_results` unnests them for every reader). A million results are 592 rows.
import type pg from 'pg'
import { copyBinaryRows } from '../db/bulk.ts'
import { OID, float8Array, header, headerSize, textArray } from '../db/binary.ts'
import type { ColumnSet } from './compute.ts'

/** The objects of the last json[] encoded at a level, and their text. */
export interface JsonMemo {
  objects: readonly unknown[]
  texts: (string | null)[]
}

/**
 * Values as a binary json[]; null is NULL. Runs of rows sharing one object are stringified once, and
 * so is an object the memo's set held at the same index: an indicator's variants share each unit's
 * `extra` (coverageSets), so two of three stringifications at a level were repeats.
 */
export function jsonArray(values: readonly unknown[], memo?: JsonMemo): Buffer {
  let last: unknown
  let lastText = ''
  const before = memo?.objects.length === values.length ? memo : null
  const texts = new Array<string | null>(values.length)
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (v == null) texts[i] = null
    else if (v === last) texts[i] = lastText
    else {
      last = v
      lastText = before && before.objects[i] === v ? before.texts[i]! : JSON.stringify(v)
      texts[i] = lastText
    }
  }
  if (memo) {
    memo.objects = values
    memo.texts = texts
  }
  return textArray(texts, OID.json)
}

/** Statuses as a binary text[]: short ASCII words, copied byte by byte (no UTF-8 encoder). */
function statusColumn(statuses: readonly string[]): Buffer {
  const n = statuses.length
  let size = headerSize(n)
  for (let i = 0; i < n; i++) size += 4 + statuses[i].length
  const buf = Buffer.allocUnsafe(size)
  let o = headerSize(n)
  for (let i = 0; i < n; i++) {
    const s = statuses[i]
    buf.writeInt32BE(s.length, o)
    o += 4
    for (let k = 0; k < s.length; k++) buf[o++] = s.charCodeAt(k)
  }
  header(buf, n, false, OID.text)
  return buf
}

const SET_COLUMNS = `run_id, city, indicator, variant, level, unit_codes, unit_names, value, numerator,
  denominator, target, status, extra, extra_all`

/**
 * One INSERT of several rows, each given as its parameters. A run's statements are many and small, and
 * one is answered only when Node's thread is free (between indicators): sent one by one, most of a
 * run's ~600 sets waited for the end of the computation (~1.2 s at a million buildings).
 */
export function multiInsert(table: string, columns: string, rows: unknown[][]): [string, unknown[]] {
  const params: unknown[] = []
  const tuples = rows.map((r) => `(${r.map((v) => `$${params.push(v)}`).join(', ')})`)
  return [`INSERT INTO ${table} (${columns}) VALUES ${tuples.join(', ')}`, params]
}

/** The units of the last set at each level, encoded: most sets of a level list the same units; and its extras. */
type UnitCache = Map<string, { codes: string[]; names: string[]; codeBuf: Buffer; nameBuf: Buffer; extras?: JsonMemo }>

function unitArrays(level: string, codes: string[], names: string[], cache: UnitCache): [Buffer, Buffer] {
  const hit = cache.get(level)
  if (
    hit &&
    (hit.codes === codes || (hit.codes.length === codes.length && hit.codes.every((c, i) => c === codes[i])))
  ) {
    // Same codes; the names too, unless a row says otherwise.
    if (hit.names === names || names.every((nm, i) => nm === hit.names[i])) return [hit.codeBuf, hit.nameBuf]
  }
  const out = { codes, names, codeBuf: textArray(codes), nameBuf: textArray(names), extras: hit?.extras }
  cache.set(level, out)
  return [out.codeBuf, out.nameBuf]
}

/** A set's target for every unit (one number a set), encoded once per target and length in a run. */
function targetColumn(target: number | null, n: number, cache: UnitCache): Buffer {
  const key = `target|${target}|${n}`
  let hit = targets.get(cache)
  if (!hit) targets.set(cache, (hit = new Map()))
  let buf = hit.get(key)
  if (!buf) hit.set(key, (buf = float8Array(new Array<number | null>(n).fill(target))))
  return buf
}
const targets = new WeakMap<UnitCache, Map<string, Buffer>>()

function extraMemo(level: string, cache: UnitCache): JsonMemo | undefined {
  const hit = cache.get(level)
  if (hit) hit.extras ??= { objects: [], texts: [] }
  return hit?.extras
}

/**
 * The parameters of one set's INSERT. Where every unit has the same `extra` (a no-data reason), it is
 * stored once in `extra_all` and `extra` is empty: a third of a run's JSON at a million buildings.
 */
export function setParams(city: string, runId: number, s: ColumnSet, cache: UnitCache = new Map()): unknown[] {
  const first = s.extra[0]
  const shared = first != null && s.extra.every((e) => e === first)
  return [
    runId,
    city,
    s.indicator,
    s.variant,
    s.level,
    ...unitArrays(s.level, s.units.codes, s.units.names, cache),
    float8Array(s.value),
    float8Array(s.numerator),
    float8Array(s.denominator),
    targetColumn(s.target, s.value.length, cache),
    statusColumn(s.status),
    shared ? jsonArray([]) : jsonArray(s.extra, extraMemo(s.level, cache)),
    shared ? JSON.stringify(first) : null,
  ]
}

export interface SetWriter {
  /** Queues rows of another table of the run behind the sets (its per-building arrays). */
  insert(table: string, columns: string, rows: unknown[][]): void
  /** Bytes of parameters queued and not yet inserted: the caller waits (`settled`) past a bound. */
  backlog(): number
  /** Waits until everything queued so far is done. */
  settled(): Promise<void>
  /** Sends an indicator's sets; PostgreSQL inserts them while the caller computes the next. */
  write(sets: ColumnSet[]): void
  /** Waits until every set is inserted; rejects with the first refusal. */
  end(): Promise<void>
  /** Waits for what was sent to settle (its errors dropped), so the connection can take the rollback. */
  abort(): Promise<void>
}

/** PostgreSQL's limit on one statement's parameters. */
const MAX_PARAMS = 65535

/**
 * Inserts a run's result sets on `client` as they are computed: the database inserts them while Node
 * computes the next indicator. A statement's reply is read only when Node's thread is free (between
 * indicators), and the next statement waits for it; so whatever was queued meanwhile goes in one
 * statement per table. Sent one statement per write, the run's ~200 statements fell behind at the
 * walking indicators, and the run waited ~0.55 s for 64 MB of them (1M buildings; README: design notes).
 */
export function setWriter(
  client: pg.ClientBase,
  city: string,
  runId: number,
  opts: {
    /** by COPY in the binary format (PostgreSQL), else by multi-row INSERTs (the embedded engine) */
    copy?: boolean
    /** statements already sent on the connection: the writer sends nothing until they are done */
    after?: Promise<unknown>
  } = {},
): SetWriter {
  let failed: unknown = null
  const cache: UnitCache = new Map()
  let queued = 0
  // Rows waiting for the connection, by table, in the order the tables were first queued.
  const waiting = new Map<string, { columns: string; rows: unknown[][]; bytes: number }>()
  let sending: Promise<void> | null = null
  const send = async () => {
    // (pg runs one statement at a time per connection, and no longer queues a second for the caller)
    if (opts.after) await opts.after.catch(() => {})
    while (waiting.size) {
      const [table, w] = waiting.entries().next().value!
      waiting.delete(table)
      const refused = (e: unknown) => {
        failed ??= e
      }
      if (opts.copy) {
        if (!failed) await copyBinaryRows(client, table, w.columns, w.rows).catch(refused)
      } else {
        const per = Math.floor(MAX_PARAMS / w.rows[0].length)
        for (let i = 0; i < w.rows.length && !failed; i += per)
          await client.query(...multiInsert(table, w.columns, w.rows.slice(i, i + per))).catch(refused)
      }
      queued -= w.bytes
    }
  }
  // (restarted should rows have come in after the loop found none and before it ended)
  const start = () => {
    sending = send().finally(() => {
      sending = null
      if (waiting.size) start()
    })
  }
  const insert = (table: string, columns: string, rows: unknown[][]) => {
    if (!rows.length) return
    let bytes = 0
    for (const r of rows) for (const v of r) if (Buffer.isBuffer(v)) bytes += v.length
    queued += bytes
    const w = waiting.get(table)
    if (w) {
      for (const r of rows) w.rows.push(r)
      w.bytes += bytes
    } else waiting.set(table, { columns, rows, bytes })
    if (!sending) start()
  }
  const settled = async () => {
    while (sending) await sending
  }
  return {
    insert,
    backlog: () => queued,
    settled,
    write(sets) {
      insert(
        'indicator_result_sets',
        SET_COLUMNS,
        sets.map((s) => setParams(city, runId, s, cache)),
      )
    },
    async end() {
      await settled()
      if (failed) throw failed
    },
    abort: settled,
  }
}
