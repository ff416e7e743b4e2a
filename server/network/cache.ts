// The walking graph and the homes joined to it, kept in the database between runs (db/derived.ts).
// Building the graph from a million road vertices and joining ~700,000 homes to it took the network's
// worker ~4 s of CPU on every cold run at a million buildings — on two cores, CPU the main thread and
// PostgreSQL were waiting for. A kept graph is read back in ~0.1 s.
import type { Knex } from 'knex'
import { canCopy } from '../db/engine.ts'
import { readCached, writeCached } from '../db/derived.ts'
import type { Graph } from './graph.ts'
import type { Snapped } from './reach.ts'
import { type GraphMeta, packGraph, packSnapped, unpackSnapped } from './packed.ts'

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
