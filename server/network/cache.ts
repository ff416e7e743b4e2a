// The walking graph and the homes joined to it, kept in the database between runs (db/derived.ts).
// Building the graph from a million road vertices and joining ~700,000 homes to it took the network's
// worker ~4 s of CPU on every cold run at a million buildings — on two cores, CPU the main thread and
// PostgreSQL were waiting for. A kept graph is read back in ~0.1 s.
import type { Knex } from 'knex'
import { canCopy } from '../db/engine.ts'
import { packArrays, readCached, sha1, unpackArrays, writeCached } from '../db/derived.ts'
import { type Graph, graphFromEdges } from './graph.ts'
import type { Snapped } from './reach.ts'

/** Bumped whenever what a row holds, or how a graph or join is made, changes: old rows are then misses. */
const FORMAT = 1

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

/** The key of a roads upload's graph in a zone under these settings (only what the graph depends on). */
export const graphKey = (roads: number, srid: number, s: { excludeKinds: string[]; noding: string }) =>
  `graph:${sha1([JSON.stringify([FORMAT, roads, srid, [...s.excludeKinds].map((k) => k.toLowerCase()).sort(), s.noding])])}`

/** The key of these homes (ids and positions) joined to that graph with this access cap. */
export const homesKey = (graph: string, cap: number, ids: Int32Array, x: Float64Array, y: Float64Array) =>
  `homes:${sha1([JSON.stringify([FORMAT, graph, cap]), ids, x, y])}`

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
