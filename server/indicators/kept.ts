// The buildings as the model reads them, kept between runs (db/derived.ts): the columns the COPY
// brought (position in the zone, footprint, floors, height, use, residents, year) and the 社区, 街道
// and 小区 each building stands in. At a million buildings the COPY and the point-in-polygon tests took
// ~3 s of every cold run — after a facilities upload or a restart as much as after new buildings.
// A kept row is keyed by the buildings, the units' uploads and the zone, so it is stale never, and
// everything that depends on settings (floor area, residents, what counts as a home) is still derived
// from it on every read. The model's other queries (units, facilities, green spaces, jobs, commutes)
// are kept too, as their rows (keptRows).
import type { Knex } from 'knex'
import { canCopy } from '../db/engine.ts'
import { readCached, writeCached } from '../db/derived.ts'
import { type Arrays, packArrays, sha1, unpackArrays } from '../db/packed.ts'

/** Bumped whenever what a row holds, or how a building's units are found, changes. */
const FORMAT = 1

/** The number of columns the model reads per building (model.ts SQL.buildings). */
export const BUILDING_COLUMNS = 10

/** Each building's unit by index (-1: none), in the order of the units the model reads. */
export interface Membership {
  community: Int32Array
  street: Int32Array
  area: Int32Array
}

export interface KeptBuildings {
  cols: Float64Array[]
  membership: Membership
}

type Uploads = Record<string, number | null>

/** The uploads a kept row comes from: the buildings and every unit layer their membership depends on. */
export const buildingsUploads = (v: Uploads): number[] =>
  [v.buildings, v.communities, v.streets, v['residential-areas']].filter((x): x is number => x != null)

export const buildingsKey = (v: Uploads, srid: number): string =>
  `buildings:${sha1([JSON.stringify([FORMAT, v.buildings, v.communities, v.streets, v['residential-areas'], srid])])}`

/** The column as float32 where that loses nothing (counts, years, flags, NaN), else as it is. */
export function narrowed(c: Float64Array): Float64Array | Float32Array {
  for (let i = 0; i < c.length; i++) if (Math.fround(c[i]) !== c[i] && !Number.isNaN(c[i])) return c
  return Float32Array.from(c)
}

export function packBuildings(k: KeptBuildings): Buffer {
  const arrays: Arrays = {}
  k.cols.forEach((c, i) => {
    arrays[`c${i}`] = narrowed(c)
  })
  return packArrays(null, { ...arrays, ...k.membership })
}

/**
 * What packBuildings packed, or null unless every array is there, each as long as the rest, and each
 * unit index names one of `units` (a row that does not fit the units read with it is a miss).
 */
export function unpackBuildings(
  buf: Uint8Array,
  units: { communities: number; streets: number; areas: number },
): KeptBuildings | null {
  // (the columns read in place: they live as long as the load; the membership, kept with the model, is
  // copied out of the row's bytes so that they do not stay alive with it)
  const a = unpackArrays(buf, { views: true })?.arrays
  if (!a) return null
  const cols: Float64Array[] = []
  for (let i = 0; i < BUILDING_COLUMNS; i++) {
    const c = a[`c${i}`]
    if (c instanceof Float64Array) cols.push(c)
    else if (c instanceof Float32Array) cols.push(new Float64Array(c))
    else return null
  }
  const n = cols[0].length
  if (cols.some((c) => c.length !== n)) return null
  const of = (name: string, count: number): Int32Array | null => {
    const m = a[name]
    if (!(m instanceof Int32Array) || m.length !== n) return null
    for (let i = 0; i < n; i++) if (m[i] < -1 || m[i] >= count) return null
    return m.slice()
  }
  const community = of('community', units.communities)
  const street = of('street', units.streets)
  const area = of('area', units.areas)
  return community && street && area ? { cols, membership: { community, street, area } } : null
}

/** The kept row's bytes under this key, if there is one (unpacked once the units are read). */
export const keptBuildingBytes = (knex: Knex, key: string): Promise<Buffer | null> => readCached(knex, key)

/** Keeps the buildings as this load read them, for the next (a lost saving if it fails). */
export async function keepBuildings(
  knex: Knex,
  at: { city: string; key: string; uploads: number[] },
  k: KeptBuildings,
): Promise<void> {
  if (!canCopy(knex)) return
  await writeCached(knex, {
    key: at.key,
    city: at.city,
    kind: 'buildings',
    uploads: at.uploads,
    data: packBuildings(k),
  })
}

/** A small derived value kept as a row's header alone (no arrays), or null if there is none under `key`. */
async function keptMeta(knex: Knex, key: string): Promise<unknown> {
  const kept = await readCached(knex, key).catch(() => null)
  return kept ? (unpackArrays(kept)?.meta ?? null) : null
}

async function keepMeta(
  knex: Knex,
  row: { key: string; city: string; kind: 'extent' | 'parks'; uploads: number[] },
  meta: unknown,
): Promise<void> {
  if (canCopy(knex)) await writeCached(knex, { ...row, data: packArrays(meta, {}) }).catch(() => {})
}

/**
 * The easting's centre of an upload's extent (in CGCS2000 degrees), which picks the city's zone when
 * it names none: kept per upload, as the ST_Extent over a million footprints took ~0.3 s of every
 * cold run before anything else could start.
 */
export async function extentCentre(
  knex: Knex,
  city: string,
  at: { table: string; upload: number },
  measure: () => Promise<number>,
): Promise<number> {
  const key = `extent:${sha1([JSON.stringify([FORMAT, at.table, at.upload])])}`
  const meta = (await keptMeta(knex, key)) as { x?: unknown } | null
  if (meta && typeof meta.x === 'number' && Number.isFinite(meta.x)) return meta.x
  const x = await measure()
  if (Number.isFinite(x)) await keepMeta(knex, { key, city, kind: 'extent', uploads: [at.upload] }, { x })
  return x
}

/** Park area per unit as its queries return it: [code, m²] per 区, 街道 and 社区, and [[m²]] for the city. */
export interface ParkRows {
  district: unknown[][]
  street: unknown[][]
  community: unknown[][]
  city: unknown[][]
}

/**
 * The park area inside each unit (green spaces clipped to the unit on the ellipsoid: four queries that
 * were ~0.8 s of PostgreSQL's CPU in a 1M city's read, while everything else was read), kept for these
 * green spaces, units and park kinds; else measured and kept.
 */
export async function parkRows(
  knex: Knex,
  city: string,
  v: Uploads,
  parkKinds: string,
  measure: () => Promise<ParkRows>,
): Promise<ParkRows> {
  const key = `parks:${sha1([JSON.stringify([FORMAT, v['green-spaces'], v.districts, v.streets, v.communities, parkKinds])])}`
  const meta = (await keptMeta(knex, key)) as Partial<ParkRows> | null
  const ok = (r: unknown) => Array.isArray(r) && r.every((x) => Array.isArray(x))
  if (meta && ok(meta.district) && ok(meta.street) && ok(meta.community) && ok(meta.city)) return meta as ParkRows
  const rows = await measure()
  const uploads = [v['green-spaces'], v.districts, v.streets, v.communities].filter((x): x is number => x != null)
  await keepMeta(knex, { key, city, kind: 'parks', uploads }, rows)
  return rows
}

/** A query's rows, as its caller reads them, and the write that keeps them (done when there was none). */
export interface Rows {
  rows: unknown[][]
  keeping: Promise<void>
}

const finiteOrNot = (v: unknown): boolean =>
  typeof v === 'number' ? Number.isFinite(v) : Array.isArray(v) ? v.every(finiteOrNot) : true

/**
 * The rows of one of the model's queries of an upload (its units, facilities, green spaces, jobs or
 * commutes): kept under the query's text and parameters, so a kept row is the answer the query would
 * give — the upload's rows never change, and a changed query is another key. The columns at `json`
 * come as JSON text (ST_AsGeoJSON) and are given parsed, kept or not. Rows with a non-finite number
 * are not kept (JSON has none).
 */
export async function keptRows(
  knex: Knex,
  at: { city: string; uploads: number[] },
  query: { sql: string; params: unknown[]; json: number[] },
  run: () => Promise<unknown[][]>,
): Promise<Rows> {
  const done = Promise.resolve()
  if (!canCopy(knex)) return { rows: parsed(await run(), query.json), keeping: done }
  const key = `rows:${sha1([JSON.stringify([FORMAT, query.sql, query.params, query.json])])}`
  const kept = await readCached(knex, key).catch(() => null)
  if (kept) {
    try {
      const rows = JSON.parse(kept.toString('utf8')) as unknown
      if (Array.isArray(rows) && rows.every((r) => Array.isArray(r))) return { rows, keeping: done }
    } catch {}
  }
  const rows = parsed(await run(), query.json)
  const keeping = rows.every((r) => r.every(finiteOrNot))
    ? writeCached(knex, {
        key,
        city: at.city,
        kind: 'rows',
        uploads: at.uploads,
        data: Buffer.from(JSON.stringify(rows)),
      }).catch(() => {})
    : done
  return { rows, keeping }
}

function parsed(rows: unknown[][], json: number[]): unknown[][] {
  for (const r of rows) for (const k of json) if (typeof r[k] === 'string') r[k] = JSON.parse(r[k] as string)
  return rows
}
