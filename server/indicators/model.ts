// Loads one year's current data into memory, in metres: buildings as points inside their
// footprints with floor area and residents; units (街道, 社区, 小区) as polygons; facilities,
// green spaces, jobs and commutes. Every indicator is then computed from this model, in Node,
// with spatial indexes (see README: design notes for why not one SQL query per indicator).
import type { Knex } from 'knex'
import type pg from 'pg'
import { arrayRows } from '../db/client.ts'
import KDBush from 'kdbush'
import { localZoneEpsg } from '../import/crs.ts'
import { LAYERS } from '../layers/definitions.ts'
import { allocateResidents } from './population.ts'
import { cityYearCached } from '../db/cityyear.ts'
import { canCopy } from '../db/engine.ts'
import { copyColumns } from '../db/bulk.ts'
import { bboxOf, metresPerDegreeLat, metresPerDegreeLon, toMultiPoly, type BBox, type MultiPoly } from './geom.ts'
import { UnitGrid } from './unitgrid.ts'
import type { PointSet, Site } from './coverage.ts'
import type { Settings } from './registry.ts'
import { DEFAULT_NETWORK, type NetworkJob, readNetwork, startNetwork } from '../network/load.ts'
import { keepNetwork, keptHomes } from '../network/cache.ts'
import { graphKey, homesKey } from '../network/packed.ts'
import {
  type KeptBuildings,
  type Membership,
  buildingsKey,
  buildingsUploads,
  extentCentre,
  parkRows,
  keepBuildings,
  keptBuildingBytes,
  keptRows,
  unpackBuildings,
} from './kept.ts'

export interface Unit {
  code: string
  name: string
  population: number | null
  geom: MultiPoly
  bbox: BBox
  /** a point inside the unit */
  x: number
  y: number
  parent: number // 社区 → 街道 index; 小区 → 社区 index; -1
  street: number // the 街道 the unit's point lies in; -1
}

export interface Buildings {
  n: number
  fid: Int32Array
  x: Float64Array
  y: Float64Array
  footprint: Float64Array
  floorArea: Float64Array
  floorsDefaulted: Uint8Array
  residential: Uint8Array
  residents: Float64Array
  residentsSource: Uint8Array
  builtYear: Int32Array // 0 = unknown
  height: Float64Array // NaN = unknown
  street: Int32Array
  community: Int32Array
  area: Int32Array // 小区
}

export interface Facility extends Site {
  type: string
  name: string | null
  capacity: number | null
}
export interface Green extends Site {
  kind: string | null
  areaM2: number
  park: boolean
}

export interface CityModel {
  city: string
  year: number
  srid: number
  versions: Record<string, number | null>
  districts: Unit[]
  streets: Unit[]
  /** each 街道's district index (-1: none), for the per-level sums */
  streetDistrict: Int32Array
  communities: Unit[]
  areas: Unit[]
  b: Buildings
  /** residential buildings only */
  residentialPoints: PointSet
  areaPoints: PointSet
  facilities: Facility[]
  green: Green[]
  /** park area (m², geodesic) inside each unit, by level, and the whole city */
  parkArea: { district: Float64Array; street: Float64Array; community: Float64Array; city: number }
  jobs: {
    x: Float64Array
    y: Float64Array
    jobs: Float64Array
    street: Int32Array
    community: Int32Array
    index: KDBush | null
  }
  commutes: { origin: Int32Array; x: Float64Array; y: Float64Array; count: Float64Array; unmatched: number }
  settings: Settings
  warnings: string[]
  /** the walking network with every residential building and 小区 joined to it, when roads exist */
  network: import('../network/join.ts').CityNetwork | null
  /**
   * Set while the network is still being built and joined on its worker (a model loaded with
   * `deferNetwork`): `network` is null until settleNetwork(m) resolves.
   */
  networkPending?: Promise<import('../network/join.ts').CityNetwork | null>
  /**
   * The worker that joined the network and still holds it (a model loaded with `deferNetwork`), for
   * the run's walking flags: null once taken, or when there is none (network/load.ts takeWorker).
   */
  takeNetworkWorker?: () => import('node:worker_threads').Worker | null
  /**
   * Settles once what this load read or built afresh is kept for the next (its buildings and their
   * units: kept.ts; its walking network: network/cache.ts); a run waits for it at its end, so no
   * write outlives the run.
   */
  keeping?: Promise<void>
  /** what the walking network looks like (segments, components, homes off it), once it is there */
  networkWarning?: string
  /** the latest inspection of each building and 小区, attached before each run (server/inspections) */
  inspections?: import('../inspections/compute.ts').InspectionFacts
}

/** Green-space kinds that are 公园绿地 (parks), as opposed to other green (grass, forest, …). */
export const PARK_KINDS = /公园|游园|口袋|街旁绿地|广场绿地|park|garden|playground|recreation/i

export function currentVersions(knex: Knex, city: string, year: number): Promise<Record<string, number | null>> {
  return cityYearCached('versions', city, year, async () => {
    const rows = await knex('layer_current').where({ city, year }).select('layer', 'upload_id')
    const out: Record<string, number | null> = {}
    for (const l of LAYERS) out[l.layer] = rows.find((r) => r.layer === l.layer)?.upload_id ?? null
    return out
  })
}

/**
 * The points of these buildings, in shared memory: posted to the network's worker (the homes to join,
 * the ids of the flags request) they are shared, not copied — ~18 MB at a million homes, copied on the
 * main thread while both cores were busy.
 */
function pointSet(ids: number[], x: Float64Array, y: Float64Array): PointSet {
  const n = ids.length
  const px = new Float64Array(new SharedArrayBuffer(8 * n)),
    py = new Float64Array(new SharedArrayBuffer(8 * n)),
    pid = new Int32Array(new SharedArrayBuffer(4 * n))
  for (let k = 0; k < n; k++) {
    px[k] = x[ids[k]]
    py[k] = y[ids[k]]
    pid[k] = ids[k]
  }
  return { ids: pid, x: px, y: py }
}

const query = arrayRows

// GeoJSON with options 0: no `crs` member (ST_AsGeoJSON names any SRID but 4326), which nothing reads
// and which was a third of the facilities' kept rows (keptRows).
const SQL = {
  units: (
    tbl: string,
    popCol: string | null,
    parentCol = 'NULL',
  ) => `SELECT code, name, ${popCol ?? 'NULL'}, ST_AsGeoJSON(ST_Transform(geom, $2::int), 3, 0), ST_X(p), ST_Y(p), ${parentCol}
    FROM ${tbl}, LATERAL ST_Transform(ST_PointOnSurface(geom), $2::int) p WHERE upload_id = $1 ORDER BY fid`,
  // No ORDER BY (sorting a million rows spills to disk): the rows come in fid order, as written, or
  // are put in it (inFidOrder).
  // pos was computed at import in the zone the import chose; another zone is transformed here.
  // The footprint's southern latitude (ST_YMin) is latitude enough to turn its square degrees (ST_Area)
  // into m²; both were computed at import too (migrations/010).
  buildings: `SELECT fid, ST_X(p), ST_Y(p), footprint_ymin, footprint_deg2, floors, height, residential, residents, built_year
    FROM buildings, LATERAL (SELECT CASE WHEN zone = $2::int THEN pos ELSE ST_Transform(ST_PointOnSurface(geom), $2::int) END AS p) x
    WHERE upload_id = $1`,
  sites: (tbl: string, cols: string) =>
    `SELECT ${cols}, ST_AsGeoJSON(ST_Transform(geom, $2::int), 3, 0) FROM ${tbl} WHERE upload_id = $1 ORDER BY fid`,
  points: (tbl: string, cols: string) =>
    `SELECT ${cols}, ST_X(p), ST_Y(p) FROM ${tbl}, LATERAL ST_Transform(ST_PointOnSurface(geom), $2::int) p WHERE upload_id = $1 ORDER BY fid`,
  parkArea: (
    tbl: string,
  ) => `SELECT u.code, sum(ST_Area(ST_Intersection(g.geom, u.geom)::geography)) FROM green_spaces g JOIN ${tbl} u
    ON u.upload_id = $3 AND u.geom && g.geom AND ST_Intersects(u.geom, g.geom) WHERE g.upload_id = $1 AND g.kind ~* $2 GROUP BY u.code`,
  parkAreaCity: `SELECT coalesce(sum(ST_Area(ST_Intersection(g.geom, u.geom)::geography)), 0) FROM green_spaces g
    JOIN (SELECT ST_Union(geom) geom FROM streets WHERE upload_id = $3) u ON ST_Intersects(u.geom, g.geom) WHERE g.upload_id = $1 AND g.kind ~* $2`,
  parkAreaAll: `SELECT coalesce(sum(ST_Area(g.geom::geography)), 0) FROM green_spaces g WHERE g.upload_id = $1 AND g.kind ~* $2`,
}

/** The buildings as kept by an earlier load under `key` (their bytes, unpacked once the units are read), else read. */
async function readBuildings(
  knex: Knex,
  uploadId: number,
  srid: number,
  key: string,
): Promise<{ n: number; cols: Float64Array[] } | { kept: Buffer }> {
  const kept = await keptBuildingBytes(knex, key).catch(() => null)
  return kept ? { kept } : buildingColumns(knex, uploadId, srid)
}

/** Each building's 社区, 街道 and 小区: the units its point lies in (a 社区's 街道 where it has one). */
function unitMembership(
  x: Float64Array,
  y: Float64Array,
  grids: { community: UnitGrid; street: UnitGrid; area: UnitGrid },
  communities: Unit[],
): Membership {
  const n = x.length
  const m: Membership = { community: new Int32Array(n), street: new Int32Array(n), area: new Int32Array(n) }
  for (let i = 0; i < n; i++) {
    const c = (m.community[i] = grids.community.find(x[i], y[i]))
    // A building's 街道 is its 社区's (found once per 社区); direct only outside every 社区.
    m.street[i] = c >= 0 && communities[c].street >= 0 ? communities[c].street : grids.street.find(x[i], y[i])
    m.area[i] = grids.area.find(x[i], y[i])
  }
  return m
}

/** The buildings' columns as Float64Arrays: streamed with COPY where the engine can, else a plain query. */
async function buildingColumns(
  knex: Knex,
  uploadId: number,
  srid: number,
): Promise<{ n: number; cols: Float64Array[] }> {
  if (canCopy(knex)) {
    const client = (await knex.client.acquireConnection()) as pg.ClientBase
    try {
      // A scan of a big table may start where another left off (synchronize_seqscans), and the rows then
      // come rotated; a parallel scan interleaves its workers' rows. Both kept off, so the rows come in
      // the order they were written, which is fid order: sorting a million of them here took ~3 s of
      // this thread (inFidOrder), more than the parallel scan saved PostgreSQL on two cores.
      await client.query('SET synchronize_seqscans = off; SET max_parallel_workers_per_gather = 0')
      // COPY takes no parameters; both values are integers from our own tables.
      const out = await copyColumns(
        client,
        SQL.buildings.replace('$1', String(Number(uploadId))).replace(/\$2::int/g, `${Number(srid)}::int`),
        10,
      )
      return { n: out.n, cols: inFidOrder(out.cols) }
    } finally {
      await client.query('RESET synchronize_seqscans; RESET max_parallel_workers_per_gather').catch(() => {})
      await knex.client.releaseConnection(client)
    }
  }
  const rows = await query(knex, SQL.buildings, [uploadId, srid])
  const cols = Array.from({ length: 10 }, () => new Float64Array(rows.length))
  rows.forEach((r, i) => {
    r.forEach((v, k) => {
      cols[k][i] = v == null ? NaN : v === true ? 1 : v === false ? 0 : Number(v)
    })
  })
  return { n: rows.length, cols: inFidOrder(cols) }
}

/**
 * The columns with their rows in ascending order of the first (fid), however the database returned
 * them. The order matters: seats are allocated and sums added building by building, so two loads of
 * the same data in different orders gave different seat gaps (85 of a million results, seen at 1M
 * buildings) and sums different in the last digits. Already in order (the usual case) costs one pass.
 */
export function inFidOrder(cols: Float64Array[]): Float64Array[] {
  const fid = cols[0]
  let sorted = true
  for (let i = 1; i < fid.length && sorted; i++) sorted = fid[i - 1] <= fid[i]
  if (sorted) return cols
  const order = Uint32Array.from({ length: fid.length }, (_, i) => i).sort((a, b) => fid[a] - fid[b] || a - b)
  return cols.map((c) => Float64Array.from(order, (i) => c[i]))
}

export async function loadCityModel(
  knex: Knex,
  city: { code: string; zone: number | null },
  year: number,
  settings: Settings,
  onProgress?: (p: number, msg: string) => void,
  options: ModelOptions = {},
): Promise<CityModel> {
  const started: NetworkJob[] = []
  try {
    return await readModel(knex, city, year, settings, onProgress, options, started)
  } catch (e) {
    // A load that failed before joining its network stops the worker building it.
    for (const j of started) j.close()
    throw e
  }
}

export interface ModelOptions {
  networkWorker?: 'auto' | 'always' | 'never'
  /**
   * Return once everything but the walking network is read: the network goes on being built and
   * joined on its worker while the caller computes the straight-line indicators (networkPending).
   */
  deferNetwork?: boolean
}

/** Whether the model has, or will have, a walking network. */
export const hasNetwork = (m: CityModel): boolean => m.network != null || m.networkPending != null

/** The model's walking network, waited for if it is still being joined. */
export async function settleNetwork(m: CityModel): Promise<CityModel['network']> {
  if (m.networkPending) await m.networkPending
  return m.network
}

/** What the model's warnings say of its walking network. */
function describeNetwork(network: NonNullable<CityModel['network']>): string {
  const off = network.residential.seg.reduce((a, s) => a + (s < 0 ? 1 : 0), 0)
  const g = network.graph
  const biggest = g.componentSize.reduce((a, v) => Math.max(a, v), 0)
  // Homes joined to a small island of the network (under 1% of the largest part): flagged.
  let island = 0
  network.residential.seg.forEach((s) => {
    if (s >= 0 && g.componentSize[g.component[g.segA[s]]] < biggest / 100) island++
  })
  return `步行网络：${network.lines} 条道路（${network.excluded} 条不可步行），${g.nodes} 个节点，${g.segA.length} 段，${g.componentSize.length} 个连通分量（最大含 ${biggest} 个节点）；${off} 栋住宅距可步行道路超过 ${network.settings.accessCapM} 米，${island} 栋只连到孤立的小片路网 / walking network: ${g.segA.length} segments, ${g.componentSize.length} components; ${off} homes off the network, ${island} on small islands`
}

async function readModel(
  knex: Knex,
  city: { code: string; zone: number | null },
  year: number,
  settings: Settings,
  onProgress: ((p: number, msg: string) => void) | undefined,
  options: ModelOptions,
  started: NetworkJob[],
): Promise<CityModel> {
  const versions = await currentVersions(knex, city.code, year)
  const warnings: string[] = []
  // The city's own zone when it names one, else the 3° zone of its centre; distances are planar metres in it.
  const anchor = versions.buildings ?? versions.communities ?? versions.streets
  const anchorTable = versions.buildings ? 'buildings' : versions.communities ? 'communities' : 'streets'
  let srid = city.zone ?? 4548
  if (anchor && !city.zone) {
    const measure = async () => {
      const r = await query(
        knex,
        `SELECT (ST_XMin(e) + ST_XMax(e)) / 2 FROM (SELECT ST_Extent(geom) e FROM ${anchorTable} WHERE upload_id = $1) s`,
        [anchor],
      )
      return Number(r[0][0])
    }
    srid = localZoneEpsg(await extentCentre(knex, city.code, { table: anchorTable, upload: anchor }, measure))
  }
  onProgress?.(0.05, 'query')
  const buildingsAt = versions.buildings == null ? null : buildingsKey(versions, srid)
  // The walking network is read and built beside everything else (a worker thread for a city's roads).
  const netSettings = { ...DEFAULT_NETWORK, ...(settings.network ?? {}) }
  const networkJob = startNetwork(readNetwork(knex, versions, srid, netSettings), netSettings, {
    worker: options.networkWorker,
    keep: options.deferNetwork,
  })
  started.push(networkJob)
  // Every query at once, each on its own connection: PostgreSQL works on them in parallel while
  // Node parses what has arrived (on the embedded engine's single connection they simply queue).
  const none = Promise.resolve([] as unknown[][])
  // An upload's rows as its query gives them (the columns at `json` parsed), kept between runs.
  const keepingRows: Promise<void>[] = []
  const layerRows = (upload: number | null | undefined, sql: string, json: number[]) =>
    upload == null
      ? none
      : keptRows(knex, { city: city.code, uploads: [upload] }, { sql, params: [upload, srid], json }, () =>
          query(knex, sql, [upload, srid]),
        ).then((r) => {
          keepingRows.push(r.keeping)
          return r.rows
        })
  const parkRe = PARK_KINDS.source
  const g = versions['green-spaces']
  const [
    districtRows,
    streetRows,
    communityRows,
    areaRows,
    buildingRows,
    facilityRows,
    greenRows,
    parks,
    jobRows,
    odRows,
  ] = await Promise.all([
    layerRows(versions.districts, SQL.units('districts', 'population'), [3]),
    layerRows(versions.streets, SQL.units('streets', 'population', 'parent_code'), [3]),
    layerRows(versions.communities, SQL.units('communities', 'population'), [3]),
    layerRows(versions['residential-areas'], SQL.units('residential_areas', 'population'), [3]),
    versions.buildings == null || buildingsAt == null
      ? Promise.resolve({ n: 0, cols: [] as Float64Array[] })
      : readBuildings(knex, versions.buildings, srid, buildingsAt),
    layerRows(versions.facilities, SQL.sites('facilities', 'type, name, capacity'), [3]),
    layerRows(g, SQL.sites('green_spaces', 'kind, area_m2'), [2]),
    g == null
      ? Promise.resolve({ district: [], street: [], community: [], city: [] })
      : parkRows(knex, city.code, versions, parkRe, async () => {
          const [district, street, community, all] = await Promise.all([
            versions.districts == null ? none : query(knex, SQL.parkArea('districts'), [g, parkRe, versions.districts]),
            versions.streets == null ? none : query(knex, SQL.parkArea('streets'), [g, parkRe, versions.streets]),
            versions.communities == null
              ? none
              : query(knex, SQL.parkArea('communities'), [g, parkRe, versions.communities]),
            versions.streets != null
              ? query(knex, SQL.parkAreaCity, [g, parkRe, versions.streets])
              : query(knex, SQL.parkAreaAll, [g, parkRe]),
          ])
          return { district, street, community, city: all }
        }),
    layerRows(versions.jobs, SQL.points('jobs', 'jobs'), []),
    layerRows(versions.commutes, SQL.points('commutes', 'origin_code, count'), []),
  ])
  onProgress?.(0.35, 'units')

  const toUnits = (rows: unknown[][]): Unit[] =>
    rows.map((r) => {
      const geom = toMultiPoly(r[3] as { type: string; coordinates: unknown })
      return {
        code: String(r[0]),
        name: (r[1] as string) ?? String(r[0]),
        population: r[2] == null ? null : Number(r[2]),
        geom,
        bbox: bboxOf(geom),
        x: r[4] as number,
        y: r[5] as number,
        parent: -1,
        street: -1,
      }
    })
  const districts = toUnits(districtRows),
    streets = toUnits(streetRows),
    communities = toUnits(communityRows),
    areas = toUnits(areaRows)
  // (the 小区' grid only places buildings: not made when they come as kept, with their 小区)
  const districtIdx = new UnitGrid(districts),
    streetIdx = new UnitGrid(streets),
    communityIdx = new UnitGrid(communities)
  // A 街道's district: from its parent_code where that names a district, else where its point lies.
  const districtByCode = new Map(districts.map((d, i) => [d.code, i]))
  streets.forEach((st, i) => {
    const given = streetRows[i][6] == null ? undefined : districtByCode.get(String(streetRows[i][6]))
    st.parent = given ?? districtIdx.find(st.x, st.y)
  })
  const streetDistrict = Int32Array.from(streets, (st) => st.parent)
  for (const c of communities) c.parent = c.street = streetIdx.find(c.x, c.y)
  for (const a of areas) {
    a.parent = communityIdx.find(a.x, a.y)
    a.street = streetIdx.find(a.x, a.y)
  }

  onProgress?.(0.4, 'buildings')
  // As kept by an earlier load, if that fits the units read now; else as read (by COPY).
  const units = { communities: communities.length, streets: streets.length, areas: areas.length }
  const kept: KeptBuildings | null = 'kept' in buildingRows ? unpackBuildings(buildingRows.kept, units) : null
  const read =
    'kept' in buildingRows
      ? kept
        ? { n: kept.cols[0].length, cols: kept.cols }
        : await buildingColumns(knex, versions.buildings!, srid)
      : buildingRows
  // columns: fid, x, y, latitude, area (deg²), floors, height, residential, residents, built_year
  const { n, cols: c } = read
  const membership =
    kept?.membership ??
    unitMembership(
      c[1] ?? new Float64Array(0),
      c[2] ?? new Float64Array(0),
      { community: communityIdx, street: streetIdx, area: new UnitGrid(areas) },
      communities,
    )
  const buildingsKept =
    kept || !n || buildingsAt == null
      ? Promise.resolve()
      : keepBuildings(
          knex,
          { city: city.code, key: buildingsAt, uploads: buildingsUploads(versions) },
          { cols: c, membership },
        )
  const b: Buildings = {
    n,
    fid: new Int32Array(n),
    x: new Float64Array(n),
    y: new Float64Array(n),
    footprint: new Float64Array(n),
    floorArea: new Float64Array(n),
    floorsDefaulted: new Uint8Array(n),
    residential: new Uint8Array(n),
    residents: new Float64Array(n),
    residentsSource: new Uint8Array(n),
    builtYear: new Int32Array(n),
    height: new Float64Array(n),
    street: membership.street,
    community: membership.community,
    area: membership.area,
  }
  const givenResidents = n ? c[8] : new Float64Array(0)
  for (let i = 0; i < n; i++) {
    b.fid[i] = c[0][i]
    b.x[i] = c[1][i]
    b.y[i] = c[2][i]
    b.footprint[i] = c[4][i] * metresPerDegreeLon(c[3][i]) * metresPerDegreeLat(c[3][i])
    const height = c[6][i]
    b.height[i] = height
    let floors = c[5][i]
    if (!(floors > 0) && height > 0) floors = Math.max(1, Math.round(height / 3))
    if (!(floors > 0)) {
      floors = settings.defaultFloors
      b.floorsDefaulted[i] = 1
    }
    b.floorArea[i] = b.footprint[i] * floors
    b.builtYear[i] = Number.isNaN(c[9][i]) ? 0 : c[9][i]
    // Residential: as flagged; unknown use counts when the building stands in a 小区.
    const flag = c[7][i]
    b.residential[i] = flag === 1 || (Number.isNaN(flag) && b.area[i] >= 0) ? 1 : 0
  }
  if (n) {
    const pop = allocateResidents({
      residential: b.residential,
      residents: givenResidents,
      floorArea: b.floorArea,
      community: b.community,
      communityPopulation: Float64Array.from(communities, (c) => (c.population == null ? NaN : c.population)),
      floorAreaPerResident: settings.floorAreaPerResident,
    })
    b.residents = pop.residents
    b.residentsSource = pop.source
    for (const c of pop.inconsistentCommunities)
      warnings.push(
        `社区 ${communities[c].code} 的人口少于其建筑填报人口之和，未参与分配 / community ${communities[c].code} declares fewer residents than its buildings`,
      )
  }
  onProgress?.(0.6, 'facilities')

  const residentialIds: number[] = []
  for (let i = 0; i < b.n; i++) if (b.residential[i]) residentialIds.push(i)
  const residentialPoints = pointSet(residentialIds, b.x, b.y)
  const areaPoints = pointSet(
    areas.map((_, i) => i),
    Float64Array.from(areas, (a) => a.x),
    Float64Array.from(areas, (a) => a.y),
  )

  // The homes go to the network's worker now, to be joined while the facilities and jobs are read here
  // (or their join as kept for this graph, when these homes were joined to it before).
  const graphAt = versions.roads == null ? null : graphKey(versions.roads, srid, netSettings)
  const homesAt =
    graphAt &&
    homesKey(graphAt, netSettings.accessCapM, residentialPoints.ids, residentialPoints.x, residentialPoints.y)
  const joined = networkJob.join(
    { residential: residentialPoints, areas: areaPoints },
    homesAt ? () => keptHomes(knex, homesAt, residentialPoints.ids.length) : undefined,
  )
  joined.catch(() => {})
  const from = (...layers: string[]) => layers.map((l) => versions[l]).filter((v): v is number => v != null)
  const networkKept = joined
    .then((net) =>
      net && graphAt && homesAt
        ? keepNetwork(
            knex,
            {
              city: city.code,
              graphKey: graphAt,
              homesKey: homesAt,
              uploads: { graph: from('roads'), homes: from('roads', 'buildings', 'residential-areas') },
            },
            net,
          )
        : undefined,
    )
    // A row not kept is only a saving lost: the next load builds it again.
    .then(
      () => {},
      () => {},
    )

  const toSites = (gj: { type: string; coordinates: unknown }): Site[] => {
    if (gj.type === 'Point') {
      const c = gj.coordinates as number[]
      return [{ x: c[0], y: c[1] }]
    }
    if (gj.type === 'MultiPoint') return (gj.coordinates as number[][]).map((c) => ({ x: c[0], y: c[1] }))
    const geom = toMultiPoly(gj)
    const bbox = bboxOf(geom)
    return [{ x: (bbox[0] + bbox[2]) / 2, y: (bbox[1] + bbox[3]) / 2, geom, bbox }]
  }
  // Every site made by one object literal, its keys always the same and in one order: made by spreading
  // a point's {x, y}, V8 gave each of a 1M city's 75,000 facilities a map of its own (the clone's slow
  // path), so every loop over sites read their fields through megamorphic lookups, and the collector
  // marked 95,000 maps.
  const facilities: Facility[] = []
  for (const r of facilityRows)
    for (const s of toSites(r[3] as { type: string; coordinates: unknown }))
      facilities.push({
        x: s.x,
        y: s.y,
        geom: s.geom,
        bbox: s.bbox,
        type: r[0] as string,
        name: r[1] as string | null,
        capacity: r[2] as number | null,
      })
  const green: Green[] = []
  for (const r of greenRows) {
    const kind = r[0] as string | null
    for (const s of toSites(r[2] as { type: string; coordinates: unknown }))
      green.push({
        x: s.x,
        y: s.y,
        geom: s.geom,
        bbox: s.bbox,
        kind,
        areaM2: Number(r[1]),
        park: kind != null && PARK_KINDS.test(kind),
      })
  }
  // Park area clipped to each unit, on the ellipsoid; the city is the union of its 街道 where they exist.
  const byCode = (rs: unknown[][]) => new Map(rs.map((r) => [String(r[0]), Number(r[1])]))
  const ps = byCode(parks.street),
    pc = byCode(parks.community),
    pd = byCode(parks.district)
  const parkArea = {
    district: Float64Array.from(districts, (u) => pd.get(u.code) ?? 0),
    street: Float64Array.from(streets, (u) => ps.get(u.code) ?? 0),
    community: Float64Array.from(communities, (u) => pc.get(u.code) ?? 0),
    city: parks.city.length ? Number(parks.city[0][0]) : 0,
  }
  onProgress?.(0.8, 'jobs')

  const jobs = {
    x: Float64Array.from(jobRows, (r) => r[1] as number),
    y: Float64Array.from(jobRows, (r) => r[2] as number),
    jobs: Float64Array.from(jobRows, (r) => Number(r[0])),
    street: new Int32Array(jobRows.length),
    community: new Int32Array(jobRows.length),
    index: null as KDBush | null,
  }
  for (let i = 0; i < jobRows.length; i++) {
    jobs.street[i] = streetIdx.find(jobs.x[i], jobs.y[i])
    jobs.community[i] = communityIdx.find(jobs.x[i], jobs.y[i])
  }
  if (jobRows.length) {
    jobs.index = new KDBush(jobRows.length, 64, Float64Array)
    for (let i = 0; i < jobRows.length; i++) jobs.index.add(jobs.x[i], jobs.y[i])
    jobs.index.finish()
  }

  const communityByCode = new Map(communities.map((c, i) => [c.code, i]))
  const commutes = {
    origin: new Int32Array(odRows.length),
    x: new Float64Array(odRows.length),
    y: new Float64Array(odRows.length),
    count: new Float64Array(odRows.length),
    unmatched: 0,
  }
  odRows.forEach((r, i) => {
    commutes.origin[i] = communityByCode.get(String(r[0])) ?? -1
    if (commutes.origin[i] < 0) commutes.unmatched++
    commutes.count[i] = Number(r[1])
    commutes.x[i] = r[2] as number
    commutes.y[i] = r[3] as number
  })
  if (commutes.unmatched)
    warnings.push(
      `${commutes.unmatched} 条通勤记录的居住社区代码不在社区图层中 / commute rows whose origin code matches no community`,
    )
  onProgress?.(0.95, 'network')
  const attach = (network: CityModel['network']) => {
    model.network = network
    if (network) model.networkWarning = describeNetwork(network)
    model.networkPending = undefined
    return network
  }
  const model: CityModel = {
    network: null,
    city: city.code,
    year,
    srid,
    versions,
    districts,
    streets,
    streetDistrict,
    communities,
    areas,
    b,
    residentialPoints,
    areaPoints,
    facilities,
    green,
    parkArea,
    jobs,
    commutes,
    settings,
    warnings,
  }
  // (a row not kept is only a saving lost: the next load reads or builds it again)
  model.keeping = Promise.all([networkKept, buildingsKept.catch(() => {}), ...keepingRows]).then(() => {})
  if (options.deferNetwork) {
    model.takeNetworkWorker = () => networkJob.takeWorker()
    model.networkPending = joined.then(attach)
    // (its failure is the awaiting run's to report; unawaited, it must not go unhandled)
    model.networkPending.catch(() => {})
  } else {
    attach(await joined)
    await model.keeping
  }
  onProgress?.(1, 'model ready')
  return model
}
