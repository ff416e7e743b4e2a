// The 问题清单: every unit × indicator of the latest run that misses its target (in the indicator's
// primary variant), graded, with its 整治建议, the status users gave it, and the change from the
// year before. Derived from indicator_results at read time, so it can never disagree with them;
// only the statuses are stored (problem_status), keyed by indicator, level and unit so they survive
// recomputation.
import type { Knex } from 'knex'
import type { Principal } from '../auth/roles.ts'
import { AppError } from '../errors.ts'
import { definitions, latestRun } from '../indicators/service.ts'
import { indicatorByCode, type IndicatorDef } from '../indicators/registry.ts'
import { digest, memo } from '../indicators/runcache.ts'
import type { ResultRow } from '../indicators/compute.ts'
import { SEVERITY_EN, grade, suggestionEnFor, suggestionFor } from './grade.ts'
import { type LedgerEntry, ledgerProblems } from '../inspections/ledger.ts'
import { figureProblems, isFigureProblem } from '../figures/problems.ts'
import { systemFor } from '../figures/store.ts'

export interface ProblemQuery {
  level?: string
  dimension?: string
  indicator?: string
  severity?: string
  unit?: string
  status?: string
  /** 责任单位 the problem is assigned to */
  assignee?: string
  overdue?: boolean
  limit?: number
}

/** The 整改 loop: a department works a problem, asks to close it with evidence, the reviewer closes it. */
export const STATUSES = ['待整改', '整改中', '申请销号', '已销号'] as const
export type Status = (typeof STATUSES)[number]
export const STATUS_EN: Record<Status, string> = {
  待整改: 'to fix',
  整改中: 'in progress',
  申请销号: 'closure requested',
  已销号: 'closed',
}

export const problemId = (indicator: string, level: string, unit: string) => `${indicator}:${level}:${unit}`

type UnitProblem = Awaited<ReturnType<typeof gradedProblems>>[number]
type FigureProblem = Awaited<ReturnType<typeof figureProblems>>[number]
export type Problem = (UnitProblem | LedgerEntry | FigureProblem) & {
  status: string
  note: string | null
  statusBy: string | null
  statusAt: string | null
  assignee: string | null
  deadline: string | null
  evidence: string | null
  evidenceAttachment: number | null
  overdue: boolean
}

/** A date column as YYYY-MM-DD (pg gives a Date at local midnight, PGlite may give either). */
export function dateText(d: unknown): string | null {
  if (d == null) return null
  if (typeof d === 'string') return d.slice(0, 10)
  const x = d as Date
  const p = (n: number) => String(n).padStart(2, '0')
  return `${x.getFullYear()}-${p(x.getMonth() + 1)}-${p(x.getDate())}`
}

/**
 * Every failing unit × indicator of a run, graded and sorted (底线 first, then the furthest from its
 * target): computed once per run, year before and definitions, then shared by every call.
 */
function gradedProblems(
  knex: Knex,
  city: string,
  year: number,
  run: Record<string, any>,
  prevRun: Record<string, any> | undefined,
  defs: IndicatorDef[],
) {
  return memo(`problems|${run.id}|${prevRun?.id ?? ''}|${digest(defs)}`, async () => {
    let rows: Record<string, any>[] = await knex('indicator_results as r')
      .where('r.run_id', run.id)
      .where('r.status', 'fail')
      .where((w) => {
        for (const d of defs)
          w.orWhere((x) =>
            x
              .where('r.indicator', d.code)
              .whereIn('r.variant', [d.params.primary ?? 'area', `${d.params.primary ?? 'area'}@network`]),
          )
      })
      .select(
        'r.indicator',
        'r.variant',
        'r.level',
        'r.unit_code',
        'r.unit_name',
        'r.value',
        'r.target',
        'r.extra',
        'r.numerator',
        'r.denominator',
      )
    // One distance model per indicator: the year's choice where the run has it, else straight-line.
    const walked = new Set(rows.filter((r) => String(r.variant).endsWith('@network')).map((r) => r.indicator))
    const useNetwork = (run.settings as { distanceModel?: string } | null)?.distanceModel === 'network'
    rows = rows.filter((r) =>
      String(r.variant).endsWith('@network') ? useNetwork : !(useNetwork && walked.has(r.indicator)),
    )
    // Year over year: the same unit and indicator in the latest run of the year before.
    const prev = new Map<string, number | null>()
    if (prevRun && rows.length) {
      const pr = await knex('indicator_results')
        .where({ run_id: prevRun.id })
        .whereIn('indicator', [...new Set(rows.map((r) => String(r.indicator)))])
        .select('indicator', 'variant', 'level', 'unit_code', 'value')
      for (const r of pr) prev.set(`${r.indicator}|${r.variant}|${r.level}|${r.unit_code}`, r.value)
    }
    const parents = (run.derived as { parents?: Record<string, { code: string; name: string } | null> })?.parents ?? {}
    const out = rows.map((r) => {
      const def = indicatorByCode(defs, r.indicator)!
      const g = grade(def, r.value, r as { numerator: number | null; denominator: number | null })
      const p = prev.get(`${r.indicator}|${r.variant}|${r.level}|${r.unit_code}`)
      return {
        id: problemId(r.indicator, r.level, r.unit_code),
        indicator: r.indicator as string,
        indicatorZh: def.zh,
        indicatorEn: def.en,
        dimension: def.dimension,
        type: def.type,
        unitOfMeasure: def.unit,
        variant: r.variant as string,
        level: r.level as string,
        unitCode: r.unit_code as string,
        unitName: r.unit_name as string,
        parent: parents[`${r.level}:${r.unit_code}`] ?? null,
        value: r.value as number | null,
        target: r.target as number | null,
        band: (r.extra?.band ?? null) as [number, number] | null,
        shortfall: g.shortfall,
        severity: g.severity,
        severityEn: SEVERITY_EN[g.severity],
        score: g.score,
        suggestion: suggestionFor(def, r as unknown as ResultRow),
        suggestionEn: suggestionEnFor(def, r as unknown as ResultRow),
        previous: p ?? null,
        change: p != null && r.value != null ? r.value - p : null,
        gapResidents: (r.extra?.gapResidents ?? null) as number | null,
        runId: run.id as number,
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
    out.sort(
      (a, b) => b.score - a.score || a.indicator.localeCompare(b.indicator) || a.unitCode.localeCompare(b.unitCode),
    )
    return out
  })
}

export async function listProblems(knex: Knex, city: string, year: number, q: ProblemQuery): Promise<Problem[]> {
  const run = await latestRun(knex, city, year)
  if (!run) return []
  const defs = await definitions(knex, city, year)
  const units = await gradedProblems(knex, city, year, run, await latestRun(knex, city, year - 1), defs)
  // The building-level 台账 joins the list; both lists are sorted by score, so they merge in order.
  const ledger = q.level && q.level !== 'building' ? [] : await ledgerProblems(knex, city, year, defs)
  // Accepted department figures that miss their targets (server/figures/problems.ts).
  const figures = q.level === 'building' ? [] : await figureProblems(knex, city, year)
  let all: (UnitProblem | LedgerEntry | FigureProblem)[] = units
  if (ledger.length) all = mergeByScore<UnitProblem | LedgerEntry | FigureProblem>(all, ledger)
  if (figures.length) all = mergeByScore<UnitProblem | LedgerEntry | FigureProblem>(all, figures)
  // Statuses are the one part users change: read fresh each time (a few rows per city-year).
  const statuses = new Map<string, Record<string, any>>()
  for (const s of await knex('problem_status').where({ city, year }))
    statuses.set(problemId(s.indicator, s.level, s.unit_code), s)
  const out: Problem[] = []
  const today = dateText(new Date())!
  // Each indicator is graded at the levels its definition applies to (the year's system): a city-wide
  // ratio such as 人均公园绿地面积 or 职住比 is not a problem of every 社区.
  const levels = new Map((await systemFor(knex, city, year)).map((e) => [e.code, new Set<string>(e.levels)]))
  for (const p of all) {
    if (p.level !== 'building' && levels.get(p.indicator)?.has(p.level) === false) continue
    if (q.indicator && p.indicator !== q.indicator) continue
    if (q.dimension && p.dimension !== q.dimension) continue
    if (q.level && p.level !== q.level) continue
    if (q.severity && p.severity !== q.severity) continue
    if (q.unit && p.unitCode !== q.unit && !p.unitName?.includes(q.unit) && p.parent?.code !== q.unit) continue
    const s = statuses.get(p.id)
    const status = s?.status ?? '待整改'
    if (q.status && status !== q.status) continue
    const assignee: string | null = s?.assignee ?? null
    if (q.assignee && assignee !== q.assignee) continue
    const deadline = dateText(s?.deadline)
    const overdue = deadline !== null && deadline < today && status !== '已销号'
    if (q.overdue !== undefined && overdue !== q.overdue) continue
    out.push({
      ...p,
      status,
      note: s?.note ?? null,
      statusBy: s?.updated_by ?? null,
      statusAt: s?.updated_at ?? null,
      assignee,
      deadline,
      evidence: s?.evidence ?? null,
      evidenceAttachment: s?.evidence_attachment == null ? null : Number(s.evidence_attachment),
      overdue,
    })
    if (q.limit && out.length >= q.limit) break
  }
  return out
}

function mergeByScore<T extends { score: number }>(a: T[], b: T[]): T[] {
  const sorted = [...b].sort((x, y) => y.score - x.score)
  const out: T[] = []
  let i = 0,
    j = 0
  while (i < a.length || j < sorted.length)
    out.push(j >= sorted.length || (i < a.length && a[i].score >= sorted[j].score) ? a[i++] : sorted[j++])
  return out
}

export interface ProblemChange {
  status?: string
  note?: string
  assignee?: string | null
  deadline?: string | null
  evidence?: string
  evidenceAttachment?: number | null
}

/**
 * Changes a problem's state. A reviewer (problems:review) may set anything — assign a 责任单位 and
 * deadline, close it, or send a closure request back. A department (`rectify`: a reporter token
 * with a department) may only move its own assigned problems forward: 待整改 → 整改中 → 申请销号,
 * the last with evidence.
 */
export async function updateProblem(
  knex: Knex,
  city: string,
  year: number,
  id: string,
  body: ProblemChange,
  by: string | Principal,
  rectify = false,
) {
  const p: Principal = typeof by === 'string' ? { name: by, role: 'admin', cities: null } : by
  if (body.status !== undefined && !STATUSES.includes(body.status as Status)) {
    throw new AppError('CC_OPTION_INVALID', {
      option: 'status',
      field: 'status',
      reason: `应为 ${STATUSES.join('、')} / must be one of ${STATUSES.join(', ')}`,
    })
  }
  for (const f of ['note', 'evidence', 'assignee'] as const)
    if (typeof body[f] === 'string' && /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(body[f] as string))
      throw new AppError('CC_OPTION_INVALID', {
        option: f,
        field: f,
        reason: '含有控制字符 / contains control characters',
      })
  if (body.deadline != null && !/^\d{4}-\d{2}-\d{2}$/.test(body.deadline))
    throw new AppError('CC_OPTION_INVALID', {
      option: 'deadline',
      field: 'deadline',
      reason: '应为 YYYY-MM-DD 日期 / must be a YYYY-MM-DD date',
    })
  // No problem has a control character in its id (and PostgreSQL would refuse a NUL in the lookup).
  if (/[\u0000-\u001f\u007f]/.test(id)) throw new AppError('CC_NOT_FOUND', { what: `问题 ${id} / problem ${id}` })
  const [indicator, level, ...rest] = id.split(':')
  const unit = rest.join(':')
  const run = await latestRun(knex, city, year)
  const exists =
    level === 'building'
      ? (await ledgerProblems(knex, city, year, await definitions(knex, city, year))).some(
          (p) => p.indicator === indicator && p.unitCode === unit,
        )
      : (run &&
          (await knex('indicator_results')
            .where({ run_id: run.id, indicator, level, unit_code: unit, status: 'fail' })
            .first('indicator'))) ||
        (await isFigureProblem(knex, city, year, id))
  if (!exists) throw new AppError('CC_NOT_FOUND', { what: `问题 ${id} / problem ${id}` })
  if (
    body.evidenceAttachment != null &&
    !(await knex('attachments').where({ city, id: body.evidenceAttachment }).first('id'))
  )
    throw new AppError('CC_NOT_FOUND', {
      what: `附件 ${body.evidenceAttachment} / attachment ${body.evidenceAttachment}`,
    })
  const key = { city, year, indicator, level, unit_code: unit }
  return knex.transaction(async (trx) => {
    const current = await trx('problem_status').where(key).forUpdate().first()
    const from: Status = current?.status ?? '待整改'
    const to = (body.status ?? from) as Status
    if (rectify) checkRectify(id, p, current, from, to, body)
    const row = {
      ...key,
      status: to,
      note: body.note ?? current?.note ?? null,
      assignee: body.assignee !== undefined ? body.assignee || null : (current?.assignee ?? null),
      deadline: body.deadline !== undefined ? body.deadline || null : (dateText(current?.deadline) ?? null),
      evidence: body.evidence ?? current?.evidence ?? null,
      evidence_attachment:
        body.evidenceAttachment !== undefined ? body.evidenceAttachment : (current?.evidence_attachment ?? null),
      updated_by: p.name,
      updated_at: trx.fn.now(),
    }
    await trx('problem_status').insert(row).onConflict(['city', 'year', 'indicator', 'level', 'unit_code']).merge()
    await trx('problem_events').insert({
      ...key,
      status: row.status,
      note: row.note,
      assignee: row.assignee,
      deadline: row.deadline,
      by: p.name,
    })
    return {
      id,
      status: row.status,
      note: row.note,
      assignee: row.assignee,
      deadline: row.deadline,
      evidence: row.evidence,
      statusBy: p.name,
    }
  })
}

const FORWARD: Partial<Record<Status, Status[]>> = { 待整改: ['整改中'], 整改中: ['申请销号'] }

function checkRectify(
  id: string,
  p: Principal,
  current: Record<string, any> | undefined,
  from: Status,
  to: Status,
  body: ProblemChange,
) {
  const owner = current?.assignee ?? null
  if (!p.department || owner !== p.department)
    throw new AppError('CC_NOT_YOUR_DEPARTMENT', {
      name: p.name,
      department: p.department ?? '（未指定）',
      owner: owner ?? '（未分派）',
    })
  const bad = (reasonZh: string, reason: string) =>
    new AppError('CC_PROBLEM_TRANSITION', {
      id,
      from,
      fromEn: STATUS_EN[from],
      to,
      toEn: STATUS_EN[to],
      reasonZh,
      reason,
    })
  if (body.assignee !== undefined || body.deadline !== undefined)
    throw bad('责任单位和期限由城检办分派', 'the reviewer assigns the department and the deadline')
  if (to !== from && !FORWARD[from]?.includes(to))
    throw bad(
      from === '申请销号' ? '已申请销号，等待审核' : '责任单位只能推进到下一步（整改中、申请销号）',
      from === '申请销号' ? 'closure is awaiting review' : 'a department can only move to the next step',
    )
  if (to === '申请销号' && !(body.evidence?.trim() || body.evidenceAttachment || current?.evidence))
    throw bad('申请销号须附整改佐证（说明或附件）', 'a closure request needs evidence (a note or an attachment)')
}
