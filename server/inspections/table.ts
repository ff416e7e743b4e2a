// Inspection tables as departments keep them: CSV (any encoding the layer reader knows, parsed by
// csv-parse), XLSX (the first sheet, read by exceljs) or GeoJSON points. Each becomes rows of text
// cells with an optional point, numbered as the user sees them (the first data row is row 2 in a
// spreadsheet, feature 1 in GeoJSON).
import ExcelJS from 'exceljs'
import { parse } from 'csv-parse/sync'
import { AppError } from '../errors.ts'
import { decodeText } from '../import/readers/encoding.ts'
import { readGeoJson } from '../import/readers/geojson.ts'

export interface TableRow {
  /** the row number a user finds it under: spreadsheet row (header = 1) or GeoJSON feature (from 1) */
  n: number
  cells: Record<string, string | null>
  point: [number, number] | null
}
export interface Table {
  format: 'csv' | 'xlsx' | 'geojson'
  header: string[]
  rows: TableRow[]
  encoding?: string
}

const X_NAMES = ['lon', 'lng', 'longitude', 'x', '经度', 'point_x']
const Y_NAMES = ['lat', 'latitude', 'y', '纬度', 'point_y']

function cellText(v: ExcelJS.CellValue): string | null {
  if (v == null) return null
  if (v instanceof Date) return v.toISOString()
  if (typeof v === 'object') {
    if ('richText' in v) return v.richText.map((t) => t.text).join('')
    if ('result' in v) return v.result == null ? null : cellText(v.result as ExcelJS.CellValue)
    if ('text' in v) return String(v.text)
    if ('error' in v) return null
  }
  const s = String(v).trim()
  return s === '' ? null : s
}

/** Splits the point columns off the cells, refusing coordinates that are not numbers. */
function withPoint(file: string, n: number, header: string[], cells: Record<string, string | null>): TableRow {
  const xi = header.find((h) => X_NAMES.includes(h.toLowerCase()))
  const yi = header.find((h) => Y_NAMES.includes(h.toLowerCase()))
  let point: [number, number] | null = null
  if (xi && yi && cells[xi] != null && cells[yi] != null) {
    const x = Number(cells[xi])
    const y = Number(cells[yi])
    if (!Number.isFinite(x) || !Number.isFinite(y))
      throw new AppError('CC_FIELD_TYPE', {
        file,
        feature: n,
        field: Number.isFinite(x) ? yi : xi,
        value: Number.isFinite(x) ? cells[yi] : cells[xi],
        expectedZh: '数字坐标',
        expected: 'a numeric coordinate',
      })
    point = [x, y]
  }
  return { n, cells, point }
}

export async function readTable(
  buf: Buffer,
  file: string,
  opts: { encoding?: string; maxRows: number },
): Promise<Table> {
  const isZip = buf[0] === 0x50 && buf[1] === 0x4b
  const lower = file.toLowerCase()
  let first = 0
  while (first < buf.length && first < 64 && /\s|\uFEFF/.test(String.fromCharCode(buf[first]))) first++
  if (isZip && !lower.endsWith('.zip')) {
    const wb = new ExcelJS.Workbook()
    try {
      await wb.xlsx.load(buf as unknown as ArrayBuffer)
    } catch (e) {
      throw new AppError('CC_PARSE_FAILED', { file, reason: `XLSX 无法读取：${(e as Error).message}` })
    }
    const ws = wb.worksheets[0]
    if (!ws || ws.rowCount < 2) throw new AppError('CC_EMPTY_LAYER', { file })
    if (ws.rowCount - 1 > opts.maxRows) throw new AppError('CC_TOO_MANY_FEATURES', { file, limit: opts.maxRows })
    const header: string[] = []
    ws.getRow(1).eachCell({ includeEmpty: true }, (c, col) => {
      header[col - 1] = cellText(c.value) ?? `列${col}`
    })
    const rows: TableRow[] = []
    ws.eachRow((r, n) => {
      if (n === 1) return
      const cells: Record<string, string | null> = {}
      let any = false
      header.forEach((h, i) => {
        cells[h] = cellText(r.getCell(i + 1).value)
        if (cells[h] != null) any = true
      })
      if (any) rows.push(withPoint(file, n, header, cells))
    })
    return { format: 'xlsx', header, rows }
  }
  if (buf[first] === 0x7b || lower.endsWith('.geojson') || lower.endsWith('.json')) {
    const g = readGeoJson(buf, file, { encoding: opts.encoding, maxFeatures: opts.maxRows, maxUnpackedBytes: 0 })
    const header = g.fieldNames
    const rows = Array.from({ length: g.features.length }, (_, i): TableRow => {
      const f = g.features.at(i)!
      const cells: Record<string, string | null> = {}
      for (const h of header) {
        const v = f.properties[h]
        cells[h] = v == null || v === '' ? null : typeof v === 'object' ? JSON.stringify(v) : String(v)
      }
      const g2 = f.geometry
      if (g2 && g2.type !== 'Point')
        throw new AppError('CC_GEOMETRY_TYPE', { file, feature: i + 1, type: g2.type, expected: 'Point' })
      const c = g2?.coordinates
      const ok = Array.isArray(c) && Number.isFinite(c[0]) && Number.isFinite(c[1])
      if (g2 && !ok)
        throw new AppError('CC_GEOMETRY_MALFORMED', {
          file,
          feature: i + 1,
          reason: '点坐标应为两个数字',
          reasonEn: 'a Point needs two numeric coordinates',
        })
      return { n: i + 1, cells, point: ok ? [c![0], c![1]] : null }
    })
    return { format: 'geojson', header, rows, encoding: g.encoding }
  }
  const { text, encoding } = decodeText(buf, opts.encoding, file)
  let records: string[][]
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, trim: true, relax_quotes: false })
  } catch (e) {
    const err = e as Error & { lines?: number; column?: number | string }
    throw new AppError('CC_PARSE_FAILED', {
      file,
      feature: err.lines,
      reason: `第 ${err.lines ?? '?'} 行：${err.message} / line ${err.lines ?? '?'}: ${err.message}`,
    })
  }
  if (records.length < 2) throw new AppError('CC_EMPTY_LAYER', { file })
  if (records.length - 1 > opts.maxRows) throw new AppError('CC_TOO_MANY_FEATURES', { file, limit: opts.maxRows })
  const header = records[0].map((h, i) => h || `列${i + 1}`)
  const rows = records.slice(1).map((r, k) => {
    const cells: Record<string, string | null> = {}
    header.forEach((h, i) => {
      cells[h] = r[i] === undefined || r[i] === '' ? null : r[i]
    })
    return withPoint(file, k + 2, header, cells)
  })
  return { format: 'csv', header, rows, encoding }
}
