import type { Knex } from 'knex'
import { AppError } from '../errors.ts'
import { definitions, latestRun } from '../indicators/service.ts'
import { indicatorByCode } from '../indicators/registry.ts'
import { SEVERITY_EN } from './grade.ts'

export interface ProblemQuery { level?: string; dimension?: string; indicator?: string; severity?: string; unit?: string; status?: string; active?: boolean; limit?: number }

export const STATUSES = ['待整改', '整改中', '已销号'] as const

export async function listProblems(knex: Knex, year: number, q: ProblemQuery) {
  const defs = await definitions(knex, year)
  const rows: Record<string, any>[] = await knex('problems').where({ year })
    .modify((b) => {
      if (q.active !== false) b.where('active', true)
      if (q.level) b.where('level', q.level)
      if (q.indicator) b.where('indicator', q.indicator)
      if (q.severity) b.where('severity', q.severity)
      if (q.status) b.where('status', q.status)
      if (q.dimension) b.whereRaw(`details->>'dimension' = ?`, [q.dimension])
      if (q.unit) b.where((w) => w.where('unit_code', q.unit!).orWhere('unit_name', 'like', `%${q.unit}%`))
    })
    .orderBy('score', 'desc').orderBy('indicator').orderBy('unit_code').limit(q.limit ?? 10000)
  // Year over year: the same unit and indicator in the latest run of the year before.
  const prevRun = await latestRun(knex, year - 1)
  const prev = new Map<string, number | null>()
  if (prevRun && rows.length) {
    const pr = await knex('indicator_results').where({ run_id: prevRun.id }).whereIn('indicator', [...new Set(rows.map((r) => String(r.indicator)))]).select('indicator', 'variant', 'level', 'unit_code', 'value')
    for (const r of pr) prev.set(`${r.indicator}|${r.variant}|${r.level}|${r.unit_code}`, r.value)
  }
  return rows.map((r) => {
    const def = indicatorByCode(defs, r.indicator)
    const p = prev.get(`${r.indicator}|${r.variant}|${r.level}|${r.unit_code}`)
    return {
      id: r.id, indicator: r.indicator, indicatorZh: def?.zh ?? r.indicator, indicatorEn: def?.en ?? r.indicator, dimension: r.details?.dimension, type: r.details?.type,
      unitOfMeasure: def?.unit, variant: r.variant, level: r.level, unitCode: r.unit_code, unitName: r.unit_name, value: r.value, target: r.target,
      band: r.details?.band ?? null, shortfall: r.details?.shortfall, severity: r.severity, severityEn: SEVERITY_EN[r.severity as keyof typeof SEVERITY_EN], score: r.score,
      suggestion: r.suggestion, status: r.status, note: r.note, statusBy: r.status_by, statusAt: r.status_at, active: r.active,
      previous: p ?? null, change: p != null && r.value != null ? r.value - p : null,
      gapResidents: r.details?.gapResidents ?? null,
      links: {
        results: `/api/years/${year}/indicators/${r.indicator}?level=${r.level}`,
        ...(def && (def.kind === 'coverage' || def.kind === 'life_circle') ? { gaps: `/api/years/${year}/indicators/${r.indicator}/gaps?unit=${encodeURIComponent(r.unit_code)}` } : {}),
      },
    }
  })
}

export async function updateProblem(knex: Knex, year: number, id: number, body: { status?: string; note?: string }, by: string) {
  if (body.status !== undefined && !STATUSES.includes(body.status as (typeof STATUSES)[number])) {
    throw new AppError('CC_OPTION_INVALID', { option: 'status', field: 'status', reason: `应为 ${STATUSES.join('、')} / must be one of ${STATUSES.join(', ')}` })
  }
  const n = await knex('problems').where({ id, year }).update({ ...(body.status !== undefined && { status: body.status }), ...(body.note !== undefined && { note: body.note }), status_by: by, status_at: knex.fn.now() })
  if (!n) throw new AppError('CC_NOT_FOUND', { what: `问题 ${id} / problem ${id}` })
  return knex('problems').where({ id }).first()
}
