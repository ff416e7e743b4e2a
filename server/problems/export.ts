// Exports a report writer can paste: CSV (UTF-8 with BOM, so Excel opens Chinese correctly) and
// XLSX written by exceljs (a well-kept library, in place of the hand-written SpreadsheetML of the
// first landing): title row, autofilter, frozen header, column widths.
import type { FastifyReply } from 'fastify'
import ExcelJS from 'exceljs'

export type Cell = string | number | null | undefined

export function toCsv(header: string[], rows: Cell[][]): Buffer {
  const q = (v: Cell) => {
    if (v === null || v === undefined) return ''
    const s = String(v)
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
  }
  const text = [header, ...rows].map((r) => r.map(q).join(',')).join('\r\n') + '\r\n'
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')])
}

/**
 * An XLSX a report writer can use as it is (exceljs): a title row, a bold header with an autofilter,
 * the panes frozen below it, numbers as numbers, columns sized to their text (CJK counted double).
 */
export async function toXlsx(title: string, header: string[], rows: Cell[][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook()
  wb.creator = 'citycheck 城市体检'
  const ws = wb.addWorksheet(title.replace(/[\\/?*[\]:]/g, ' ').slice(0, 31), {
    views: [{ state: 'frozen', ySplit: 2 }],
  })
  const clean = (v: Cell) => (typeof v === 'string' ? v.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '') : v)
  ws.addRow([title]).font = { bold: true, size: 14 }
  ws.mergeCells(1, 1, 1, Math.max(1, header.length))
  const head = ws.addRow(header)
  head.font = { bold: true }
  head.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFE8EEF5' } }
  for (const r of rows) ws.addRow(r.map((v) => (v === undefined ? null : clean(v))))
  ws.autoFilter = { from: { row: 2, column: 1 }, to: { row: 2 + rows.length, column: header.length } }
  const width = (v: Cell) => [...String(v ?? '')].reduce((a, c) => a + (c.charCodeAt(0) > 0x2e80 ? 2 : 1), 0)
  header.forEach((h, i) => {
    ws.getColumn(i + 1).width = Math.min(
      60,
      Math.max(8, width(h) + 2, ...rows.slice(0, 300).map((r) => width(r[i]) + 2)),
    )
  })
  return Buffer.from(await wb.xlsx.writeBuffer())
}

/** Sends a table as a CSV or XLSX download named `name` (UTF-8 file name, for Chinese names). */
export async function sendTable(
  reply: FastifyReply,
  format: 'csv' | 'xlsx',
  name: string,
  header: string[],
  rows: Cell[][],
): Promise<Buffer> {
  const disposition = `attachment; filename*=UTF-8''${encodeURIComponent(name)}.${format}`
  if (format === 'csv') {
    reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', disposition)
    return toCsv(header, rows)
  }
  reply
    .header('content-type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
    .header('content-disposition', disposition)
  return toXlsx(name, header, rows)
}
