// The scorecard: every indicator of the year's system at a level, with its value (from the latest
// run, or the department's accepted figure), its target, 评价 (达标 / 未达标 / 无标准 / 无数据 and why),
// a 红/黄/正常 warning, last year's value and the change, how it was obtained and who answers for it.
import type { Knex } from 'knex'
import { definitions, latestRun, yearConfig } from '../indicators/service.ts'
import { acceptedFigures, systemFor, unitsFor } from '../figures/store.ts'
import { FIGURE_LEVELS, type FigureLevel, type SystemEntry, isReported } from '../figures/system.ts'
import { distanceToTarget } from '../problems/effect.ts'

export type Evaluation = '达标' | '未达标' | '无标准' | '无数据'
export const EVALUATION_EN: Record<Evaluation, string> = {
  达标: 'meets target',
  未达标: 'misses target',
  无标准: 'no target',
  无数据: 'no data',
}
export type Warning = '红色' | '黄色' | '正常'
export const WARNING_EN: Record<Warning, string> = { 红色: 'red', 黄色: 'yellow', 正常: 'normal' }

/** A miss this far from the target (relative to it) is red; closer misses are yellow. A year setting. */
export interface WarningBands {
  red: number
}
export const DEFAULT_BANDS: WarningBands = { red: 0.2 }

export function evaluate(t: SystemEntry['target'], v: number | null): Evaluation {
  if (v === null) return '无数据'
  if (!t) return '无标准'
  return distanceToTarget(t, v) === 0 ? '达标' : '未达标'
}

/**
 * 红/黄/正常 (pure): met → 正常; a miss by at least `red` of the target → 红色, a smaller one → 黄色.
 * A zero target (counts of problems) has no relative scale: any count is 红色 for a 底线 indicator
 * and 黄色 for a 导向 one. These bands are this system's choice; no national rule was found.
 */
export function warningOf(
  e: Pick<SystemEntry, 'target' | 'type'>,
  v: number | null,
  b = DEFAULT_BANDS,
): Warning | null {
  if (v === null || !e.target) return null
  const d = distanceToTarget(e.target, v)
  if (d === 0) return '正常'
  const ref =
    e.target.direction === 'between'
      ? Math.abs((e.target.max ?? 0) - (e.target.min ?? 0)) || Math.abs(e.target.max ?? 1)
      : Math.abs(e.target.value ?? 0)
  if (ref === 0) return e.type === '底线' ? '红色' : '黄色'
  return d / ref >= b.red ? '红色' : '黄色'
}

const NO_DATA_ZH: Record<string, [string, string]> = {
  missing: ['未填报', 'not reported'],
  draft: ['填报中（草稿）', 'being entered (draft)'],
  submitted: ['已提交，待审核', 'submitted, awaiting review'],
  returned: ['已退回，待重报', 'returned for correction'],
  norun: ['尚未计算', 'not computed yet'],
  noresult: ['本层级无计算结果', 'no result at this level'],
}

export interface ScoreRow {
  seq: number
  code: string
  zh: string
  en: string
  dimension: string
  group: string
  type: string
  tier: string
  obtained: string
  department: string
  source: string
  sourceEn: string | null
  level: string
  unitCode: string
  unitName: string
  unit: string
  value: number | null
  target: SystemEntry['target'] | null
  evaluation: Evaluation
  evaluationEn: string
  warning: Warning | null
  warningEn: string | null
  noData: { zh: string; en: string } | null
  previous: number | null
  change: number | null
  sampleSize: number | null
}

interface YearValues {
  run: Record<string, any> | undefined
  results: Map<string, Record<string, any>>
  figures: Map<string, Record<string, any>>
  pending: Map<string, string>
}

async function yearValues(knex: Knex, city: string, year: number, level: FigureLevel): Promise<YearValues> {
  const run = await latestRun(knex, city, year)
  const results = new Map<string, Record<string, any>>()
  if (run) {
    const network = (run.settings as { distanceModel?: string } | null)?.distanceModel === 'network'
    for (const r of await knex('indicator_results')
      .where({ run_id: run.id, level })
      .select('indicator', 'variant', 'unit_code', 'unit_name', 'value', 'status', 'extra')) {
      // One row per indicator and unit: the year's distance model where the run has both.
      const walked = String(r.variant).endsWith('@network')
      const k = `${r.indicator}|${r.variant.replace('@network', '')}|${r.unit_code}`
      if (walked && !network) continue
      if (!walked && network && results.has(k)) continue
      results.set(k, r)
    }
  }
  const pending = new Map<string, string>()
  for (const r of await knex('figure_values').where({ city, year, level }).whereNot({ status: 'accepted' }))
    pending.set(`${r.indicator}|${r.level}|${r.unit_code}`, r.status)
  return { run, results, figures: await acceptedFigures(knex, city, year), pending }
}

function valueIn(
  e: SystemEntry,
  primary: string,
  level: string,
  unit: string,
  y: YearValues,
): { value: number | null; why: string | null; sampleSize: number | null; noData?: { zh: string; en: string } } {
  if (isReported(e)) {
    const f = y.figures.get(`${e.code}|${level}|${unit}`)
    if (f) return { value: f.value, why: null, sampleSize: f.sample_size }
    return { value: null, why: y.pending.get(`${e.code}|${level}|${unit}`) ?? 'missing', sampleSize: null }
  }
  if (!y.run) return { value: null, why: 'norun', sampleSize: null }
  const r =
    y.results.get(`${e.code}|${primary}|${unit}`) ?? (level === 'city' ? firstCity(y, e.code, primary) : undefined)
  if (!r) return { value: null, why: 'noresult', sampleSize: null }
  const noData = r.extra?.noData as { zh: string; en: string } | undefined
  if (r.status === 'no-data' || r.value === null)
    return { value: null, why: 'computed', sampleSize: null, noData: noData ?? { zh: '无数据', en: 'no data' } }
  return { value: r.value, why: null, sampleSize: null }
}

/** The city level has one unit: whatever code the run gave it. */
function firstCity(y: YearValues, code: string, primary: string) {
  for (const [k, r] of y.results) if (k.startsWith(`${code}|${primary}|`)) return r
  return undefined
}

export async function scorecard(knex: Knex, city: string, year: number, level: FigureLevel = 'city') {
  const system = await systemFor(knex, city, year)
  const bands = {
    ...DEFAULT_BANDS,
    ...((await yearConfig(knex, city, year)).settings as { warning?: WarningBands })?.warning,
  }
  const primary = new Map<string, string>()
  for (const d of await definitions(knex, city, year)) primary.set(d.code, d.params.primary ?? 'area')
  const now = await yearValues(knex, city, year, level)
  const before = await yearValues(knex, city, year - 1, level)
  const units = await unitsFor(knex, city, year, level)
  const rows: ScoreRow[] = []
  for (const e of system) {
    if (!(e.levels as string[]).includes(level)) continue
    for (const u of units) {
      const p = primary.get(e.code) ?? 'area'
      const v = valueIn(e, p, level, u.code, now)
      const prev = valueIn(e, p, level, u.code, before).value
      const evaluation = evaluate(e.target, v.value)
      const warning = warningOf(e, v.value, bands)
      const why = v.noData ?? (v.why ? { zh: NO_DATA_ZH[v.why][0], en: NO_DATA_ZH[v.why][1] } : null)
      rows.push({
        seq: e.seq,
        code: e.code,
        zh: e.zh,
        en: e.en,
        dimension: e.dimension,
        group: e.group,
        type: e.type,
        tier: e.tier,
        obtained: e.obtained,
        department: e.department,
        source: e.source,
        sourceEn: e.sourceEn ?? null,
        level,
        unitCode: u.code,
        unitName: u.name,
        unit: e.unit,
        value: v.value,
        target: e.target ?? null,
        evaluation,
        evaluationEn: EVALUATION_EN[evaluation],
        warning,
        warningEn: warning ? WARNING_EN[warning] : null,
        noData: v.value === null ? why : null,
        previous: prev,
        change: prev !== null && v.value !== null ? v.value - prev : null,
        sampleSize: v.sampleSize,
      })
    }
  }
  const count = (ev: Evaluation) => rows.filter((r) => r.evaluation === ev).length
  return {
    year,
    level,
    bands,
    summary: {
      indicators: new Set(rows.map((r) => r.code)).size,
      rows: rows.length,
      met: count('达标'),
      missed: count('未达标'),
      noTarget: count('无标准'),
      noData: count('无数据'),
      red: rows.filter((r) => r.warning === '红色').length,
      yellow: rows.filter((r) => r.warning === '黄色').length,
    },
    rows,
  }
}

export const SCORECARD_LEVELS = FIGURE_LEVELS
