// XLSX in and out for the indicator system and the department figures.
//  - A 城检办's own indicator table (序号, 维度, 指标, 单位, 目标值, 类型, 责任单位, 数据来源; optional 代码,
//    分组, 层级) becomes the year's system: rows naming a known indicator (by code or name) keep its
//    computation and take the table's department, tier, type and target; other rows become
//    reported indicators with a code derived from the name (stable from year to year).
//  - A department's template lists the figures it owes, one row per indicator × unit, and the same
//    layout comes back filled for bulk entry.
import crypto from 'node:crypto'
import ExcelJS from 'exceljs'
import { AppError } from '../errors.ts'
import { readSheet } from '../import/readers/xlsx.ts'
import type { Dimension, Target } from '../indicators/registry.ts'
import { type Obtained, type SystemEntry, type SystemLevel, type Tier, REPORTED, computedEntry } from './system.ts'
import type { IndicatorDef } from '../indicators/registry.ts'

type Column =
  | 'seq'
  | 'code'
  | 'dimension'
  | 'group'
  | 'zh'
  | 'unit'
  | 'target'
  | 'type'
  | 'department'
  | 'obtained'
  | 'levels'

const HEADERS: Record<Column, string[]> = {
  seq: ['序号', 'no', 'no.'],
  code: ['代码', '指标代码', 'code'],
  dimension: ['维度', '体检维度', 'dimension'],
  group: ['分组', '二级维度', '类别', 'group'],
  zh: ['指标', '指标名称', '指标项', 'indicator'],
  unit: ['单位', '计量单位', 'unit'],
  target: ['目标值', '标准值', '目标', 'target'],
  type: ['类型', '指标类型', '指标属性', 'type'],
  department: ['责任单位', '责任部门', '牵头部门', '牵头单位', 'department'],
  obtained: ['数据来源', '获取方式', '数据获取方式', 'source'],
  levels: ['层级', '适用层级', '评价层级', 'levels'],
}
const REQUIRED: Column[] = ['dimension', 'zh', 'unit', 'department', 'obtained']

const norm = (s: string) =>
  s.replace(/\s+/g, '').replace(/（/g, '(').replace(/）/g, ')').replace(/[“”"]/g, '').toLowerCase()

/** The header row (the first with an 指标 column among the first 10) and where each column is. */
function locate<C extends string>(rows: string[][], headers: Record<C, string[]>, file: string, required: C[]) {
  for (let i = 0; i < Math.min(10, rows.length); i++) {
    const at = {} as Record<C, number>
    rows[i].forEach((h, j) => {
      for (const [col, names] of Object.entries(headers) as [C, string[]][])
        if (at[col] === undefined && names.some((n) => norm(n) === norm(h))) at[col] = j
    })
    if (required.every((c) => at[c] !== undefined)) return { header: i, at }
  }
  throw new AppError('CC_SYSTEM_TABLE_INVALID', {
    file,
    row: 1,
    column: required.map((c) => headers[c][0]).join('、'),
    reasonZh: `前 10 行中没有含这些列的表头（${required.map((c) => headers[c][0]).join('、')}）`,
    reason: `no header row with these columns in the first 10 rows (${required.map((c) => headers[c].at(-1)).join(', ')})`,
  })
}

const DIMENSIONS: [RegExp, Dimension][] = [
  [/^住房/, '住房'],
  [/^(小区|社区)/, '小区(社区)'],
  [/^街区/, '街区'],
  [/^(城区|城市)/, '城区'],
]

/** "≥100%", ">= 100", "100", "≤0", "0.9–1.1": a target, with `fallback` direction for a bare number. */
export function parseTarget(s: string, fallback: Target['direction'] = '>='): Target | undefined | null {
  const t = s.replace(/\s+/g, '').replace(/[%％]/g, '').replace(/，/g, ',')
  if (!t || /^(—|-|－|\/|无|暂无)$/.test(t)) return undefined
  const num = '([-+]?\\d+(?:\\.\\d+)?)'
  let m = t.match(new RegExp(`^${num}(?:[-–~～至]|,)${num}$`)) ?? t.match(new RegExp(`^\\[${num},${num}\\]$`))
  if (m) return { min: Number(m[1]), max: Number(m[2]), direction: 'between' }
  m = t.match(new RegExp(`^(≥|>=|>|不低于|不少于|大于等于|≤|<=|<|不高于|不超过|小于等于|=)?${num}$`))
  if (!m) return null
  const op = m[1] ?? ''
  const direction: Target['direction'] = /[≤<]|不高于|不超过|小于/.test(op) ? '<=' : op ? '>=' : fallback
  return { value: Number(m[2]), direction: op === '=' ? fallback : direction }
}

const LEVEL_WORDS: [RegExp, SystemLevel][] = [
  [/^(市|城市|城区|全市)$/, 'city'],
  [/^(区|区县|县|市辖区)$/, 'district'],
  [/^(街道|街区|街镇|镇)$/, 'street'],
  [/^社区$/, 'community'],
  [/^小区$/, 'area'],
]

export function obtainedOf(s: string): Obtained {
  if (/问卷|满意度|调查/.test(s)) return '问卷调查'
  if (/采集|入户|排查|体检/.test(s)) return '体检采集'
  if (/空间|计算|测算|GIS|遥感|图层/i.test(s)) return '空间计算'
  return '部门填报'
}

export interface SystemImport {
  entries: SystemEntry[]
  matched: string[]
  added: string[]
  /** computed indicators the table leaves out (still computed, not in the scorecard) */
  omitted: string[]
  /** targets of computed indicators set by the table (written to the year's config too) */
  targets: Record<string, Target>
}

/** Reads a 城检办 indicator table into the year's system. All rows or none: the first bad cell refuses it. */
export async function readSystemTable(buf: Buffer, file: string, defs: IndicatorDef[]): Promise<SystemImport> {
  const rows = await readSheet(buf, file)
  const { header, at } = locate(rows, HEADERS, file, REQUIRED)
  const known = new Map<string, SystemEntry>()
  defs.forEach((d, i) => {
    const e = computedEntry(d, i + 1)
    known.set(d.code, e)
    known.set(norm(d.zh), e)
  })
  for (const r of REPORTED) {
    const e = { tier: '国家基础' as Tier, definition: r.zh, levels: ['city' as SystemLevel], ...r, seq: 0 }
    known.set(r.code, e)
    known.set(norm(r.zh), e)
  }
  const out: SystemImport = { entries: [], matched: [], added: [], omitted: [], targets: {} }
  const seen = new Set<string>()
  let lastDimension: Dimension | undefined
  for (let i = header + 1; i < rows.length; i++) {
    const row = rows[i]
    const cell = (c: Column) => (at[c] === undefined ? '' : (row[at[c]] ?? '').trim())
    const bad = (c: Column, reasonZh: string, reason: string): never => {
      throw new AppError('CC_SYSTEM_TABLE_INVALID', { file, row: i + 1, column: HEADERS[c][0], reasonZh, reason })
    }
    const zh = cell('zh')
    if (!zh) continue // blank lines and merged-cell spacers
    // 维度 is often a merged cell: only its first row carries the text.
    const dimText = cell('dimension')
    const dimension = dimText ? DIMENSIONS.find(([re]) => re.test(dimText))?.[1] : lastDimension
    if (!dimension)
      bad(
        'dimension',
        `“${dimText}”不是 住房/小区(社区)/街区/城区`,
        `"${dimText}" is not one of 住房, 小区(社区), 街区, 城区`,
      )
    lastDimension = dimension
    const base = known.get(cell('code')) ?? known.get(norm(zh))
    const code =
      base?.code ??
      (cell('code') && /^[a-z][a-z0-9_]{1,63}$/.test(cell('code'))
        ? cell('code')
        : `x_${crypto.createHash('sha1').update(norm(zh)).digest('hex').slice(0, 10)}`)
    if (seen.has(code)) bad('zh', `指标“${zh}”重复`, `indicator "${zh}" appears twice`)
    seen.add(code)
    const unit = cell('unit') || base?.unit || ''
    const fallback = base?.target?.direction ?? (/数量|缺口|事故|积水|拆除/.test(zh) ? '<=' : '>=')
    const target = parseTarget(cell('target'), fallback)
    if (target === null)
      bad(
        'target',
        `“${cell('target')}”不是目标值（如 ≥100、≤0、0.9–1.1）`,
        `"${cell('target')}" is not a target (e.g. ≥100, ≤0, 0.9–1.1)`,
      )
    const typeText = cell('type')
    const type = /底线/.test(typeText) ? '底线' : /导向/.test(typeText) ? '导向' : (base?.type ?? '导向')
    const tier: Tier = /省/.test(typeText)
      ? '省级'
      : /市|特色|地方/.test(typeText)
        ? '市特色'
        : /国家|基础|住建部/.test(typeText)
          ? '国家基础'
          : (base?.tier ?? '市特色')
    const department = cell('department')
    if (!department) bad('department', '责任单位不能为空', 'the responsible department is empty')
    const levelsText = cell('levels')
    let levels = base?.levels ?? (['city'] as SystemLevel[])
    if (levelsText) {
      levels = []
      for (const w of levelsText.split(/[、,，;；/\s]+/).filter(Boolean)) {
        const l = LEVEL_WORDS.find(([re]) => re.test(w))?.[1]
        if (!l)
          bad(
            'levels',
            `“${w}”不是层级（市、区、街道、社区、小区）`,
            `"${w}" is not a level (市, 区, 街道, 社区, 小区)`,
          )
        levels.push(l!)
      }
    }
    const source = cell('obtained')
    // A computed indicator stays computed; the table's 数据来源 becomes its source text.
    const computed = base && (base.obtained === '空间计算' || base.obtained === '体检采集')
    const obtained = computed ? base.obtained : obtainedOf(source)
    const seq = Number(cell('seq')) || out.entries.length + 1
    out.entries.push({
      ...(base ?? {}),
      seq,
      code,
      zh: base?.zh ?? zh,
      en: base?.en ?? zh,
      dimension: dimension!,
      group: cell('group') || base?.group || '',
      unit,
      definition: base?.definition ?? zh,
      target: target ?? base?.target,
      type,
      tier,
      obtained,
      department,
      levels: computed ? levels : levels.filter((l) => l !== 'area'),
      source: source ? `${source}${base ? `；${base.source}` : ''}` : (base?.source ?? ''),
      range: base?.range ?? (unit === '%' ? [0, 100] : [0, 1e9]),
      integer: base?.integer ?? /^(个|栋|套|条|处|座|起|人)$/.test(unit),
    })
    ;(base ? out.matched : out.added).push(code)
    if (computed && target) out.targets[code] = target
  }
  if (!out.entries.length)
    throw new AppError('CC_SYSTEM_TABLE_INVALID', {
      file,
      row: header + 2,
      column: HEADERS.zh[0],
      reasonZh: '表中没有指标行',
      reason: 'the table has no indicator rows',
    })
  out.omitted = defs.map((d) => d.code).filter((c) => !seen.has(c))
  return out
}

// ---- the department template ----

export const TEMPLATE_HEADER = [
  '指标代码 Code',
  '指标 Indicator',
  '单位 Unit',
  '层级 Level',
  '单元代码 Unit code',
  '单元名称 Unit name',
  '数值 Value',
  '样本量 Sample size',
  '数据来源 Source',
  '统计口径 Definition used',
  '统计时点 Reference date',
  '备注 Note',
]

export interface TemplateRow {
  indicator: string
  zh: string
  unit: string
  level: string
  unitCode: string
  unitName: string
  value?: number | null
  sampleSize?: number | null
  source?: string | null
  caliber?: string | null
  asOf?: string | null
  note?: string | null
}

/** The template a department fills: its figures, prefilled where it has entered them already. */
export async function templateXlsx(title: string, rows: TemplateRow[]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook()
  wb.creator = 'citycheck 城市体检'
  const ws = wb.addWorksheet('填报 Figures', { views: [{ state: 'frozen', ySplit: 2 }] })
  ws.addRow([title]).font = { bold: true, size: 14 }
  ws.mergeCells(1, 1, 1, TEMPLATE_HEADER.length)
  const head = ws.addRow(TEMPLATE_HEADER)
  head.font = { bold: true }
  head.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFE8EEF5' } }
  for (const r of rows)
    ws.addRow([
      r.indicator,
      r.zh,
      r.unit,
      r.level,
      r.unitCode,
      r.unitName,
      r.value ?? null,
      r.sampleSize ?? null,
      r.source ?? null,
      r.caliber ?? null,
      r.asOf ?? null,
      r.note ?? null,
    ])
  ws.autoFilter = { from: { row: 2, column: 1 }, to: { row: 2 + rows.length, column: TEMPLATE_HEADER.length } }
  ;[24, 36, 8, 10, 16, 20, 12, 12, 30, 30, 14, 30].forEach((w, i) => {
    ws.getColumn(i + 1).width = w
  })
  // The columns the department fills are the pale yellow ones.
  for (let c = 7; c <= 12; c++)
    for (let r = 3; r <= 2 + rows.length; r++)
      ws.getCell(r, c).fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFFFF9E0' } }
  return Buffer.from(await wb.xlsx.writeBuffer())
}

export interface FilledRow {
  row: number
  indicator: string
  level: string
  unit: string
  value: string
  sampleSize: string
  source: string
  caliber: string
  asOf: string
  note: string
}

/** The rows of a filled template that carry a value or any text (untouched rows are skipped). */
export async function readTemplate(buf: Buffer, file: string): Promise<FilledRow[]> {
  const rows = await readSheet(buf, file)
  const names: Record<string, string[]> = Object.fromEntries(TEMPLATE_HEADER.map((h, i) => [i, [h, h.split(' ')[0]]]))
  const found = locate(rows, names, file, ['0', '3', '4', '6'])
  const header = found.header
  const at = found.at as Record<string, number>
  const out: FilledRow[] = []
  for (let i = header + 1; i < rows.length; i++) {
    const c = (k: number) => (at[String(k)] === undefined ? '' : (rows[i][at[String(k)]] ?? '').trim())
    if (!c(0)) continue
    if (![6, 7, 8, 9, 10, 11].some((k) => c(k))) continue
    out.push({
      row: i + 1,
      indicator: c(0),
      level: c(3),
      unit: c(4),
      value: c(6),
      sampleSize: c(7),
      source: c(8),
      caliber: c(9),
      asOf: c(10),
      note: c(11),
    })
  }
  return out
}
