// Checks on one reported figure, as pure functions: the value against the indicator's unit and
// range, the survey's sample size, and the text fields a reviewer needs (数据来源, 统计时点).
import { AppError } from '../errors.ts'
import type { SystemEntry } from './system.ts'

export interface FigureInput {
  indicator: string
  level: string
  unit: string
  value: unknown
  sampleSize?: unknown
  source?: unknown
  caliber?: unknown
  asOf?: unknown
  note?: unknown
  attachmentId?: unknown
}

export interface CleanFigure {
  value: number | null
  sampleSize: number | null
  source: string | null
  caliber: string | null
  asOf: string | null
  note: string | null
  attachmentId: number | null
}

/** Where a figure came from, for the message: a file row, or nothing for a form entry. */
export interface At {
  file?: string
  row?: number
}

function fail(e: SystemEntry, unit: string, at: At, field: string, reasonZh: string, reason: string): never {
  throw new AppError('CC_FIGURE_INVALID', {
    file: at.file ? `文件 ${at.file} 第 ${at.row} 行：` : '',
    fileEn: at.file ? `file ${at.file}, row ${at.row}: ` : '',
    indicator: `${e.zh}（${e.code}）`,
    unit,
    field,
    reasonZh,
    reason,
  })
}

/** A number from a form or a cell: 95, "95", "95%", "1,234.5"; null for an empty cell. */
export function parseNumber(v: unknown): number | null | undefined {
  if (v === null || v === undefined || v === '') return null
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined
  if (typeof v !== 'string') return undefined
  const s = v
    .trim()
    .replace(/[,，]/g, '')
    .replace(/[%％]$/, '')
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(s)) return undefined
  return Number(s)
}

const AS_OF = /^(\d{4})(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$|^\d{4}年(\d{1,2}月(\d{1,2}日)?)?(末|底)?$/

function text(e: SystemEntry, unit: string, at: At, field: string, v: unknown, max: number): string | null {
  if (v === null || v === undefined || v === '') return null
  if (typeof v !== 'string' && typeof v !== 'number') fail(e, unit, at, field, '应为文字', 'must be text')
  const s = String(v).trim()
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(s))
    fail(e, unit, at, field, '含有控制字符', 'contains control characters')
  if (s.length > max) fail(e, unit, at, field, `超过 ${max} 个字符`, `is longer than ${max} characters`)
  return s || null
}

/**
 * A figure as it may be stored. `submit` asks for what a reviewer needs: a value, 数据来源 and
 * 统计时点 (a draft may lack them).
 */
export function checkFigure(e: SystemEntry, input: FigureInput, submit: boolean, at: At = {}): CleanFigure {
  const unit = input.unit
  const value = parseNumber(input.value)
  if (value === undefined) fail(e, unit, at, 'value', `“${String(input.value)}”不是数字`, 'is not a number')
  if (value !== null) {
    const [lo, hi] = e.range ?? [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]
    if (value < lo || value > hi)
      fail(
        e,
        unit,
        at,
        'value',
        `${value} 超出 ${lo}–${hi}${e.unit === '%' ? '（百分数填 0–100）' : ''}`,
        `${value} is outside ${lo}–${hi}${e.unit === '%' ? ' (percentages are 0–100)' : ''}`,
      )
    if (e.integer && !Number.isInteger(value))
      fail(e, unit, at, 'value', `${value} 应为整数（单位：${e.unit}）`, `${value} must be a whole number (${e.unit})`)
  }
  const ss = parseNumber(input.sampleSize)
  if (ss === undefined || (ss !== null && (!Number.isInteger(ss) || ss < 1 || ss > 1e8)))
    fail(e, unit, at, 'sampleSize', '样本量应为正整数', 'the sample size must be a positive whole number')
  const asOf = text(e, unit, at, 'asOf', input.asOf, 40)
  if (asOf && !AS_OF.test(asOf))
    fail(
      e,
      unit,
      at,
      'asOf',
      `统计时点“${asOf}”应写作 2025-12-31、2025-12、2025 或 2025年末`,
      `the reference date "${asOf}" must read 2025-12-31, 2025-12, 2025 or 2025年末`,
    )
  const out: CleanFigure = {
    value,
    sampleSize: ss,
    source: text(e, unit, at, 'source', input.source, 500),
    caliber: text(e, unit, at, 'caliber', input.caliber, 1000),
    asOf,
    note: text(e, unit, at, 'note', input.note, 2000),
    attachmentId: null,
  }
  const att = parseNumber(input.attachmentId)
  if (att === undefined || (att !== null && (!Number.isInteger(att) || att < 1)))
    fail(e, unit, at, 'attachmentId', '附件编号无效', 'is not an attachment id')
  out.attachmentId = att
  if (submit) {
    if (out.value === null) fail(e, unit, at, 'value', '提交时必须填写数值', 'a submitted figure needs a value')
    if (!out.source) fail(e, unit, at, 'source', '提交时必须填写数据来源', 'a submitted figure needs its source')
    if (!out.asOf) fail(e, unit, at, 'asOf', '提交时必须填写统计时点', 'a submitted figure needs its reference date')
    if (e.obtained === '问卷调查' && out.sampleSize === null)
      fail(e, unit, at, 'sampleSize', '问卷调查指标必须填写样本量', 'a survey figure needs its sample size')
  }
  return out
}
