// The 问题清单: every unit × indicator of the latest run that misses its target (in the indicator's
// primary variant), graded, with its 整治建议, the status users gave it, and the change from the
// year before. Derived from indicator_results at read time, so it can never disagree with them;
// only the statuses are stored (problem_status), keyed by indicator, level and unit so they survive
// recomputation.
import type { Knex } from 'knex'
import { AppError } from '../errors.ts'
import { definitions, latestRun } from '../indicators/service.ts'
import { indicatorByCode } from '../indicators/registry.ts'
import type { ResultRow } from '../indicators/compute.ts'
import { SEVERITY_EN, grade, suggestionFor } from './grade.ts'

export interface ProblemQuery {
  level?: string
  dimension?: string
  indicator?: string
  severity?: string
  unit?: string
  status?: string
  limit?: number
}

export const STATUSES = ['待整改', '整改中', '已销号'] as const

export const problemId = (indicator: string, level: string, unit: string) => `${indicator}:${level}:${unit}`

export async function listProblems(knex: Knex, city: string, year: number, q: ProblemQuery) {
  const run = await latestRun(knex, city, year)
  if (!run) return []
  const defs = (await definitions(knex, city, year)).filter(
    (d) => (!q.indicator || d.code === q.indicator) && (!q.dimension || d.dimension === q.dimension),
  )
  if (!defs.length) return []
  const rows: Record<string, any>[] = await knex('indicator_results as r')
    .leftJoin('problem_status as s', (j) =>
      j
        .on('s.indicator', 'r.indicator')
        .andOn('s.level', 'r.level')
        .andOn('s.unit_code', 'r.unit_code')
        .andOnVal('s.year', year)
        .andOnVal('s.city', city),
    )
    .where('r.run_id', run.id)
    .where('r.status', 'fail')
    .where((w) => {
      for (const d of defs)
        w.orWhere((x) => x.where('r.indicator', d.code).where('r.variant', d.params.primary ?? 'area'))
    })
    .modify((b) => {
      if (q.level) b.where('r.level', q.level)
      if (q.unit) b.where((w) => w.where('r.unit_code', q.unit!).orWhere('r.unit_name', 'like', `%${q.unit}%`))
      if (q.status === '待整改') b.where((w) => w.whereNull('s.status').orWhere('s.status', '待整改'))
      else if (q.status) b.where('s.status', q.status)
    })
    .select('r.*', 's.status as user_status', 's.note', 's.updated_by', 's.updated_at')
  // Year over year: the same unit and indicator in the latest run of the year before.
  const prevRun = await latestRun(knex, city, year - 1)
  const prev = new Map<string, number | null>()
  if (prevRun && rows.length) {
    const pr = await knex('indicator_results')
      .where({ run_id: prevRun.id })
      .whereIn('indicator', [...new Set(rows.map((r) => String(r.indicator)))])
      .select('indicator', 'variant', 'level', 'unit_code', 'value')
    for (const r of pr) prev.set(`${r.indicator}|${r.variant}|${r.level}|${r.unit_code}`, r.value)
  }
  const out = rows
    .map((r) => {
      const def = indicatorByCode(defs, r.indicator)!
      const g = grade(def, r.value)
      const p = prev.get(`${r.indicator}|${r.variant}|${r.level}|${r.unit_code}`)
      return {
        id: problemId(r.indicator, r.level, r.unit_code),
        indicator: r.indicator,
        indicatorZh: def.zh,
        indicatorEn: def.en,
        dimension: def.dimension,
        type: def.type,
        unitOfMeasure: def.unit,
        variant: r.variant,
        level: r.level,
        unitCode: r.unit_code,
        unitName: r.unit_name,
        value: r.value,
        target: r.target,
        band: r.extra?.band ?? null,
        shortfall: g.shortfall,
        severity: g.severity,
        severityEn: SEVERITY_EN[g.severity],
        score: g.score,
        suggestion: suggestionFor(def, r as unknown as ResultRow),
        status: r.user_status ?? '待整改',
        note: r.note ?? null,
        statusBy: r.updated_by ?? null,
        statusAt: r.updated_at ?? null,
        previous: p ?? null,
        change: p != null && r.value != null ? r.value - p : null,
        gapResidents: r.extra?.gapResidents ?? null,
        runId: run.id,
        links: {
          results: `/api/cities/${city}/years/${year}/indicators/${r.indicator}?level=${r.level}`,
          ...(def.kind === 'coverage' || def.kind === 'life_circle'
            ? {
                gaps: `/api/cities/${city}/years/${year}/indicators/${r.indicator}/gaps?unit=${encodeURIComponent(r.unit_code)}`,
              }
            : {}),
        },
      }
    })
    .filter((p) => !q.severity || p.severity === q.severity)
  // 底线 first, then the furthest from target; stable by indicator and unit.
  out.sort(
    (a, b) => b.score - a.score || a.indicator.localeCompare(b.indicator) || a.unitCode.localeCompare(b.unitCode),
  )
  return q.limit ? out.slice(0, q.limit) : out
}

export async function updateProblem(
  knex: Knex,
  city: string,
  year: number,
  id: string,
  body: { status?: string; note?: string },
  by: string,
) {
  if (body.status !== undefined && !STATUSES.includes(body.status as (typeof STATUSES)[number])) {
    throw new AppError('CC_OPTION_INVALID', {
      option: 'status',
      field: 'status',
      reason: `应为 ${STATUSES.join('、')} / must be one of ${STATUSES.join(', ')}`,
    })
  }
  const [indicator, level, ...rest] = id.split(':')
  const unit = rest.join(':')
  const run = await latestRun(knex, city, year)
  const exists =
    run &&
    (await knex('indicator_results')
      .where({ run_id: run.id, indicator, level, unit_code: unit, status: 'fail' })
      .first('indicator'))
  if (!exists) throw new AppError('CC_NOT_FOUND', { what: `问题 ${id} / problem ${id}` })
  const current = await knex('problem_status').where({ city, year, indicator, level, unit_code: unit }).first()
  const row = {
    city,
    year,
    indicator,
    level,
    unit_code: unit,
    status: body.status ?? current?.status ?? '待整改',
    note: body.note ?? current?.note ?? null,
    updated_by: by,
    updated_at: knex.fn.now(),
  }
  await knex('problem_status').insert(row).onConflict(['city', 'year', 'indicator', 'level', 'unit_code']).merge()
  return { id, status: row.status, note: row.note, statusBy: by }
}
