// Department figures (部门填报): the year's system, the tasks it gives each department, and the flow
// of one figure — saved (draft) → submitted → accepted, or returned with a comment and submitted
// again. Every step is a row in figure_events; figure_values holds the current state.
import type { Knex } from 'knex'
import type { Principal } from '../auth/roles.ts'
import { AppError } from '../errors.ts'
import { cityYearCached, forgetCityYear } from '../db/cityyear.ts'
import { definitions } from '../indicators/service.ts'
import { type FigureLevel, FIGURE_LEVELS, type SystemEntry, defaultSystem, isReported } from './system.ts'
import { type At, type FigureInput, checkFigure } from './validate.ts'

export const FIGURE_STATUS_ZH: Record<string, string> = {
  draft: '草稿',
  submitted: '已提交',
  accepted: '已通过',
  returned: '已退回',
  missing: '未填报',
}

/**
 * The year's system: the city's own table where it imported one, else the shipped set. Every 问题清单 request
 * reads it, so it is kept per city-year until a change notice (an import or a new year config) drops it.
 */
export function systemFor(knex: Knex, city: string, year: number): Promise<SystemEntry[]> {
  return cityYearCached('system', city, year, async () => {
    const own = await knex('indicator_systems').where({ city, year }).first('entries')
    if (own) return own.entries as SystemEntry[]
    return defaultSystem(await definitions(knex, city, year))
  })
}

export interface Unit {
  code: string
  name: string
}

const LEVEL_TABLE: Record<Exclude<FigureLevel, 'city'>, string> = {
  district: 'districts',
  street: 'streets',
  community: 'communities',
}

/** The units of a level in the year's current boundaries (the city itself at city level). */
export async function unitsFor(knex: Knex, city: string, year: number, level: FigureLevel): Promise<Unit[]> {
  if (level === 'city') {
    const c = await knex('cities').where({ code: city }).first('code', 'name')
    return [{ code: c.code, name: c.name }]
  }
  const table = LEVEL_TABLE[level]
  const cur = await knex('layer_current').where({ city, year, layer: table }).first('upload_id')
  if (!cur) return []
  return knex(table).where({ upload_id: cur.upload_id }).orderBy('code').select('code', 'name')
}

export interface Task {
  department: string
  indicators: { code: string; zh: string; en: string; unit: string; obtained: string; levels: FigureLevel[] }[]
}

/** What each department owes: its reported indicators, with the levels it reports them at. */
export function tasksOf(system: SystemEntry[]): Task[] {
  const by = new Map<string, Task>()
  for (const e of system.filter(isReported)) {
    const t = by.get(e.department) ?? { department: e.department, indicators: [] }
    by.set(e.department, t)
    t.indicators.push({
      code: e.code,
      zh: e.zh,
      en: e.en,
      unit: e.unit,
      obtained: e.obtained,
      levels: e.levels.filter((l): l is FigureLevel => (FIGURE_LEVELS as readonly string[]).includes(l)),
    })
  }
  return [...by.values()].sort((a, b) => a.department.localeCompare(b.department, 'zh'))
}

function entryFor(system: SystemEntry[], code: string): SystemEntry {
  const e = system.find((x) => x.code === code)
  if (!e) throw new AppError('CC_NOT_FOUND', { what: `指标 ${code} / indicator ${code}` })
  if (!isReported(e))
    throw new AppError('CC_OPTION_INVALID', {
      option: 'indicator',
      field: 'indicator',
      reason: `${e.zh} 由${e.obtained}得出，不由部门填报 / ${e.en} is computed, not reported`,
    })
  return e
}

/** A reporter writes only its own department's figures; admins and reviewers are not tied to one. */
export function checkDepartment(p: Principal, owner: string) {
  if (p.role !== 'reporter') return
  if (p.department !== owner)
    throw new AppError('CC_NOT_YOUR_DEPARTMENT', { name: p.name, department: p.department ?? '（未指定）', owner })
}

async function checkUnit(knex: Knex, city: string, year: number, e: SystemEntry, level: string, unit: string) {
  if (!(e.levels as string[]).includes(level) || !(FIGURE_LEVELS as readonly string[]).includes(level))
    throw new AppError('CC_OPTION_INVALID', {
      option: 'level',
      field: 'level',
      reason: `${e.zh} 在以下层级填报：${e.levels.join('、')} / ${e.en} is reported at ${e.levels.join(', ')}`,
    })
  const units = await unitsFor(knex, city, year, level as FigureLevel)
  if (!units.some((u) => u.code === unit))
    throw new AppError('CC_NOT_FOUND', { what: `${level} 单元 ${unit} / ${level} unit ${unit}` })
}

export interface SaveOptions {
  submit: boolean
  at?: At
}

/** Saves (or submits) one figure. A submitted or accepted figure is the reviewer's until returned. */
export async function saveFigure(
  knex: Knex,
  city: string,
  year: number,
  p: Principal,
  input: FigureInput,
  o: SaveOptions,
  system?: SystemEntry[],
) {
  const e = entryFor(system ?? (await systemFor(knex, city, year)), input.indicator)
  checkDepartment(p, e.department)
  await checkUnit(knex, city, year, e, input.level, input.unit)
  const clean = checkFigure(e, input, o.submit, o.at)
  if (clean.attachmentId !== null && !(await knex('attachments').where({ city, id: clean.attachmentId }).first('id')))
    throw new AppError('CC_NOT_FOUND', { what: `附件 ${clean.attachmentId} / attachment ${clean.attachmentId}` })
  const key = { city, year, indicator: e.code, level: input.level, unit_code: input.unit }
  return knex.transaction(async (trx) => {
    // Row lock: two saves of one figure queue, so the state check below sees the other's result.
    const cur = await trx('figure_values').where(key).forUpdate().first('status')
    if (cur && (cur.status === 'submitted' || cur.status === 'accepted') && p.role === 'reporter')
      throw new AppError('CC_FIGURE_STATE', {
        indicator: e.code,
        unit: input.unit,
        state: cur.status,
        stateZh: FIGURE_STATUS_ZH[cur.status],
        action: 'changed before the reviewer returns it',
        actionZh: '在审核退回前修改',
      })
    const status = o.submit ? 'submitted' : 'draft'
    const row = {
      ...key,
      value: clean.value,
      sample_size: clean.sampleSize,
      source: clean.source,
      caliber: clean.caliber,
      as_of: clean.asOf,
      note: clean.note,
      attachment_id: clean.attachmentId,
      department: e.department,
      status,
      comment: null,
      updated_by: p.name,
      updated_at: trx.fn.now(),
    }
    await trx('figure_values').insert(row).onConflict(['city', 'year', 'indicator', 'level', 'unit_code']).merge()
    await trx('figure_events').insert({ ...key, action: o.submit ? 'submit' : 'save', value: clean.value, by: p.name })
    return { indicator: e.code, level: input.level, unit: input.unit, status, value: clean.value }
  })
}

/** The reviewer's decision on a submitted figure: accept it, or return it with a comment. */
export async function reviewFigure(
  knex: Knex,
  city: string,
  year: number,
  p: Principal,
  key: { indicator: string; level: string; unit: string },
  action: 'accept' | 'return',
  comment: string | undefined,
) {
  if (action === 'return' && !comment?.trim())
    throw new AppError('CC_OPTION_INVALID', {
      option: 'comment',
      field: 'comment',
      reason: '退回时必须说明原因 / a return needs a comment',
    })
  const where = { city, year, indicator: key.indicator, level: key.level, unit_code: key.unit }
  const r = await knex.transaction(async (trx) => {
    const cur = await trx('figure_values').where(where).forUpdate().first('status', 'value')
    if (!cur) throw new AppError('CC_NOT_FOUND', { what: `填报 ${key.indicator} / figure ${key.indicator}` })
    const allowed = action === 'accept' ? ['submitted'] : ['submitted', 'accepted']
    if (!allowed.includes(cur.status))
      throw new AppError('CC_FIGURE_STATE', {
        indicator: key.indicator,
        unit: key.unit,
        state: cur.status,
        stateZh: FIGURE_STATUS_ZH[cur.status],
        action: action === 'accept' ? 'accepted' : 'returned',
        actionZh: action === 'accept' ? '通过' : '退回',
      })
    const status = action === 'accept' ? 'accepted' : 'returned'
    await trx('figure_values')
      .where(where)
      .update({ status, comment: comment?.trim() || null, updated_by: p.name, updated_at: trx.fn.now() })
    await trx('figure_events').insert({
      ...where,
      action,
      value: cur.value,
      comment: comment?.trim() || null,
      by: p.name,
    })
    return { ...key, status }
  })
  // The accepted set changed: this process forgets it at once (the route's change notice tells the others).
  forgetCityYear(city, year)
  return r
}

export interface FigureQuery {
  department?: string
  indicator?: string
  status?: string
}

export async function listFigures(knex: Knex, city: string, year: number, q: FigureQuery) {
  const rows: Record<string, any>[] = await knex('figure_values')
    .where({ city, year })
    .modify((b) => {
      if (q.department) b.where('department', q.department)
      if (q.indicator) b.where('indicator', q.indicator)
      if (q.status) b.where('status', q.status)
    })
    .orderBy(['department', 'indicator', 'level', 'unit_code'])
  return rows.map(figureOut)
}

export function figureOut(r: Record<string, any>) {
  return {
    indicator: r.indicator as string,
    level: r.level as string,
    unit: r.unit_code as string,
    value: r.value as number | null,
    sampleSize: r.sample_size as number | null,
    source: r.source as string | null,
    caliber: r.caliber as string | null,
    asOf: r.as_of as string | null,
    note: r.note as string | null,
    attachmentId: r.attachment_id == null ? null : Number(r.attachment_id),
    department: r.department as string,
    status: r.status as string,
    statusZh: FIGURE_STATUS_ZH[r.status],
    comment: r.comment as string | null,
    updatedBy: r.updated_by as string,
    updatedAt: r.updated_at,
  }
}

export async function figureHistory(
  knex: Knex,
  city: string,
  year: number,
  key: { indicator: string; level: string; unit: string },
) {
  return (
    await knex('figure_events')
      .where({ city, year, indicator: key.indicator, level: key.level, unit_code: key.unit })
      .orderBy('id')
  ).map((r) => ({ action: r.action, value: r.value, comment: r.comment, by: r.by, at: r.at }))
}

/** Per department: how many figures it owes, and how many are missing, drafts, submitted, returned, accepted. */
export async function progress(knex: Knex, city: string, year: number, today = new Date()) {
  const system = await systemFor(knex, city, year)
  const tasks = tasksOf(system)
  const units = new Map<FigureLevel, number>()
  for (const l of FIGURE_LEVELS) units.set(l, (await unitsFor(knex, city, year, l)).length)
  const counts = new Map<string, Record<string, number>>()
  for (const r of await knex('figure_values')
    .where({ city, year })
    .groupBy('department', 'status')
    .select('department', 'status')
    .count('* as n'))
    counts.set(`${r.department}|${r.status}`, { n: Number(r.n) })
  const due = new Map<string, string>()
  for (const d of await knex('figure_deadlines').where({ city, year }))
    due.set(d.department, typeof d.due === 'string' ? d.due.slice(0, 10) : isoDate(d.due))
  const day = isoDate(today)
  return tasks.map((t) => {
    const owed = t.indicators.reduce((a, i) => a + i.levels.reduce((b, l) => b + (units.get(l) ?? 0), 0), 0)
    const n = (s: string) => counts.get(`${t.department}|${s}`)?.n ?? 0
    const [draft, submitted, returned, accepted] = ['draft', 'submitted', 'returned', 'accepted'].map(n)
    const deadline = due.get(t.department) ?? null
    const outstanding = owed - submitted - accepted
    return {
      department: t.department,
      indicators: t.indicators.length,
      owed,
      missing: Math.max(0, owed - draft - submitted - returned - accepted),
      draft,
      submitted,
      returned,
      accepted,
      deadline,
      late: deadline !== null && deadline < day && outstanding > 0,
      done: owed > 0 && accepted >= owed,
    }
  })
}

export function isoDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`
}

/**
 * Accepted figures of a year, keyed `indicator|level|unit`: what the scorecard, the report and the 问题清单
 * use. Kept per city-year like the system: a review (the only way the accepted set changes) drops it.
 */
export function acceptedFigures(knex: Knex, city: string, year: number) {
  return cityYearCached('figures-accepted', city, year, async () => {
    const out = new Map<string, Record<string, any>>()
    for (const r of await knex('figure_values').where({ city, year, status: 'accepted' }))
      out.set(`${r.indicator}|${r.level}|${r.unit_code}`, r)
    return out
  })
}
