// The walking graph and the homes' join as bytes (network/cache.ts keeps them in the database), and
// the keys they are kept under. Pure, so the network's worker thread unpacks a kept graph without
// loading the database drivers.
import { packArrays, sha1, unpackArrays } from '../db/packed.ts'
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
  const u = unpackArrays(buf, { views: true })
  const { x, y, segA, segB } = (u?.arrays ?? {}) as Record<string, unknown>
  if (!(x instanceof Float64Array && y instanceof Float64Array)) return null
  if (!(segA instanceof Int32Array && segB instanceof Int32Array) || x.length !== y.length) return null
  for (let e = 0; e < segA.length; e++)
    if (!(segA[e] >= 0 && segA[e] < x.length && segB[e] >= 0 && segB[e] < x.length)) return null
  return { graph: graphFromEdges(x, y, segA, segB), meta: u!.meta as GraphMeta }
}

export const packSnapped = (s: Snapped): Buffer => packArrays(null, { seg: s.seg, t: s.t, leg: s.leg })

export function unpackSnapped(buf: Uint8Array, n: number): Snapped | null {
  // (read in place: the three arrays are all the bytes hold)
  const a = unpackArrays(buf, { views: true })?.arrays
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
