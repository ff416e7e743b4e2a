// The path of an upload, from bytes to a current layer version:
//   read (format, encoding) → normalise (CRS, fields, types) → stage (a new partition, COPY)
//   → validate in PostGIS (geometry validity, topology) → index → attach → flip layer_current.
// Everything after `read` happens in one transaction: a failure anywhere leaves the previous
// version current and untouched. The upload itself is logged whatever happens.
import type { Knex } from 'knex'
import type pg from 'pg'
import { AppError, issue, validationError, type Issue } from '../errors.ts'
import type { Database } from '../db/engine.ts'
import { bulkInsert } from '../db/bulk.ts'
import { inTransaction } from '../db/client.ts'
import { layerDef, LAYER_NAMES, type LayerDef } from '../layers/definitions.ts'
import { normaliseStream, type ImportOptions } from './normalise.ts'
import { convertInParallel, tupleOf } from './parallel.ts'
import { readUpload, type RawFeature, type ReadResult } from './readers/index.ts'
import { noCoordinates } from './readers/csv.ts'

export interface ImportRequest {
  city: string
  year: number
  layer: string
  fileName: string
  buffer: Buffer
  uploader: string
  options: ImportOptions
  /** the uploads row made when the upload was queued; absent = make one now */
  uploadId?: number
  jobId?: number
  /** a failure may be retried by the queue (the uploads row then stays queued) */
  retryable?: boolean
}

export interface ImportLimits {
  maxUnpackedBytes: number
  maxFeatures: number
  keepVersions: number
  /** GeoJSON up to this size with under 50,000 features is parsed whole, others from their bytes
   * (see readers/geojson.ts) */
  keepParsedBytes?: number
  /** A GeoJSON read from its bytes scanned and converted on a second core too: from 50,000 features,
   * always, or never (readers/geojson.ts, parallel.ts) */
  convertWorker?: 'auto' | 'always' | 'never'
  /** Features in a block of that conversion (tests make it small) */
  convertBlock?: number
}

export type ProgressStage = 'read' | 'normalise' | 'write' | 'validate' | 'index' | 'done'

/** How far an import is, 0..1, from its stage and the rows written (writing is most of the time). */
export function importFraction(stage: ProgressStage, done?: number, total?: number): number {
  if (stage === 'write') return 0.1 + 0.6 * (total ? Math.min(1, (done ?? 0) / total) : 0)
  return { read: 0.02, normalise: 0.08, validate: 0.75, index: 0.9, done: 1 }[stage]
}
export type OnProgress = (stage: ProgressStage, done?: number, total?: number) => void

export interface ImportResult {
  uploadId: number
  city: string
  year: number
  layer: string
  format: string
  crs: string
  crsSource: string
  encoding: string
  encodingSource: string
  /** for a detected legacy encoding, the detector's (relative) confidence */
  encodingConfidence?: number
  featureCount: number
  fieldMap: Record<string, string | null>
  warnings: Issue[]
  durationMs: number
}

/** Overlaps smaller than this (m²) are digitising noise, not two 社区 claiming the same ground. */
export const OVERLAP_TOLERANCE_M2 = 1

export function checkYear(year: unknown): number {
  const y = Number(year)
  if (!Number.isInteger(y) || y < 2000 || y > 2100) throw new AppError('CC_YEAR_INVALID', { year })
  return y
}

export function checkLayer(layer: string): LayerDef {
  const def = layerDef(layer)
  if (!def) throw new AppError('CC_LAYER_UNKNOWN', { layer, layers: LAYER_NAMES.join(', ') })
  return def
}

/** Logs an upload attempt (queued or starting now) and returns its id. */
export async function beginUpload(
  knex: Knex,
  req: Omit<ImportRequest, 'buffer'> & { bytes: number },
  status: 'queued' | 'running',
): Promise<number> {
  const [{ id }] = await knex('uploads')
    .insert({
      city: req.city,
      year: req.year,
      layer: req.layer,
      status,
      uploader: req.uploader,
      file_name: req.fileName,
      file_bytes: req.bytes,
      options: JSON.stringify(req.options),
      job_id: req.jobId ?? null,
    })
    .returning('id')
  return id
}

export function columnsOf(def: LayerDef): string[] {
  const cols = ['upload_id', 'fid', ...def.fields.map((f) => f.name)]
  if (def.table === 'facilities') cols.push('source_type')
  if (def.table === 'buildings') cols.push('zone')
  return [...cols, 'props', 'geom']
}

async function currentUpload(
  client: pg.ClientBase,
  city: string,
  year: number,
  layer: string,
): Promise<number | undefined> {
  const r = await client.query('SELECT upload_id FROM layer_current WHERE city = $1 AND year = $2 AND layer = $3', [
    city,
    year,
    layer,
  ])
  return r.rows[0]?.upload_id
}

export async function importLayer(
  db: Database,
  req: ImportRequest,
  limits: ImportLimits,
  onProgress?: OnProgress,
): Promise<ImportResult> {
  const t0 = Date.now()
  const year = checkYear(req.year)
  const def = checkLayer(req.layer)
  const { knex } = db
  const { city } = req
  const uploadId =
    req.uploadId ?? (await beginUpload(knex, { ...req, year, layer: def.layer, bytes: req.buffer.length }, 'running'))
  if (req.uploadId) await knex('uploads').where({ id: uploadId }).update({ status: 'running' })
  try {
    onProgress?.('read')
    const read = await readUpload(req.buffer, req.fileName, {
      encoding: req.options.encoding,
      layer: req.options.layer,
      crs: req.options.crs,
      maxUnpackedBytes: limits.maxUnpackedBytes,
      maxFeatures: limits.maxFeatures,
      keepParsedBytes: limits.keepParsedBytes,
      worker: limits.convertWorker,
      block: limits.convertBlock,
    })
    if (read.attributeOnly) await placeByUnit(knex, city, year, def, read)
    const total = read.features.length
    onProgress?.('normalise', 0, total)
    // Rows placed at unit points are CGCS2000 lon/lat whatever CRS the form named.
    const norm = normaliseStream(read, def, read.attributeOnly ? { ...req.options, crs: 'EPSG:4490' } : req.options)
    const warnings = [...norm.warnings]
    const repair = req.options.onInvalid === 'repair'
    const columns = columnsOf(def)
    const staging = `${def.table}_u${uploadId}`

    await inTransaction(knex, async (client) => {
      // One upload per (city, year, layer) at a time; a second waits rather than interleaving.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${city}:${year}:${def.layer}`])
      await createPartition(client, def.table, staging, uploadId, city)
      // Rows are converted while PostgreSQL parses the COPY stream: the two run on separate cores.
      onProgress?.('write', 0, total)
      const tuple = tupleOf(columns, uploadId, norm.zone)
      function* tuples() {
        for (const r of norm.rows) yield tuple(r)
      }
      // A large GeoJSON read from its bytes is converted on two cores (parallel.ts).
      const parallel = db.supportsCopy
        ? convertInParallel(
            read.features,
            norm,
            { columns, uploadId, zone: norm.zone },
            { mode: limits.convertWorker, block: limits.convertBlock },
          )
        : null
      await bulkInsert(client, staging, columns, parallel ?? tuples(), {
        copy: db.supportsCopy,
        total,
        onProgress: (n) => onProgress?.('write', n, total),
      })
      // Per-feature problems found on the way: the transaction rolls back, nothing was kept.
      if (norm.errors.length) throw validationError(read.fileName, norm.errors)
      read.features = [] // the parsed features (or the file's bytes) can go before the checks run

      onProgress?.('validate')
      // The 社区 overlap check joins the staging table with itself: with the GiST index first it is
      // n log n (14,400 社区: see the README's import figures), without it every pair's boxes are compared.
      const indexFirst = def.layer === 'communities'
      if (indexFirst) {
        await client.query(`CREATE INDEX ON ${staging} USING gist (geom)`)
        await client.query(`ANALYZE ${staging}`)
      }
      const problems = await validateStaged(client, { def, staging, city, year, file: read.fileName, repair })
      warnings.push(...problems.warnings)
      if (problems.errors.length) throw validationError(read.fileName, problems.errors)

      if (def.table === 'green_spaces') await client.query(`UPDATE ${staging} SET area_m2 = ST_Area(geom::geography)`)
      onProgress?.('index')
      if (!indexFirst) await client.query(`CREATE INDEX ON ${staging} USING gist (geom)`)
      await client.query(`CREATE INDEX ON ${staging} (upload_id, fid)`)
      await client.query(`ANALYZE ${staging}`)
      await client.query(`ALTER TABLE ${def.table} ATTACH PARTITION ${staging} FOR VALUES IN (${uploadId})`)
      await client.query(
        `INSERT INTO layer_current (city, year, layer, upload_id, updated_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (city, year, layer) DO UPDATE SET upload_id = EXCLUDED.upload_id, updated_at = now(), updated_by = EXCLUDED.updated_by`,
        [city, year, def.layer, uploadId, req.uploader],
      )
      await client.query(
        `UPDATE uploads SET status = 'succeeded', format = $2, crs = $3, encoding = $4, feature_count = $5, warnings = $6, duration_ms = $7, finished_at = now() WHERE id = $1`,
        [uploadId, read.format, norm.crs.id, read.encoding, norm.count(), JSON.stringify(warnings), Date.now() - t0],
      )
      await pruneVersions(client, city, year, def, limits.keepVersions)
      await client.query('DELETE FROM upload_chunks WHERE upload_id = $1', [uploadId])
    })
    await db.events.changed(city, year)
    onProgress?.('done', norm.count(), norm.count())
    return {
      uploadId,
      city,
      year,
      layer: def.layer,
      format: read.format,
      crs: norm.crs.id,
      crsSource: norm.crsSource,
      encoding: read.encoding,
      encodingSource: read.encodingSource,
      encodingConfidence: read.encodingConfidence,
      featureCount: norm.count(),
      fieldMap: norm.fieldMap,
      warnings,
      durationMs: Date.now() - t0,
    }
  } catch (e) {
    // Internal error text (SQL, stack) stays in the server log; the public log says what a user can act on.
    const err =
      e instanceof AppError
        ? e.toJSON().error
        : { code: 'CC_INTERNAL', message: '导入失败（服务器内部错误）/ the import failed (internal error)' }
    const last = !(e instanceof AppError) && req.retryable ? 'queued' : 'failed'
    await knex('uploads')
      .where({ id: uploadId })
      .update({
        status: last,
        error: JSON.stringify(err),
        duration_ms: Date.now() - t0,
        finished_at: last === 'failed' ? knex.fn.now() : null,
      })
    if (last === 'failed') await knex('upload_chunks').where({ upload_id: uploadId }).delete()
    throw e
  }
}

/** Geometry validity and topology, checked by GEOS on the staged rows. */
async function validateStaged(
  client: pg.ClientBase,
  a: { def: LayerDef; staging: string; city: string; year: number; file: string; repair: boolean },
) {
  const { def, staging, file, repair } = a
  const errors: Issue[] = []
  const warnings: Issue[] = []
  const invalid = await client.query(
    `SELECT fid, code, ST_IsValidReason(geom) AS reason FROM ${staging} WHERE NOT ST_IsValid(geom) ORDER BY fid LIMIT 1000`,
  )
  for (const r of invalid.rows) {
    const it = issue('CC_GEOMETRY_INVALID', {
      file,
      feature: r.fid,
      featureCode: r.code ?? '-',
      reason: r.reason,
      ...(repair && { repaired: true }),
    })
    ;(repair ? warnings : errors).push(it)
  }
  if (repair && invalid.rows.length) {
    const fix =
      def.geometry === 'polygon'
        ? 'ST_Multi(ST_CollectionExtract(ST_MakeValid(geom), 3))'
        : def.geometry === 'line'
          ? 'ST_Multi(ST_CollectionExtract(ST_MakeValid(geom), 2))'
          : `CASE WHEN GeometryType(geom) IN ('POLYGON','MULTIPOLYGON') THEN ST_Multi(ST_CollectionExtract(ST_MakeValid(geom), 3)) ELSE ST_MakeValid(geom) END`
    await client.query(`UPDATE ${staging} SET geom = ${fix} WHERE NOT ST_IsValid(geom)`)
    const emptied = await client.query(`SELECT fid, code FROM ${staging} WHERE ST_IsEmpty(geom) ORDER BY fid LIMIT 100`)
    for (const r of emptied.rows)
      errors.push(
        issue('CC_GEOMETRY_INVALID', {
          file,
          feature: r.fid,
          featureCode: r.code ?? '-',
          reason: '修复后为空 / empty after repair',
        }),
      )
  }
  if (def.layer === 'communities') {
    const streets = await currentUpload(client, a.city, a.year, 'streets')
    if (streets !== undefined) {
      const outside = await client.query(
        `SELECT c.fid, c.code FROM ${staging} c
         WHERE ST_IsValid(c.geom) AND NOT EXISTS (
           SELECT 1 FROM streets s WHERE s.upload_id = $1 AND ST_Intersects(s.geom, ST_PointOnSurface(c.geom)))
         ORDER BY c.fid LIMIT 1000`,
        [streets],
      )
      for (const r of outside.rows)
        errors.push(issue('CC_COMMUNITY_OUTSIDE_STREET', { file, feature: r.fid, featureCode: r.code }))
    }
    const overlaps = await client.query(
      `SELECT a.fid, a.code, b.fid AS other, b.code AS other_code, ST_Area(ST_Intersection(a.geom, b.geom)::geography) AS area
       FROM ${staging} a JOIN ${staging} b ON a.fid < b.fid AND a.geom && b.geom
       WHERE ST_IsValid(a.geom) AND ST_IsValid(b.geom) AND ST_Intersects(a.geom, b.geom) AND NOT ST_Touches(a.geom, b.geom)
       ORDER BY a.fid, b.fid LIMIT 1000`,
    )
    for (const r of overlaps.rows) {
      if (r.area <= OVERLAP_TOLERANCE_M2) continue
      const it = issue('CC_COMMUNITY_OVERLAP', {
        file,
        feature: r.fid,
        featureCode: r.code,
        other: r.other,
        otherCode: r.other_code,
        areaM2: Math.round(r.area),
      })
      ;(repair ? warnings : errors).push(it)
    }
  }
  return { errors, warnings }
}

/** Keeps the current version and `keep` earlier ones per (city, year, layer); older partitions are dropped. */
async function pruneVersions(client: pg.ClientBase, city: string, year: number, def: LayerDef, keep: number) {
  const old = await client.query(
    `SELECT id FROM uploads u WHERE city = $1 AND year = $2 AND layer = $3 AND status = 'succeeded'
       AND NOT EXISTS (SELECT 1 FROM layer_current c WHERE c.upload_id = u.id)
     ORDER BY id DESC OFFSET $4`,
    [city, year, def.layer, keep],
  )
  for (const { id } of old.rows) {
    await client.query(`DROP TABLE IF EXISTS ${def.table}_u${id}`)
    // (the walking graphs and joined homes made from it: network/cache.ts)
    await client.query('DELETE FROM derived_cache WHERE uploads @> ARRAY[$1::bigint]', [id])
    await client.query(`UPDATE uploads SET status = 'dropped' WHERE id = $1`, [id])
  }
}

/**
 * A new, unattached partition for one upload. The CHECK lets ATTACH skip its validation scan; the
 * city is a constant default, so the COPY need not send it.
 */
export async function createPartition(
  client: pg.ClientBase,
  table: string,
  staging: string,
  uploadId: number,
  city: string,
) {
  await client.query(
    `CREATE TABLE ${staging} (LIKE ${table} INCLUDING DEFAULTS INCLUDING GENERATED, CHECK (upload_id = ${Number(uploadId)}))`,
  )
  await client.query(
    `ALTER TABLE ${staging} ALTER COLUMN city SET DEFAULT '${city.replace(/[^0-9]/g, '')}', ALTER COLUMN city SET NOT NULL`,
  )
}

/** The upload rows of a job that was lost and will not be retried are marked failed. */
export async function failUploadsOfJob(knex: Knex, jobId: number): Promise<number> {
  const n = await knex('uploads')
    .where({ job_id: jobId })
    .whereIn('status', ['queued', 'running'])
    .update({
      status: 'failed',
      error: JSON.stringify({ code: 'CC_INTERNAL', message: '上传被中断 / upload was interrupted' }),
      finished_at: knex.fn.now(),
    })
  await knex('upload_chunks')
    .whereIn('upload_id', knex('uploads').where({ job_id: jobId }).select('id'))
    .delete()
  return n
}

/**
 * A table without coordinates, for a layer that allows it: each row is placed at the point inside the
 * 社区, 街道 or 区县 its code column names (in the year's current boundaries). A code no unit has, or a
 * missing one, refuses the file, naming the row; a layer that needs coordinates refuses the table.
 */
export async function placeByUnit(knex: Knex, city: string, year: number, def: LayerDef, read: ReadResult) {
  const by = def.placedBy
  if (!by) throw noCoordinates(read.fileName)
  const norm = (s: string) => s.trim().toLowerCase()
  const column = read.fieldNames.find((f) => by.aliases.some((a) => norm(a) === norm(f)))
  if (!column)
    throw new AppError('CC_FIELD_ABSENT', {
      file: read.fileName,
      field: `${by.field}（${by.aliases.slice(1, 4).join('/')}）`,
      zh: `${by.zh}：表格没有坐标列时按它定位 / ${by.field}: how a table without coordinates is placed`,
    })
  const points = new Map<string, [number, number]>()
  for (const table of ['districts', 'streets', 'communities']) {
    const cur = await knex('layer_current').where({ city, year, layer: table }).first('upload_id')
    if (!cur) continue
    const rows = await knex(table)
      .where({ upload_id: cur.upload_id })
      .select('code', knex.raw('ST_X(ST_PointOnSurface(geom)) AS x'), knex.raw('ST_Y(ST_PointOnSurface(geom)) AS y'))
    for (const r of rows) points.set(String(r.code), [Number(r.x), Number(r.y)])
  }
  const issues: Issue[] = []
  // Tables (CSV, XLSX) are arrays: the point placed here is the one the row pass reads.
  const features = read.features as RawFeature[]
  features.forEach((f, i) => {
    const code = f.properties[column] == null ? '' : String(f.properties[column]).trim()
    const p = points.get(code)
    if (p) f.geometry = { type: 'Point', coordinates: p }
    else if (issues.length < 200)
      issues.push(
        issue(code ? 'CC_FIELD_UNKNOWN_VALUE' : 'CC_FIELD_MISSING', {
          file: read.fileName,
          feature: i + 1,
          field: column,
          value: code,
          allowed: points.size
            ? `${year} 年度的区县、街道或社区代码 / a district, 街道 or 社区 code of ${year}`
            : `${year} 年度尚无区县、街道或社区边界：请先上传 / no boundaries for ${year} yet: upload them first`,
        }),
      )
  })
  if (issues.length) throw validationError(read.fileName, issues)
}
