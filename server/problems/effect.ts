// 成效: "上年度城市体检整改问题成效". For every problem closed (已销号) in the year before, did the same
// indicator of the same unit improve in this year's latest run? A closed problem whose value did
// not move is the case the 城检办 must look at again.
import type { Knex } from 'knex'
import { definitions, latestRun } from '../indicators/service.ts'
import { type IndicatorDef, indicatorByCode } from '../indicators/registry.ts'
import { ledgerProblems } from '../inspections/ledger.ts'

export type Verdict = '改善且达标' | '有改善未达标' | '未改善' | '无数据'
export const VERDICT_EN: Record<Verdict, string> = {
  改善且达标: 'improved and meets the target',
  有改善未达标: 'improved, target not yet met',
  未改善: 'not improved',
  无数据: 'no data this year',
}

/** How far a value is from its target (0 = meets it), in the target's own direction. */
export function distanceToTarget(
  t: { value?: number; min?: number; max?: number; direction: string } | undefined,
  v: number,
): number {
  if (!t) return 0
  if (t.direction === 'between') return v < (t.min ?? v) ? (t.min ?? v) - v : v > (t.max ?? v) ? v - (t.max ?? v) : 0
  if (t.direction === '<=') return Math.max(0, v - (t.value ?? 0))
  return Math.max(0, (t.value ?? 0) - v)
}

/** The verdict on one closed problem from the value before and the value now (pure). */
export function verdictOf(def: IndicatorDef | undefined, before: number | null, now: number | null): Verdict {
  if (now === null || before === null || !def) return '无数据'
  const d0 = distanceToTarget(def.target, before)
  const d1 = distanceToTarget(def.target, now)
  if (d1 === 0) return '改善且达标'
  return d1 < d0 - 1e-9 ? '有改善未达标' : '未改善'
}

export interface EffectItem {
  id: string
  indicator: string
  indicatorZh: string
  level: string
  unitCode: string
  assignee: string | null
  closedBy: string
  before: number | null
  now: number | null
  verdict: Verdict
  verdictEn: string
}

export async function effectOf(knex: Knex, city: string, year: number) {
  const closed = await knex('problem_status').where({ city, year: year - 1, status: '已销号' })
  const defs = await definitions(knex, city, year)
  const [runNow, runBefore] = [await latestRun(knex, city, year), await latestRun(knex, city, year - 1)]
  const value = async (run: Record<string, any> | undefined, r: Record<string, any>, def: IndicatorDef | undefined) => {
    if (!run || !def) return null
    const row = await knex('indicator_results')
      .where({ run_id: run.id, indicator: r.indicator, level: r.level, unit_code: r.unit_code })
      .where('variant', def.params.primary ?? 'area')
      .first('value')
    return row?.value ?? null
  }
  // Building 台账 entries: improved when the building no longer carries the finding.
  const ledgerNow = closed.some((r) => r.level === 'building')
    ? new Set((await ledgerProblems(knex, city, year, defs)).map((p) => `${p.indicator}|${p.unitCode}`))
    : new Set<string>()
  const items: EffectItem[] = []
  for (const r of closed) {
    const def = indicatorByCode(defs, r.indicator)
    let before: number | null
    let now: number | null
    let verdict: Verdict
    if (r.level === 'building') {
      before = 1
      now = runNow ? (ledgerNow.has(`${r.indicator}|${r.unit_code}`) ? 1 : 0) : null
      verdict = now === null ? '无数据' : now === 0 ? '改善且达标' : '未改善'
    } else {
      before = await value(runBefore, r, def)
      now = await value(runNow, r, def)
      verdict = verdictOf(def, before, now)
    }
    items.push({
      id: `${r.indicator}:${r.level}:${r.unit_code}`,
      indicator: r.indicator as string,
      indicatorZh: def?.zh ?? r.indicator,
      level: r.level as string,
      unitCode: r.unit_code as string,
      assignee: (r.assignee ?? null) as string | null,
      closedBy: r.updated_by as string,
      before,
      now,
      verdict,
      verdictEn: VERDICT_EN[verdict],
    })
  }
  const count = (v: Verdict) => items.filter((i) => i.verdict === v).length
  return {
    year,
    closedLastYear: items.length,
    summary: Object.fromEntries((Object.keys(VERDICT_EN) as Verdict[]).map((v) => [v, count(v)])),
    notImproved: items.filter((i) => i.verdict === '未改善'),
    items,
  }
}
