// The demo city's year of 体检 work, so the scorecard, the report draft, the 整改 list and the 成效
// view are alive from the first start: a year before the demo year (the same city, one facility in
// seven not yet opened), a full set of plausible department figures for both years (most
// accepted; in the demo year a few still submitted, one returned, two departments not yet
// reporting), and problems of the year before assigned and closed, with this year's assigned to
// departments at each step of the loop.
import type { Knex } from 'knex'
import type { Principal } from '../auth/roles.ts'
import { isoDate, saveFigure, reviewFigure, systemFor, unitsFor } from '../figures/store.ts'
import { type SystemEntry, isReported } from '../figures/system.ts'
import { listProblems, updateProblem } from '../problems/store.ts'

const DEMO: Principal = { name: 'demo', role: 'admin', cities: null }

/** The facilities of the year before: every seventh facility opened only in the demo year. */
export function facilitiesBefore(geojson: Buffer): Buffer {
  const fc = JSON.parse(geojson.toString('utf8')) as { features: { properties: { code?: string } }[] }
  fc.features = fc.features.filter((f, i) => i % 7 !== 3)
  return Buffer.from(JSON.stringify(fc))
}

/** A deterministic value in [lo, hi] for a key (so every start makes the same demo). */
function pick(key: string, lo: number, hi: number): number {
  let h = 2166136261
  for (const c of key) h = Math.imul(h ^ c.charCodeAt(0), 16777619)
  return lo + ((h >>> 0) / 2 ** 32) * (hi - lo)
}

/** A plausible figure for an indicator: near its target, a little better in the demo year. */
function plausible(e: SystemEntry, unit: string, year: number, demoYear: number): number {
  const better = year === demoYear ? 1 : 0
  const k = `${e.code}|${unit}`
  if (e.integer) return Math.round(pick(k, 0, 9) * (better ? 0.7 : 1))
  if (e.unit === '%') {
    if (e.target?.direction === '<=') return +(pick(k, 3, 12) - better).toFixed(1)
    return +Math.min(100, pick(k, 72, 97) + better * 3).toFixed(1)
  }
  const t = e.target?.value ?? 5
  return +(t * pick(k, 0.75, 1.15) * (better ? 1.04 : 1)).toFixed(2)
}

async function seedFigures(knex: Knex, city: string, year: number, demoYear: number) {
  const system = (await systemFor(knex, city, year)).filter(isReported)
  const departments = [...new Set(system.map((e) => e.department))].sort()
  // In the demo year two departments have not reported yet and one figure was returned.
  const silent = year === demoYear ? new Set(departments.slice(-2)) : new Set<string>()
  let n = 0
  for (const e of system) {
    if (silent.has(e.department)) continue
    for (const level of e.levels) {
      if (level === 'area') continue
      for (const u of await unitsFor(knex, city, year, level)) {
        const value = plausible(e, u.code, year, demoYear)
        const key = { indicator: e.code, level, unit: u.code }
        await saveFigure(
          knex,
          city,
          year,
          DEMO,
          {
            ...key,
            value,
            sampleSize: e.obtained === '问卷调查' ? Math.round(pick(u.code, 400, 2400)) : null,
            source: `${e.department}${year}年统计报表（示范数据）`,
            caliber: '示范数据：按指标定义统计',
            asOf: `${year}年末`,
          },
          { submit: true },
          system,
        )
        n++
        const step = n % 11
        if (year === demoYear && step === 5) continue // still awaiting review
        if (year === demoYear && step === 7) {
          await reviewFigure(knex, city, year, DEMO, key, 'return', '统计口径与上年不一致，请核对后重报（示范）')
          continue
        }
        await reviewFigure(knex, city, year, DEMO, key, 'accept', undefined)
      }
    }
  }
  // The year before closed long ago; in the demo year half the departments are a month from their
  // deadline and half are ten days past it, so the progress view shows both.
  for (const [i, d] of departments.entries()) {
    const due = year < demoYear ? `${year + 1}-01-31` : isoDate(new Date(Date.now() + (i % 2 ? 30 : -10) * 86400000))
    await knex('figure_deadlines')
      .insert({ city, year, department: d, due })
      .onConflict(['city', 'year', 'department'])
      .merge()
  }
  return n
}

const DEPARTMENT_BY_PREFIX: [RegExp, string][] = [
  [/kindergarten|school|seat/, '教育局'],
  [/nursery|health/, '卫生健康委'],
  [/elderly|community_service/, '民政局'],
  [/park|green/, '园林绿化局'],
]
const departmentFor = (code: string) => DEPARTMENT_BY_PREFIX.find(([re]) => re.test(code))?.[1] ?? '住房和城乡建设局'

async function seedRectification(knex: Knex, city: string, year: number, demoYear: number) {
  const problems = (await listProblems(knex, city, year, { level: 'community' })).filter((p) =>
    DEPARTMENT_BY_PREFIX.some(([re]) => re.test(p.indicator)),
  )
  const before = year < demoYear
  const chosen = problems.slice(0, before ? 40 : 24)
  for (const [i, p] of chosen.entries()) {
    const assignee = departmentFor(p.indicator)
    const deadline = before ? `${year}-11-30` : i % 4 === 0 ? `${year}-06-30` : `${year + 1}-06-30`
    await updateProblem(knex, city, year, p.id, { assignee, deadline }, DEMO)
    if (before) {
      await updateProblem(knex, city, year, p.id, { status: '已销号', evidence: '已完成整改（示范）' }, DEMO)
      continue
    }
    if (i % 3 >= 1) await updateProblem(knex, city, year, p.id, { status: '整改中', note: '已立项（示范）' }, DEMO)
    if (i % 3 === 2)
      await updateProblem(knex, city, year, p.id, { status: '申请销号', evidence: '设施已建成投用（示范）' }, DEMO)
  }
  return chosen.length
}

/** Seeds the figures and the 整改 work once (when the city has no figures yet). */
export async function seedDemoWork(knex: Knex, city: string, demoYear: number, log: (m: string) => void) {
  if (await knex('figure_values').where({ city }).first('indicator')) return
  for (const year of [demoYear - 1, demoYear]) {
    const figures = await seedFigures(knex, city, year, demoYear)
    const problems = await seedRectification(knex, city, year, demoYear)
    log(`  ${year} 部门填报 / department figures: ${figures}; 整改 / assigned problems: ${problems}`)
  }
}
