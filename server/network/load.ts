// Reads a year's roads (and gates) into the walking graph, in the model's metres, and joins every
// residential building and 小区 point to it. Which road classes are walkable is data (below) and a
// year setting; so are the access cap, walking speed and noding rule.
import type { Knex } from 'knex'
import { arrayRows } from '../db/client.ts'
import { type Graph, type RoadLine, buildGraph } from './graph.ts'
import { type Snapped, snapAll } from './reach.ts'

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

export const DEFAULT_NETWORK: NetworkSettings = {
  excludeKinds: [
    'motorway',
    'motorway_link',
    'trunk',
    'trunk_link',
    'construction',
    'proposed',
    'raceway',
    'bus_guideway',
    'busway',
    'escape',
    '高速公路',
    '快速路',
    '城市快速路',
    '高速',
    // rail, if a file carries it among the roads
    'railway',
    'rail',
    '铁路',
  ],
  accessCapM: 150,
  edgeSnapM: 30,
  walkSpeed: 60,
  noding: 'auto',
}

export const WALK_SPEED_SOURCE =
  '步行速度 60 米/分钟（GB 50180-2018 生活圈按步行时间划分，规划常用取值；可按年度设置 network.walkSpeed 修改）'

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

const rows = arrayRows

export async function loadNetwork(
  knex: Knex,
  versions: Record<string, number | null>,
  srid: number,
  settings: NetworkSettings,
  points: { residential: { x: Float64Array; y: Float64Array }; areas: { x: Float64Array; y: Float64Array } },
): Promise<CityNetwork | null> {
  if (versions.roads == null) return null
  const r = (await rows(
    knex,
    `SELECT kind, foot, access, bridge, tunnel, layer, ST_AsGeoJSON(ST_Transform(geom, $2::int), 3)
     FROM roads WHERE upload_id = $1 ORDER BY fid`,
    [versions.roads, srid],
  )) as [string | null, string | null, string | null, string | null, string | null, number | null, string][]
  const exclude = new Set(settings.excludeKinds.map((k) => k.toLowerCase()))
  const lines: RoadLine[] = []
  let excluded = 0,
    osm = 0
  for (const [kind, foot, access, bridge, tunnel, layer, gj] of r) {
    if (kind && OSM_KINDS.test(kind)) osm++
    if (!walkable({ kind, foot, access }, exclude)) {
      excluded++
      continue
    }
    const level = levelOf(bridge, tunnel, layer)
    for (const part of (JSON.parse(gj) as { coordinates: number[][][] }).coordinates)
      if (part.length >= 2) lines.push({ coords: Float64Array.from(part.flat()), level })
  }
  const noding = settings.noding === 'auto' ? (osm > r.length / 2 ? 'vertices' : 'crossings') : settings.noding
  const graph = buildGraph(lines, { noding })
  const gateRows =
    versions.gates == null
      ? []
      : ((await rows(knex, 'SELECT ST_X(p), ST_Y(p) FROM gates, ST_Transform(geom, $2::int) p WHERE upload_id = $1', [
          versions.gates,
          srid,
        ])) as [number, number][])
  return {
    graph,
    settings,
    noding,
    residential: snapAll(graph, points.residential.x, points.residential.y, settings.accessCapM),
    areas: snapAll(graph, points.areas.x, points.areas.y, settings.accessCapM),
    gates: { x: Float64Array.from(gateRows, (g) => g[0]), y: Float64Array.from(gateRows, (g) => g[1]) },
    lines: r.length,
    excluded,
  }
}
