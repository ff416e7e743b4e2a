// The walking graph and the homes joined to it, kept in the database between runs (migration 011).
// A city's roads and buildings change once or twice a year; its facilities, inspections and figures
// far more often, and each change is a new run. Building the graph from a million road vertices and
// joining ~700,000 homes to it took the network's worker ~4 s of CPU on every cold run at a million
// buildings — on two cores, CPU the main thread and PostgreSQL were waiting for. A kept graph is
// read back in ~0.1 s.
//
// Rows are derived data keyed by everything they were made from (uploads, zone, settings, the homes'
// positions), so a key that matches is never stale; a row that cannot be read is a miss, and one that
// cannot be written is only a lost saving.
import crypto from 'node:crypto'
import type { Knex } from 'knex'
import type pg from 'pg'
import { canCopy } from '../db/engine.ts'
import { copyRawRows } from '../db/bulk.ts'
import { onConnection } from '../db/client.ts'
import { type Graph, graphFromEdges } from './graph.ts'
import type { Snapped } from './reach.ts'

/** Bumped whenever what a row holds, or how a graph or join is made, changes: old rows are then misses. */
const FORMAT = 1

type Arrays = Record<string, Float64Array | Int32Array>
const TYPES = { f64: Float64Array, i32: Int32Array } as const
const MAGIC = 0x63636e63 // "ccnc"

/**
 * Named typed arrays and a JSON header in one buffer: magic, header length, header, then each array's
 * bytes at a multiple of 8.
 */
export function packArrays(meta: unknown, arrays: Arrays): Buffer {
  const list = Object.entries(arrays).map(([name, a]) => [name, a instanceof Float64Array ? 'f64' : 'i32', a.length])
  const head = Buffer.from(JSON.stringify({ meta, arrays: list }))
  const pad = (n: number) => Math.ceil(n / 8) * 8
  let size = pad(8 + head.length)
  for (const a of Object.values(arrays)) size += pad(a.byteLength)
  const out = Buffer.alloc(size)
  out.writeUInt32LE(MAGIC, 0)
  out.writeUInt32LE(head.length, 4)
  head.copy(out, 8)
  let o = pad(8 + head.length)
  for (const a of Object.values(arrays)) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), o)
    o += pad(a.byteLength)
  }
  return out
}

/** packArrays' header, where its arrays start, and whether the bytes hold every array it lists; else null. */
function layout(b: Buffer) {
  try {
    if (b.length < 8 || b.readUInt32LE(0) !== MAGIC) return null
    const len = b.readUInt32LE(4)
    const head = JSON.parse(b.toString('utf8', 8, 8 + len)) as {
      meta: unknown
      arrays: [string, keyof typeof TYPES, number][]
    }
    let o = Math.ceil((8 + len) / 8) * 8
    const start = o
    for (const [, type, n] of head.arrays) {
      const T = TYPES[type]
      if (!T || !(Number.isInteger(n) && n >= 0)) return null
      o += Math.ceil((n * T.BYTES_PER_ELEMENT) / 8) * 8
    }
    return o <= b.length ? { ...head, start } : null
  } catch {
    return null
  }
}

const asBuffer = (buf: Uint8Array) => Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)

/** What packArrays packed (each array a copy, aligned), or null if the bytes are not such a buffer. */
export function unpackArrays(buf: Uint8Array): { meta: unknown; arrays: Arrays } | null {
  const b = asBuffer(buf)
  const l = layout(b)
  if (!l) return null
  const arrays: Arrays = {}
  let o = l.start
  for (const [name, type, n] of l.arrays) {
    const a = new TYPES[type](n)
    new Uint8Array(a.buffer).set(b.subarray(o, o + a.byteLength))
    arrays[name] = a
    o += Math.ceil(a.byteLength / 8) * 8
  }
  return { meta: l.meta, arrays }
}

/** The header of packArrays' bytes alone (no array copied), or null if they do not hold what it lists. */
export function packedMeta(buf: Uint8Array): unknown {
  return layout(asBuffer(buf))?.meta ?? null
}

/** A graph as kept: its nodes' positions and edges (the rest is derived: graphFromEdges). */
export const packGraph = (g: Graph, meta: GraphMeta): Buffer =>
  packArrays(meta, { x: g.x, y: g.y, segA: g.segA, segB: g.segB })

export interface GraphMeta {
  noding: 'vertices' | 'crossings'
  lines: number
  excluded: number
}

export function unpackGraph(buf: Uint8Array): { graph: Graph; meta: GraphMeta } | null {
  const u = unpackArrays(buf)
  const { x, y, segA, segB } = (u?.arrays ?? {}) as Record<string, unknown>
  if (!(x instanceof Float64Array && y instanceof Float64Array)) return null
  if (!(segA instanceof Int32Array && segB instanceof Int32Array) || x.length !== y.length) return null
  for (let e = 0; e < segA.length; e++)
    if (!(segA[e] >= 0 && segA[e] < x.length && segB[e] >= 0 && segB[e] < x.length)) return null
  return { graph: graphFromEdges(x, y, segA, segB), meta: u!.meta as GraphMeta }
}

export const packSnapped = (s: Snapped): Buffer => packArrays(null, { seg: s.seg, t: s.t, leg: s.leg })

export function unpackSnapped(buf: Uint8Array, n: number): Snapped | null {
  const a = unpackArrays(buf)?.arrays
  if (!a || !(a.seg instanceof Int32Array) || !(a.t instanceof Float64Array) || !(a.leg instanceof Float64Array))
    return null
  if (a.seg.length !== n || a.t.length !== n || a.leg.length !== n) return null
  return { seg: a.seg, t: a.t, leg: a.leg }
}

const sha1 = (parts: (string | ArrayBufferView)[]) => {
  const h = crypto.createHash('sha1')
  for (const p of parts) h.update(typeof p === 'string' ? p : new Uint8Array(p.buffer, p.byteOffset, p.byteLength))
  return h.digest('hex')
}

/** The key of a roads upload's graph in a zone under these settings (only what the graph depends on). */
export const graphKey = (roads: number, srid: number, s: { excludeKinds: string[]; noding: string }) =>
  `graph:${sha1([JSON.stringify([FORMAT, roads, srid, [...s.excludeKinds].map((k) => k.toLowerCase()).sort(), s.noding])])}`

/** The key of these homes (ids and positions) joined to that graph with this access cap. */
export const homesKey = (graph: string, cap: number, ids: Int32Array, x: Float64Array, y: Float64Array) =>
  `homes:${sha1([JSON.stringify([FORMAT, graph, cap]), ids, x, y])}`

/** A kept row's bytes, or null. */
export async function readCached(knex: Knex, key: string): Promise<Buffer | null> {
  if (!canCopy(knex)) return null
  // A binary COPY: a query would send the tens of MB hex-encoded (see readRunArrays).
  const sql = (c: pg.Client) => `SELECT data FROM network_cache WHERE key = ${c.escapeLiteral(key)}`
  return onConnection(knex, async (c) => (await copyRawRows(c, sql(c)))[0]?.[0] ?? null)
}

/** Keeps a row (over one kept under the key: the same inputs make the same bytes, and a damaged row heals). */
export async function writeCached(
  knex: Knex,
  row: { key: string; city: string; kind: 'graph' | 'homes'; uploads: number[]; data: Buffer },
): Promise<void> {
  if (!canCopy(knex)) return
  await knex.raw(
    'INSERT INTO network_cache (key, city, kind, uploads, data) VALUES (?, ?, ?, ?::bigint[], ?) ON CONFLICT (key) DO UPDATE SET data = excluded.data, created_at = now()',
    [row.key, row.city, row.kind, row.uploads, row.data],
  )
}

/** The homes' join kept under this key, if it is there and fits `n` homes. */
export async function keptHomes(knex: Knex, key: string, n: number): Promise<Snapped | null> {
  const b = await readCached(knex, key)
  return b && unpackSnapped(b, n)
}

/**
 * Keeps what this run built afresh: the graph (unless it came from a kept row) and the homes' join.
 * The homes' row names the buildings and 小区 uploads too (which buildings are homes depends on both),
 * so it goes when any of them is pruned.
 */
export async function keepNetwork(
  knex: Knex,
  at: { city: string; graphKey: string; homesKey: string; uploads: { graph: number[]; homes: number[] } },
  net: {
    graph: Graph
    noding: GraphMeta['noding']
    lines: number
    excluded: number
    residential: Snapped
    kept: { graph: boolean; homes: boolean }
  },
): Promise<void> {
  if (!canCopy(knex)) return
  if (!net.kept.graph) {
    const meta: GraphMeta = { noding: net.noding, lines: net.lines, excluded: net.excluded }
    const data = packGraph(net.graph, meta)
    await writeCached(knex, { key: at.graphKey, city: at.city, kind: 'graph', uploads: at.uploads.graph, data })
  }
  if (!net.kept.homes) {
    const data = packSnapped(net.residential)
    await writeCached(knex, { key: at.homesKey, city: at.city, kind: 'homes', uploads: at.uploads.homes, data })
  }
}
