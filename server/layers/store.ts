// Reading layers back: the current version of a layer as GeoJSON, the version history, restore.
import type { Knex } from 'knex'
import { AppError } from '../errors.ts'
import { LAYERS, type LayerDef } from './definitions.ts'
import type { Database } from '../db/engine.ts'

export async function currentUploadId(
  knex: Knex,
  city: string,
  year: number,
  layer: string,
): Promise<number | undefined> {
  const r = await knex('layer_current').where({ city, year, layer }).first('upload_id')
  return r?.upload_id
}

export interface LayerQuery {
  bbox?: [number, number, number, number]
  limit: number
  offset: number
  /** `bbox`: each feature's extent as its GeoJSON `bbox` and no geometry (unit lists, labels, search) */
  geometry?: 'full' | 'bbox'
}

// A unit's parent comes from the data when given, else from where it lies (its point-on-surface
// falls inside the parent polygon). Derived at read time, so re-uploading a parent layer never
// leaves a stale link behind.
const PARENT: Record<string, { column: string; layer: string; table: string }> = {
  streets: { column: 'parent_code', layer: 'districts', table: 'districts' },
  communities: { column: 'street_code', layer: 'streets', table: 'streets' },
  residential_areas: { column: 'community_code', layer: 'communities', table: 'communities' },
  buildings: { column: 'community_code', layer: 'communities', table: 'communities' },
}

export async function layerGeoJson(knex: Knex, city: string, year: number, def: LayerDef, q: LayerQuery) {
  const uploadId = await currentUploadId(knex, city, year, def.layer)
  if (uploadId === undefined) return { type: 'FeatureCollection', features: [], numberMatched: 0, version: null }
  const cols = [
    'fid',
    ...def.fields.map((f) => f.name),
    ...(def.table === 'facilities' ? ['source_type'] : []),
    ...(def.table === 'green_spaces' ? ['area_m2'] : []),
  ]
  const parent = PARENT[def.table]
  const parentUpload = parent ? await currentUploadId(knex, city, year, parent.layer) : undefined
  const where = ['t.upload_id = ?']
  const params: Knex.RawBinding[] = [uploadId]
  if (q.bbox) {
    where.push('t.geom && ST_MakeEnvelope(?, ?, ?, ?, 4490)')
    params.push(...q.bbox)
  }
  const select = cols.map((c) => `t."${c}"`).join(', ')
  const derived =
    parent && parentUpload !== undefined
      ? `, p.code AS derived_parent FROM ${def.table} t LEFT JOIN LATERAL (
         SELECT code FROM ${parent.table} p WHERE p.upload_id = ${Number(parentUpload)} AND t.${parent.column} IS NULL
           AND ST_Intersects(p.geom, ST_PointOnSurface(t.geom)) LIMIT 1) p ON true`
      : ` FROM ${def.table} t`
  const geom =
    q.geometry === 'bbox'
      ? `NULL::json AS geometry, json_build_array(round(ST_XMin(t.geom)::numeric, 7), round(ST_YMin(t.geom)::numeric, 7),
           round(ST_XMax(t.geom)::numeric, 7), round(ST_YMax(t.geom)::numeric, 7)) AS extent`
      : 'ST_AsGeoJSON(t.geom, 7, 0)::json AS geometry'
  const sql = `SELECT ${select}, t.props, ${geom}${derived}
    WHERE ${where.join(' AND ')} ORDER BY t.fid LIMIT ? OFFSET ?`
  const rows = (await knex.raw(sql, [...params, q.limit, q.offset])).rows
  const count = (await knex.raw(`SELECT count(*)::int AS n FROM ${def.table} t WHERE ${where.join(' AND ')}`, params))
    .rows[0].n
  const features = rows.map((r: Record<string, unknown>) => {
    const { geometry, props, derived_parent, extent, ...properties } = r
    if (parent) {
      const given = properties[parent.column] != null
      if (!given && derived_parent != null) properties[parent.column] = derived_parent
      properties[`${parent.column}_source`] = given ? 'data' : derived_parent != null ? 'spatial' : null
    }
    const f = { type: 'Feature', id: r.fid, geometry, properties: { ...properties, attributes: props ?? {} } }
    return extent ? { ...f, bbox: (extent as string[]).map(Number) } : f
  })
  return {
    type: 'FeatureCollection',
    features,
    numberMatched: count,
    numberReturned: features.length,
    version: uploadId,
  }
}

export async function listVersions(knex: Knex, city: string, year: number, layer: string) {
  const current = await currentUploadId(knex, city, year, layer)
  const rows = await knex('uploads')
    .where({ city, year, layer })
    .whereIn('status', ['succeeded', 'dropped'])
    .orderBy('id', 'desc')
    .select(
      'id',
      'status',
      'uploader',
      'file_name',
      'format',
      'crs',
      'encoding',
      'feature_count',
      'warnings',
      'created_at',
      'duration_ms',
    )
  // `number` counts this layer's versions in this year (v1 the first); `version` is the upload id,
  // unique across years, which is what carrying a version into another year needs.
  return rows.map((r, i) => ({
    number: rows.length - i,
    label: `v${rows.length - i}`,
    version: r.id,
    ...r,
    warningCount: (r.warnings as unknown[]).length,
    warnings: undefined,
    current: r.id === current,
    restorable: r.status === 'succeeded',
  }))
}

/**
 * The upload id a restore names: `v3` is the third version of the layer in `fromYear` (the path's
 * year unless another is given, to carry a version forward); a bare number is the upload id.
 */
export async function resolveVersion(
  knex: Knex,
  city: string,
  layer: string,
  version: string,
  fromYear: number,
): Promise<number | undefined> {
  const n = /^v(\d{1,9})$/i.exec(version)
  // Upload ids are int4: a longer number names no version (and must not reach the query).
  if (!n) return /^\d{1,10}$/.test(version) && Number(version) <= 2 ** 31 - 1 ? Number(version) : undefined
  if (Number(n[1]) < 1) return undefined
  const row = await knex('uploads')
    .where({ city, year: fromYear, layer })
    .whereIn('status', ['succeeded', 'dropped'])
    .orderBy('id')
    .offset(Number(n[1]) - 1)
    .first('id')
  return row?.id
}

export async function restoreVersion(
  db: Database,
  city: string,
  year: number,
  layer: string,
  version: number | undefined,
  by: string,
  asked: string = String(version),
) {
  const { knex } = db
  // Only a version of the same city: another city's data is never reachable from here.
  const up = Number.isSafeInteger(version)
    ? await knex('uploads').where({ id: version, city, layer, status: 'succeeded' }).first('id', 'year')
    : undefined
  if (!up) throw new AppError('CC_VERSION_NOT_FOUND', { year, layer, version: asked })
  // A version of another year may be carried forward: versions are immutable, so both years
  // keep exactly what they had; a later upload to either year makes a new partition.
  await knex('layer_current')
    .insert({ city, year, layer, upload_id: version, updated_by: by })
    .onConflict(['city', 'year', 'layer'])
    .merge({ upload_id: version, updated_at: knex.fn.now(), updated_by: by })
  await db.events.changed(city, year)
  return { year, layer, version }
}

export async function listLayers(knex: Knex, city: string, year: number) {
  const rows = await knex('layer_current as c')
    .join('uploads as u', 'u.id', 'c.upload_id')
    .where({ 'c.city': city, 'c.year': year })
    .select('c.layer', 'c.upload_id', 'c.updated_at', 'u.feature_count', 'u.file_name', 'u.crs', 'u.uploader')
  return LAYERS.map((l) => {
    const r = rows.find((x) => x.layer === l.layer)
    return {
      layer: l.layer,
      zh: l.zh,
      en: l.en,
      version: r?.upload_id ?? null,
      featureCount: r?.feature_count ?? 0,
      fileName: r?.file_name ?? null,
      crs: r?.crs ?? null,
      uploader: r?.uploader ?? null,
      updatedAt: r?.updated_at ?? null,
    }
  })
}

export async function listYears(knex: Knex, city: string): Promise<number[]> {
  return (await knex('layer_current').where({ city }).distinct('year').orderBy('year', 'desc')).map((r) => r.year)
}
