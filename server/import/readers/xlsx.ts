// XLSX sheets as rows of text (exceljs), for layer tables with coordinates or unit codes and for the
// 城检办's indicator and figure tables. Dates become YYYY-MM-DD, formulas their cached result.
import ExcelJS from 'exceljs'
import { AppError } from '../../errors.ts'

export function cellText(v: ExcelJS.CellValue): string {
  if (v === null || v === undefined) return ''
  if (v instanceof Date) return v.toISOString().slice(0, 10)
  if (typeof v === 'object') {
    if ('richText' in v) return v.richText.map((t) => t.text).join('')
    if ('result' in v) return cellText(v.result as ExcelJS.CellValue)
    if ('text' in v) return String(v.text)
  }
  return String(v).trim()
}

/** Is this a zip holding a workbook (an .xlsx), rather than a zipped Shapefile? Decided by the name. */
export const isXlsxName = (name: string) => /\.xlsx$/i.test(name)

/** The first worksheet's rows, every cell as text; a file exceljs cannot open is a CC_PARSE_FAILED naming it. */
export async function readSheet(buf: Buffer, file: string): Promise<string[][]> {
  const wb = new ExcelJS.Workbook()
  try {
    await wb.xlsx.load(buf as unknown as ArrayBuffer)
  } catch (e) {
    throw new AppError('CC_PARSE_FAILED', {
      file,
      reason: `不是可读取的 XLSX / not a readable XLSX: ${(e as Error).message}`,
    })
  }
  const ws = wb.worksheets[0]
  if (!ws) throw new AppError('CC_EMPTY_LAYER', { file })
  const rows: string[][] = []
  ws.eachRow({ includeEmpty: true }, (row, n) => {
    const cells: string[] = []
    for (let c = 1; c <= ws.columnCount; c++) cells.push(cellText(row.getCell(c).value))
    rows[n - 1] = cells
  })
  return Array.from(rows, (r) => r ?? [])
}
