// GeoPackage (OGC 12-128r18, what QGIS writes by default): a SQLite file read with better-sqlite3
// (from the uploaded bytes; nothing touches the disk), the feature table chosen by the `layer` option
// when the file holds several, the CRS from gpkg_spatial_ref_sys, and each geometry blob — the GPKG
// header, then standard WKB — decoded by wkx.
import Database from 'better-sqlite3'
import wkx from 'wkx'
import type { Geometry } from 'geojson'
import { AppError } from '../../errors.ts'
import type { RawFeature, ReadOptions, ReadResult } from './types.ts'

export const isSqlite = (buf: Buffer) =>
  buf.length >= 16 && buf.subarray(0, 16).toString('latin1') === 'SQLite format 3\u0000'

/** The WKB inside a GeoPackage geometry blob, or null for an empty geometry. */
export function gpkgWkb(blob: Buffer): Buffer | null {
  if (blob.length < 8 || blob[0] !== 0x47 || blob[1] !== 0x50)
    throw new Error('not a GeoPackage geometry (no GP magic)')
  const flags = blob[3]
  if (flags & 0x10) return null // the empty-geometry flag
  const envelope = (flags >> 1) & 0x07
  const size = [0, 32, 48, 48, 64][envelope]
  if (size === undefined) throw new Error(`invalid envelope indicator ${envelope}`)
  return blob.subarray(8 + size)
}

export function readGeoPackage(buf: Buffer, fileName: string, opts: ReadOptions & { layer?: string }): ReadResult {
  let db: Database.Database
  try {
    db = new Database(buf)
  } catch (e) {
    throw new AppError('CC_PARSE_FAILED', { file: fileName, reason: `GeoPackage 无法打开：${(e as Error).message}` })
  }
  try {
    const q = <T>(sql: string, ...p: unknown[]) => db.prepare(sql).all(...p) as T[]
    let tables: { table_name: string; column_name: string; srs_id: number }[]
    try {
      tables = q(
        `SELECT c.table_name, g.column_name, g.srs_id FROM gpkg_contents c
         JOIN gpkg_geometry_columns g ON g.table_name = c.table_name WHERE c.data_type = 'features' ORDER BY c.table_name`,
      )
    } catch {
      throw new AppError('CC_PARSE_FAILED', {
        file: fileName,
        reason: '不是 GeoPackage（缺少 gpkg_contents / gpkg_geometry_columns）/ not a GeoPackage (no gpkg_contents)',
      })
    }
    if (!tables.length) throw new AppError('CC_EMPTY_LAYER', { file: fileName })
    const t = opts.layer ? tables.find((x) => x.table_name === opts.layer) : tables.length === 1 ? tables[0] : undefined
    if (!t)
      throw new AppError('CC_OPTION_INVALID', {
        option: 'gpkgLayer',
        field: 'gpkgLayer',
        reason: `${opts.layer ? `GeoPackage 中没有图层 ${opts.layer}` : 'GeoPackage 含多个图层，请用 gpkgLayer 参数指定'}：${tables.map((x) => x.table_name).join(', ')} / ${opts.layer ? `no layer ${opts.layer}` : 'the GeoPackage holds several layers; name one with the gpkgLayer option'}: ${tables.map((x) => x.table_name).join(', ')}`,
      })
    const srs = q<{ organization: string; organization_coordsys_id: number; definition: string }>(
      'SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?',
      t.srs_id,
    )[0]
    const name = `${fileName}/${t.table_name}`
    const ident = `"${t.table_name.replace(/"/g, '""')}"`
    const [{ n }] = q<{ n: number }>(`SELECT count(*) n FROM ${ident}`)
    if (n > opts.maxFeatures) throw new AppError('CC_TOO_MANY_FEATURES', { file: name, limit: opts.maxFeatures })
    const columns = q<{ name: string; pk: number }>(`PRAGMA table_info(${ident})`)
    const fieldNames = columns.filter((c) => c.name !== t.column_name && !c.pk).map((c) => c.name)
    const features: RawFeature[] = []
    let k = 0
    for (const row of db.prepare(`SELECT * FROM ${ident}`).iterate() as Iterable<Record<string, unknown>>) {
      k++
      const properties: Record<string, unknown> = {}
      for (const f of fieldNames) properties[f] = row[f] ?? null
      let geometry: Geometry | null = null
      const blob = row[t.column_name]
      if (blob != null) {
        try {
          const wkb = gpkgWkb(blob as Buffer)
          geometry = wkb ? (wkx.Geometry.parse(wkb).toGeoJSON() as Geometry) : null
        } catch (e) {
          throw new AppError('CC_GEOMETRY_MALFORMED', {
            file: name,
            feature: k,
            field: t.column_name,
            reason: `几何无法解码：${(e as Error).message}`,
            reasonEn: `the geometry cannot be decoded: ${(e as Error).message}`,
          })
        }
      }
      features.push({ geometry, properties })
    }
    const crsName =
      srs && srs.organization?.toUpperCase() === 'EPSG' && srs.organization_coordsys_id > 0
        ? `EPSG:${srs.organization_coordsys_id}`
        : undefined
    return {
      format: 'geopackage',
      fileName: name,
      features,
      fieldNames,
      crsName,
      prj: crsName ? undefined : srs?.definition && srs.definition !== 'undefined' ? srs.definition : undefined,
      encoding: 'utf-8',
      encodingSource: 'utf-8 (standard)',
    }
  } finally {
    db.close()
  }
}
