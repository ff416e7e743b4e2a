// CSV with coordinates: X/Y columns (lon/lat, 经度/纬度, x/y) or a WKT column (wkt, geom, geometry).
import { AppError } from '../../errors.ts'
import { decodeText } from './encoding.ts'
import type { ReadOptions, ReadResult, RawFeature } from './types.ts'
import type { Geometry } from 'geojson'
import { parseWkt } from './wkt.ts'
import { parse } from 'csv-parse/sync'

/**
 * RFC 4180 rows (quoted fields, doubled quotes, CRLF, tab- or comma-separated) by csv-parse. Stray
 * quotes inside a field are kept as text (GBK exports have them); a quote left open throws, naming
 * the line where the file ended still inside it, and any other fault names its line and column.
 */
export function parseCsv(text: string, fileName = 'upload.csv'): string[][] {
  const first = text.split('\n', 1)[0]
  const delimiter = (first.match(/\t/g)?.length ?? 0) > (first.match(/,/g)?.length ?? 0) ? '\t' : ','
  try {
    return parse(text, { delimiter, relax_quotes: true, relax_column_count: true, skip_empty_lines: true })
  } catch (e) {
    const err = e as Error & { code?: string; lines?: number; column?: number | string }
    const line = err.lines ?? 0
    throw new AppError('CC_PARSE_FAILED', {
      file: fileName,
      feature: Math.max(1, line - 1),
      reason:
        err.code === 'CSV_QUOTE_NOT_CLOSED'
          ? `引号没有闭合：到第 ${line} 行文件结束时仍在引号内 / a quote is never closed: the file ends on line ${line} still inside it`
          : `第 ${line} 行${err.column !== undefined ? `第 ${err.column} 列` : ''}：${err.message} / line ${line}${err.column !== undefined ? `, column ${err.column}` : ''}: ${err.message}`,
    })
  }
}

const X_NAMES = ['lon', 'lng', 'longitude', 'x', '经度', 'point_x']
const Y_NAMES = ['lat', 'latitude', 'y', '纬度', 'point_y']
const WKT_NAMES = ['wkt', 'geom', 'geometry', 'the_geom', 'shape']

export function readCsv(buf: Uint8Array, fileName: string, opts: ReadOptions): ReadResult {
  const { text, encoding, source, confidence } = decodeText(buf, opts.encoding, fileName)
  const rows = parseCsv(text.replace(/^\uFEFF/, ''), fileName)
  return {
    ...tableFeatures(rows, fileName, opts),
    format: 'csv',
    encoding,
    encodingSource: source,
    encodingConfidence: confidence,
  }
}

/** What a table without coordinates must say, for a layer that needs them. */
export function noCoordinates(fileName: string): AppError {
  return new AppError('CC_PARSE_FAILED', {
    file: fileName,
    reason: `表格需要经度/纬度列（${X_NAMES.join('/')}, ${Y_NAMES.join('/')}）或 WKT 列（${WKT_NAMES.join('/')}） / a table needs lon/lat columns or a WKT column`,
  })
}

/**
 * A table (header row, then rows) as features: a point from lon/lat columns, or a WKT column. A table
 * with neither is `attributeOnly` (every geometry null): layers that allow it place each row at the
 * unit its code names (jobs per 社区, commuting OD by 社区); the others refuse it (noCoordinates).
 */
export function tableFeatures(
  rows: string[][],
  fileName: string,
  opts: ReadOptions,
): Pick<ReadResult, 'fileName' | 'features' | 'fieldNames' | 'attributeOnly'> {
  if (rows.length === 0) throw new AppError('CC_EMPTY_LAYER', { file: fileName })
  const header = rows[0].map((h) => h.trim())
  const lower = header.map((h) => h.toLowerCase())
  const xi = lower.findIndex((h) => X_NAMES.includes(h))
  const yi = lower.findIndex((h) => Y_NAMES.includes(h))
  const wi = lower.findIndex((h) => WKT_NAMES.includes(h))
  const attributeOnly = wi < 0 && (xi < 0 || yi < 0)
  if (rows.length - 1 > opts.maxFeatures)
    throw new AppError('CC_TOO_MANY_FEATURES', { file: fileName, limit: opts.maxFeatures })
  const skip = new Set(attributeOnly ? [] : wi >= 0 ? [wi] : [xi, yi])
  const features: RawFeature[] = []
  for (let r = 1; r < rows.length; r++) {
    const row = rows[r]
    if (row.length > header.length) {
      throw new AppError('CC_PARSE_FAILED', {
        file: fileName,
        feature: r,
        reason: `第 ${r} 行有 ${row.length} 列，表头只有 ${header.length} 列（多余的逗号或未加引号的文本？）/ row ${r} has ${row.length} columns but the header ${header.length} (a stray comma or unquoted text?)`,
      })
    }
    const properties: Record<string, unknown> = {}
    header.forEach((h, i) => {
      if (!skip.has(i)) properties[h] = row[i] === '' || row[i] === undefined ? null : row[i]
    })
    let geometry: Geometry | null = null
    if (attributeOnly) {
      // placed later, by the unit its code names
    } else if (wi >= 0) {
      const w = row[wi]?.trim()
      if (w) {
        try {
          geometry = parseWkt(w)
        } catch (e) {
          throw new AppError('CC_PARSE_FAILED', {
            file: fileName,
            feature: r,
            reason: `第 ${r} 行 WKT 无效：${(e as Error).message} / row ${r}: invalid WKT`,
          })
        }
      }
    } else {
      const x = Number(row[xi])
      const y = Number(row[yi])
      if (row[xi]?.trim() && row[yi]?.trim()) {
        // Text that is not a number ("东经117度") is a malformed geometry, said as such, not "no geometry".
        geometry = {
          type: 'Point',
          coordinates: [
            Number.isFinite(x) ? x : (null as unknown as number),
            Number.isFinite(y) ? y : (null as unknown as number),
          ],
        }
      }
    }
    features.push({ geometry, properties })
  }
  return { fileName, features, fieldNames: header.filter((_, i) => !skip.has(i)), attributeOnly }
}
