// The walking network from its input (roads as read, or a graph as kept) and the points joined to it,
// and the network as it crosses between threads. Pure: the network's worker thread (build-worker.ts)
// runs this without the database modules network/load.ts reads the roads with.
import { type Graph, type RoadLine, buildGraph } from './graph.ts'
import { type Snapped, snapAll } from './reach.ts'
import { unpackGraph } from './packed.ts'

export interface NetworkSettings {
  /** road classes nobody walks along (OSM highway values and Chinese 道路等级) */
  excludeKinds: string[]
  /** a building further than this from every walkable segment is off the network (m) */
  accessCapM: number
  /** a polygon site joins every segment point within this of its outline (m) */
  edgeSnapM: number
  /** metres per minute, for the minute tiers of the life circles */
  walkSpeed: number
  /** 'auto': shared vertices for OSM data (highway values), crossings too for other centreline files */
  noding: 'auto' | 'vertices' | 'crossings'
}

const OSM_KINDS =
  /^(residential|footway|service|tertiary|secondary|primary|living_street|path|steps|pedestrian|cycleway|track|unclassified|road)(_link)?$/

export interface CityNetwork {
  graph: Graph
  settings: NetworkSettings
  noding: 'vertices' | 'crossings'
  /** residential buildings, in the order of the model's residentialPoints */
  residential: Snapped
  /** 小区 points, in the order of the model's areaPoints */
  areas: Snapped
  gates: { x: Float64Array; y: Float64Array }
  lines: number
  excluded: number
  /** which parts came from the kept rows (network/cache.ts) rather than built in this run */
  kept: { graph: boolean; homes: boolean }
}

/** Whether people can walk along a road of this class with these tags. */
export function walkable(
  r: { kind: string | null; foot: string | null; access: string | null },
  exclude: Set<string>,
): boolean {
  const foot = (r.foot ?? '').toLowerCase()
  if (/^(no|否|禁止)$/.test(foot)) return false
  if (/^(yes|designated|permissive|是|有)$/.test(foot) || foot === 'both' || foot === 'separate') return true
  if (/^(no|否|禁止)$/.test((r.access ?? '').toLowerCase())) return false
  return !exclude.has((r.kind ?? '').toLowerCase())
}

const levelOf = (bridge: string | null, tunnel: string | null, layer: number | null) => {
  if (layer != null) return layer
  if (bridge && !/^(no|否|0)$/i.test(bridge)) return 1
  if (tunnel && !/^(no|否|0)$/i.test(tunnel)) return -1
  return 0
}

/**
 * A road as read: kind, foot, access, bridge, tunnel, layer, and each of its lines' coordinates in
 * metres (x0, y0, x1, y1, …).
 */
export type RoadRow = [
  string | null,
  string | null,
  string | null,
  string | null,
  string | null,
  number | null,
  Float64Array[],
]

export interface NetworkInput {
  /** the roads as read; none when the graph was kept (`kept`) */
  roads: RoadRow[]
  gates: [number, number][]
  /** the graph's key among the kept rows (network/cache.ts), when it was looked up */
  graphKey?: string
  /** the graph as kept (packGraph's bytes): the roads were not read */
  kept?: Uint8Array
  /** how many roads the graph is of, whether read or kept (what sizes a worker's use) */
  size: number
}

export type Points = { x: Float64Array; y: Float64Array }

/** The walking graph from the roads as read (walkable classes only, noded as the settings say), or as kept. */
export function graphOf(input: NetworkInput, settings: NetworkSettings) {
  if (input.kept) {
    const u = unpackGraph(input.kept)
    // (the key names every input of the graph, so an unreadable row is damage, not a stale entry)
    if (!u) throw new Error(`graphOf: the kept walking graph ${input.graphKey} cannot be read`)
    return { graph: u.graph, noding: u.meta.noding, excluded: u.meta.excluded, lines: u.meta.lines, kept: true }
  }
  const exclude = new Set(settings.excludeKinds.map((k) => k.toLowerCase()))
  const lines: RoadLine[] = []
  let excluded = 0,
    osm = 0
  for (const [kind, foot, access, bridge, tunnel, layer, parts] of input.roads) {
    if (kind && OSM_KINDS.test(kind)) osm++
    if (!walkable({ kind, foot, access }, exclude)) {
      excluded++
      continue
    }
    const level = levelOf(bridge, tunnel, layer)
    for (const coords of parts) if (coords.length >= 4) lines.push({ coords, level })
  }
  const noding: CityNetwork['noding'] =
    settings.noding === 'auto' ? (osm > input.roads.length / 2 ? 'vertices' : 'crossings') : settings.noding
  return { graph: buildGraph(lines, { noding }), noding, excluded, lines: input.roads.length, kept: false }
}

/** Points to join; `snapped`, the same points' join as kept (network/cache.ts), is used as it is. */
export type JoinPoints = Points & { snapped?: Snapped | null }

/** The network with the homes and 小区 joined to it. */
export function joinNetwork(
  input: NetworkInput,
  built: ReturnType<typeof graphOf>,
  settings: NetworkSettings,
  points: { residential: JoinPoints; areas: Points },
): CityNetwork {
  const { graph } = built
  const { residential: r } = points
  return {
    graph,
    settings,
    noding: built.noding,
    residential: r.snapped ?? snapAll(graph, r.x, r.y, settings.accessCapM),
    areas: snapAll(graph, points.areas.x, points.areas.y, settings.accessCapM),
    gates: { x: Float64Array.from(input.gates, (g) => g[0]), y: Float64Array.from(input.gates, (g) => g[1]) },
    lines: built.lines,
    excluded: built.excluded,
    kept: { graph: built.kept, homes: r.snapped != null },
  }
}
