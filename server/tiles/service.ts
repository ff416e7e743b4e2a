// Vector tiles cut in Node with geojson-vt (the embedded engine has no ST_AsMVT, so both engines
// share this path). One tile index per (year, layer) — per z13 region for buildings — is kept in memory, bounded, and
// keyed by the year's data versions and latest indicator run: an upload, a restore or a new run
// changes the key, and the in-process change notice drops the year's indexes at once. Encoded,
// gzipped tiles are cached by the same key; ETags are derived from it.
import crypto from 'node:crypto'
import zlib from 'node:zlib'
import type { Knex } from 'knex'
import GeoJSONVT from 'geojson-vt'
import vtpbf from 'vt-pbf'
import { AppError } from '../errors.ts'
import type { EventBus } from '../db/events.ts'
import { currentVersions } from '../indicators/model.ts'
import { latestRun, readRunArrays, unpackBit } from '../indicators/service.ts'
import { listProblems } from '../problems/store.ts'
import { Lru } from '../lru.ts'

export const TILE_LAYERS = [
  'districts',
  'streets',
  'communities',
  'buildings',
  'facilities',
  'green-spaces',
  'roads',
  'problems',
] as const
export type TileLayer = (typeof TILE_LAYERS)[number]
/** A z12 buildings tile is ~1 MB (platform notes): buildings start at 13. */
export const MIN_ZOOM: Record<TileLayer, number> = {
  districts: 0,
  streets: 0,
  communities: 0,
  buildings: 13,
  facilities: 10,
  'green-spaces': 0,
  // The city's own road centrelines as a quiet basemap (no external tiles needed).
  roads: 11,
  problems: 0,
}
export const MAX_ZOOM = 18
/**
 * Buildings are indexed by region, not city-wide: the z13 tile a building tile lies in (plus geojson-vt's
 * buffer), read from PostGIS by its GiST index when first asked for. The first building tile then costs
 * one region (~10k footprints at a dense 1M-building city), not the whole city's geometry in JS objects,
 * and memory is bounded by the LRU of regions.
 */
export const BUILDING_REGION_ZOOM = 13
const BUFFER = 64
const EXTENT = 4096

/** A tile's lon/lat bounds, grown by `grow` of its width on every side. */
export function tileBounds(z: number, x: number, y: number, grow = 0): [number, number, number, number] {
  const n = 2 ** z
  const lon = (i: number) => (i / n) * 360 - 180
  const lat = (j: number) => (Math.atan(Math.sinh(Math.PI * (1 - (2 * j) / n))) * 180) / Math.PI
  return [lon(x - grow), lat(y + 1 + grow), lon(x + 1 + grow), lat(y - grow)]
}
const UNIT_LAYERS = new Set<TileLayer>(['districts', 'streets', 'communities'])
/** Layers whose features themselves depend on the indicator (problems); the rest take it at encode time. */
const PER_INDICATOR = new Set<TileLayer>(['problems'])

interface RunArrays {
  runId: number
  byFid: Int32Array // fid → position + 1 (0: not in the run)
  residential: Buffer
  residents: Float32Array
  covered: Map<string, Promise<Buffer | null>>
}

interface Index {
  vt: GeoJSONVT
  bytes: number
}

export class TileService {
  // Indexes are sized by feature count (a building index of a million polygons is ~300 MB of heap).
  private indexes = new Lru<Promise<Index>>(3_000_000)
  // A tile's bytes with its ETag, as answered (a cached answer builds nothing but its key).
  private tiles = new Lru<{ body: Buffer | null; etag: string }>(256 * 1024 * 1024)
  private stamps = new Map<string, { key: string; at: number }>()
  private unsubscribe: () => void

  // Keys start with `city|year|`. A change announced by any process (LISTEN/NOTIFY) drops that
  // city's year at once; the stamp is re-read after 30 s anyway, in case a notice was lost.
  constructor(
    private knex: Knex,
    events: EventBus,
  ) {
    this.unsubscribe = events.on((c) => (c.city === '*' ? this.dropAll() : this.drop(c.city, c.year)))
  }

  close() {
    this.unsubscribe()
  }

  drop(city: string, year: number | null) {
    const prefix = year === null ? `${city}|` : `${city}|${year}|`
    for (const k of this.stamps.keys()) if (`${k}|`.startsWith(prefix)) this.stamps.delete(k)
    this.indexes.dropWhere((k) => k.startsWith(prefix))
    this.tiles.dropWhere((k) => k.startsWith(prefix))
    for (const k of this.coverage.keys()) if (k.startsWith(prefix)) this.coverage.delete(k)
    for (const k of this.unitValueMaps.keys()) if (k.startsWith(prefix)) this.unitValueMaps.delete(k)
  }

  dropAll() {
    this.stamps.clear()
    this.indexes.dropWhere(() => true)
    this.tiles.dropWhere(() => true)
    this.coverage.clear()
    this.unitValueMaps.clear()
  }

  /** The year's data versions and latest run, re-read after 30 s (a change notice drops it at once). */
  async stamp(city: string, year: number): Promise<string> {
    const slot = `${city}|${year}`
    const s = this.stamps.get(slot)
    if (s && Date.now() - s.at < 30_000) return s.key
    const run = await latestRun(this.knex, city, year)
    const key = crypto
      .createHash('sha1')
      .update(JSON.stringify([await currentVersions(this.knex, city, year), run?.id ?? null]))
      .digest('hex')
      .slice(0, 16)
    if (s && s.key !== key) this.drop(city, year)
    this.stamps.set(slot, { key, at: Date.now() })
    return key
  }

  private async buildIndex(
    city: string,
    year: number,
    layer: TileLayer,
    indicator: string | null,
    region: [number, number, number] | null,
  ): Promise<Index> {
    // A region's features: those whose box meets the region's tile grown by the buffer (as geojson-vt clips).
    const bbox = region ? tileBounds(...region, BUFFER / EXTENT) : null
    const fc = await this.features(city, year, layer, PER_INDICATOR.has(layer) ? indicator : null, bbox)
    const vt = new GeoJSONVT(fc as never, {
      maxZoom: 16,
      indexMaxZoom: 5,
      indexMaxPoints: 100000,
      tolerance: 3,
      extent: EXTENT,
      buffer: BUFFER,
    })
    return { vt, bytes: fc.features.length }
  }

  private index(
    city: string,
    year: number,
    layer: TileLayer,
    indicator: string | null,
    stamp: string,
    region: [number, number, number] | null = null,
  ): Promise<Index> {
    // Buildings and units carry their indicator's fields at encode time, so one index serves every indicator:
    // a switch to another indicator cuts no new index (the geometry is the costly part).
    const k = `${city}|${year}|${layer}|${PER_INDICATOR.has(layer) ? (indicator ?? '') : ''}|${stamp}|${region?.join('/') ?? ''}`
    let p = this.indexes.get(k)
    if (!p) {
      p = this.buildIndex(city, year, layer, indicator, region)
      p.catch(() => this.indexes.dropWhere((x) => x === k))
      this.indexes.set(k, p, 1)
      p.then((ix) => this.indexes.set(k, p!, Math.max(1, ix.bytes))).catch(() => {})
    }
    return p
  }

  /** The layer's features as GeoJSON in lon/lat, with what the map needs as properties. */
  private async features(
    city: string,
    year: number,
    layer: TileLayer,
    indicator: string | null,
    bbox: [number, number, number, number] | null = null,
  ) {
    const v = await currentVersions(this.knex, city, year)
    const rows = async (sql: string, params: unknown[]) =>
      (await this.knex.raw(sql, params as never)).rows as Record<string, unknown>[]
    const fc = (feats: { geometry: unknown; properties: Record<string, unknown>; id?: number }[]) => ({
      type: 'FeatureCollection',
      features: feats.map((f) => ({ type: 'Feature', ...f })),
    })
    if (layer === 'districts' || layer === 'streets' || layer === 'communities') {
      const id = v[layer]
      if (id == null) return fc([])
      const units = await rows(
        `SELECT fid, code, name, population, ST_AsGeoJSON(geom, 6, 0)::json AS g FROM ${layer} WHERE upload_id = ? ORDER BY fid`,
        [id],
      )
      return fc(
        units.map((u) => ({
          id: u.fid as number,
          geometry: u.g,
          properties: {
            code: u.code,
            name: u.name,
            population: u.population,
            status: 'no-data',
          },
        })),
      )
    }
    if (layer === 'buildings') {
      if (v.buildings == null) return fc([])
      const b = await rows(
        `SELECT fid, code, floors, residential, ST_AsGeoJSON(geom, 6, 0)::json AS g FROM buildings WHERE upload_id = ?${
          bbox ? ' AND geom && ST_MakeEnvelope(?, ?, ?, ?, 4490)' : ''
        }`,
        [v.buildings, ...(bbox ?? [])],
      )
      return fc(
        // No feature id: `fid` is the building's id already, and a second copy was 7 % of a tile's bytes.
        b.map((r) => ({
          geometry: r.g,
          properties: { fid: r.fid, code: r.code, floors: r.floors, residential: r.residential },
        })),
      )
    }
    if (layer === 'facilities') {
      if (v.facilities == null) return fc([])
      const f = await rows(
        `SELECT fid, type, name, capacity, ST_AsGeoJSON(geom, 6, 0)::json AS g FROM facilities WHERE upload_id = ?`,
        [v.facilities],
      )
      return fc(
        f.map((r) => ({
          id: r.fid as number,
          geometry: r.g,
          properties: { type: r.type, name: r.name, capacity: r.capacity },
        })),
      )
    }
    if (layer === 'green-spaces') {
      if (v['green-spaces'] == null) return fc([])
      const g = await rows(
        `SELECT fid, kind, name, round(area_m2) AS area_m2, ST_AsGeoJSON(geom, 6, 0)::json AS g FROM green_spaces WHERE upload_id = ?`,
        [v['green-spaces']],
      )
      return fc(
        g.map((r) => ({
          id: r.fid as number,
          geometry: r.g,
          properties: { kind: r.kind, name: r.name, area_m2: r.area_m2 },
        })),
      )
    }
    if (layer === 'roads') {
      if (v.roads == null) return fc([])
      const g = await rows(
        `SELECT fid, kind, name, ST_AsGeoJSON(geom, 6, 0)::json AS g FROM roads WHERE upload_id = ?`,
        [v.roads],
      )
      return fc(g.map((r) => ({ id: r.fid as number, geometry: r.g, properties: { kind: r.kind, name: r.name } })))
    }
    // problems: one point per failing unit × indicator, at the unit's representative point
    const problems = await listProblems(this.knex, city, year, { indicator: indicator ?? undefined })
    const pts = new Map<string, unknown>()
    for (const [tbl, level] of [
      ['districts', 'district'],
      ['streets', 'street'],
      ['communities', 'community'],
    ] as const) {
      if (v[tbl] == null) continue
      for (const r of await rows(
        `SELECT code, ST_AsGeoJSON(ST_PointOnSurface(geom), 6, 0)::json AS g FROM ${tbl} WHERE upload_id = ?`,
        [v[tbl]],
      ))
        pts.set(`${level}:${r.code}`, r.g)
    }
    return fc(
      problems
        .filter((p) => pts.has(`${p.level}:${p.unitCode}`))
        .map((p) => ({
          geometry: pts.get(`${p.level}:${p.unitCode}`),
          properties: {
            id: p.id,
            indicator: p.indicator,
            name: p.indicatorZh,
            level: p.level,
            unit: p.unitName,
            severity: p.severity,
            value: p.value,
            target: p.target,
            status: p.status,
          },
        })),
    )
  }

  /** A unit layer's values for one indicator: code → {value, status, target}; kept per stamp. */
  private unitValueMaps = new Map<string, Promise<Map<string, Record<string, unknown>>>>()
  private unitValues(city: string, year: number, layer: TileLayer, indicator: string, stamp: string) {
    const k = `${city}|${year}|${layer}|${indicator}|${stamp}`
    let p = this.unitValueMaps.get(k)
    if (!p) {
      if (this.unitValueMaps.size > 200) this.unitValueMaps.clear()
      p = (async () => {
        const values = new Map<string, Record<string, unknown>>()
        const run = await latestRun(this.knex, city, year)
        if (!run) return values
        const level = layer === 'streets' ? 'street' : layer === 'districts' ? 'district' : 'community'
        // `code@network`: the same indicator under the walking-network distance model.
        const [code, model] = indicator.split('@')
        const def = (run.definitions as { code: string; params: { primary?: string } }[]).find((d) => d.code === code)
        const primary = def?.params.primary ?? 'area'
        const res = await this.knex('indicator_results')
          .where({
            run_id: run.id,
            indicator: code,
            level,
            variant: model === 'network' ? `${primary}@network` : primary,
          })
          .select('unit_code', 'value', 'status', 'target')
        for (const r of res)
          values.set(r.unit_code, {
            value: r.value == null ? null : Math.round(r.value * 100) / 100,
            status: r.status,
            target: r.target,
          })
        return values
      })()
      p.catch(() => this.unitValueMaps.delete(k))
      this.unitValueMaps.set(k, p)
    }
    return p
  }

  /**
   * A tile already cut for the current data, answered without waiting (undefined: ask `tile`). Most
   * requests of a map in use are these; the promise chain of `tile` was a measurable share of them.
   */
  cached(
    city: string,
    year: number,
    layer: TileLayer,
    z: number,
    x: number,
    y: number,
    indicator: string | null,
  ): { body: Buffer | null; etag: string } | undefined {
    const s = this.stamps.get(`${city}|${year}`)
    if (!s || Date.now() - s.at >= 30_000) return undefined
    return this.tiles.get(tileKey(city, year, layer, indicator, s.key, z, x, y))
  }

  /** The gzipped MVT for a tile (null when empty) and its ETag. */
  async tile(
    city: string,
    year: number,
    layer: TileLayer,
    z: number,
    x: number,
    y: number,
    indicator: string | null,
  ): Promise<{ body: Buffer | null; etag: string }> {
    if (!TILE_LAYERS.includes(layer))
      throw new AppError('CC_NOT_FOUND', { what: `图层 ${layer} / tile layer ${layer}` })
    if (z < 0 || z > MAX_ZOOM || x < 0 || y < 0 || x >= 2 ** z || y >= 2 ** z)
      throw new AppError('CC_BAD_REQUEST', { reason: `瓦片坐标 ${z}/${x}/${y} 无效 / invalid tile ${z}/${x}/${y}` })
    const stamp = await this.stamp(city, year)
    const etag = `"${city}-${stamp}-${layer}-${indicator ?? ''}-${z}-${x}-${y}"`
    const key = tileKey(city, year, layer, indicator, stamp, z, x, y)
    const hit = this.tiles.get(key)
    if (hit !== undefined) return hit
    let body: Buffer | null = null
    if (z >= MIN_ZOOM[layer]) {
      const region: [number, number, number] | null =
        layer === 'buildings' && z >= BUILDING_REGION_ZOOM
          ? [BUILDING_REGION_ZOOM, x >> (z - BUILDING_REGION_ZOOM), y >> (z - BUILDING_REGION_ZOOM)]
          : null
      // A building tile's coverage flags load while its region is cut (a first tile waits for both).
      const cover = layer === 'buildings' && indicator ? this.coverageOf(city, year, indicator, stamp) : null
      cover?.catch(() => {}) // (awaited below; an index failure must not leave it unhandled)
      const ix = await this.index(city, year, layer, indicator, stamp, region)
      const t = ix.vt.getTile(Math.min(z, MAX_ZOOM), x, y)
      if (t?.features.length) {
        if (cover) markCoverage(t.features as unknown as { tags: Record<string, unknown> }[], await cover)
        if (UNIT_LAYERS.has(layer)) {
          const vals = indicator ? await this.unitValues(city, year, layer, indicator, stamp) : new Map()
          // Rebuilt from the unit's own fields each time, so nothing of another indicator stays behind.
          for (const f of t.features as unknown as { tags: Record<string, unknown> }[]) {
            const { code, name, population } = f.tags
            f.tags = { code, name, population, status: 'no-data', ...(vals.get(code as string) ?? {}) }
          }
        }
        const pbf = vtpbf.fromGeojsonVt({ [layer]: t as never }, { version: 2 })
        body = zlib.gzipSync(Buffer.from(pbf))
      }
    }
    const t = { body, etag }
    this.tiles.set(key, t, body ? body.length : 64)
    return t
  }

  // The latest run's per-building arrays, compactly: fid → position, the residential bits and
  // residents once per run, and each indicator's packed coverage bits (125 KB per million buildings)
  // loaded on first use and kept — so tiles of many indicators at once never evict each other.
  private coverage = new Map<string, Promise<RunArrays | null>>()
  private runArrays(city: string, year: number, stamp: string): Promise<RunArrays | null> {
    const k = `${city}|${year}|${stamp}`
    let p = this.coverage.get(k)
    if (!p) {
      for (const key of this.coverage.keys()) if (key.startsWith(`${city}|${year}|`)) this.coverage.delete(key)
      p = (async () => {
        const run = await latestRun(this.knex, city, year)
        if (!run) return null
        const a = await readRunArrays(this.knex, run.id, ['fid', 'residents', 'residential'])
        if (!a.fid) return null
        const fid = new Int32Array(a.fid.buffer.slice(a.fid.byteOffset, a.fid.byteOffset + a.fid.byteLength))
        let max = 0
        for (let i = 0; i < fid.length; i++) if (fid[i] > max) max = fid[i]
        const byFid = new Int32Array(max + 1)
        for (let i = 0; i < fid.length; i++) byFid[fid[i]] = i + 1
        const residents = new Float32Array(
          a.residents.buffer.slice(a.residents.byteOffset, a.residents.byteOffset + a.residents.byteLength),
        )
        return { runId: run.id as number, byFid, residential: a.residential, residents, covered: new Map() }
      })()
      p.catch(() => this.coverage.delete(k))
      this.coverage.set(k, p)
    }
    return p
  }

  /** The run's arrays and an indicator's coverage bits (null without a run or that indicator). */
  private async coverageOf(
    city: string,
    year: number,
    indicator: string,
    stamp: string,
  ): Promise<{ ra: RunArrays; cov: Buffer } | null> {
    const ra = await this.runArrays(city, year, stamp)
    if (!ra) return null
    let bits = ra.covered.get(indicator)
    if (!bits) {
      bits = readRunArrays(this.knex, ra.runId, [`covered:${indicator}`]).then((r) => r[`covered:${indicator}`] ?? null)
      ra.covered.set(indicator, bits)
    }
    const cov = await bits
    return cov ? { ra, cov } : null
  }

  async bounds(city: string, year: number): Promise<[number, number, number, number] | null> {
    const v = await currentVersions(this.knex, city, year)
    const tbl =
      v.districts != null
        ? ['districts', v.districts]
        : v.streets != null
          ? ['streets', v.streets]
          : v.communities != null
            ? ['communities', v.communities]
            : v.buildings != null
              ? ['buildings', v.buildings]
              : null
    if (!tbl) return null
    const r = (
      await this.knex.raw(
        `SELECT ST_XMin(e) a, ST_YMin(e) b, ST_XMax(e) c, ST_YMax(e) d FROM (SELECT ST_Extent(geom) e FROM ${tbl[0]} WHERE upload_id = ?) s`,
        [tbl[1]],
      )
    ).rows[0]
    return [r.a, r.b, r.c, r.d]
  }
}

/** A cut tile's key in the byte cache (one form for `cached` and `tile`). */
function tileKey(
  city: string,
  year: number,
  layer: TileLayer,
  indicator: string | null,
  stamp: string,
  z: number,
  x: number,
  y: number,
): string {
  return `${city}|${year}|${layer}|${indicator ?? ''}|${stamp}|${z}/${x}/${y}`
}

/** A tile's residential buildings with their coverage flag and residents, from the run's arrays. */
function markCoverage(features: { tags: Record<string, unknown> }[], c: { ra: RunArrays; cov: Buffer } | null) {
  if (!c) return
  const { ra, cov } = c
  for (const f of features) {
    const i = (ra.byFid[f.tags.fid as number] ?? 0) - 1
    if (i < 0 || !unpackBit(ra.residential, i)) continue
    // Tags are shared with the index: copy before adding per-indicator fields.
    f.tags = { ...f.tags, covered: unpackBit(cov, i), residents: Math.round(ra.residents[i]) }
  }
}
