// Ranking 小区, 社区 and 街道 for renewal by their problems, with weights the user can adjust, so a
// 城市更新项目库 can be drafted from the 问题清单.
//   社区 / 街道: Σ over the unit's problems of weight(indicator or dimension) × severity points (×底线 factor)
//   小区: Σ over coverage and life-circle indicators of weight × share of the 小区's residents left uncovered
import type { Knex } from 'knex'
import { AppError } from '../errors.ts'
import { definitions, latestRun, readRunArrays, unpackBit } from '../indicators/service.ts'
import { listProblems } from '../problems/store.ts'

export interface RenewalWeights {
  /** by indicator code or by dimension (住房, 小区(社区), 街区, 城区); default 1 */
  weights?: Record<string, number>
  severity?: Record<string, number>
  baseline?: number
}

export const DEFAULT_SEVERITY: Record<string, number> = { 严重: 3, 较重: 2, 一般: 1 }
export const DEFAULT_BASELINE = 1.5

export async function rankForRenewal(
  knex: Knex,
  city: string,
  year: number,
  level: 'community' | 'street' | 'residential-area',
  w: RenewalWeights,
) {
  const weightOf = (code: string, dimension: string) => w.weights?.[code] ?? w.weights?.[dimension] ?? 1
  const sev = { ...DEFAULT_SEVERITY, ...(w.severity ?? {}) }
  const baseline = w.baseline ?? DEFAULT_BASELINE
  if (level !== 'residential-area') {
    const problems = await listProblems(knex, city, year, { level })
    const units = new Map<
      string,
      { code: string; name: string; score: number; counts: Record<string, number>; problems: typeof problems }
    >()
    for (const p of problems) {
      const u = units.get(p.unitCode) ?? {
        code: p.unitCode,
        name: p.unitName,
        score: 0,
        counts: { 严重: 0, 较重: 0, 一般: 0 },
        problems: [] as typeof problems,
      }
      u.score += weightOf(p.indicator, p.dimension) * (sev[p.severity] ?? 1) * (p.type === '底线' ? baseline : 1)
      u.counts[p.severity]++
      u.problems.push(p)
      units.set(p.unitCode, u)
    }
    return [...units.values()]
      .sort((a, b) => b.score - a.score)
      .map((u, i) => ({
        rank: i + 1,
        level,
        code: u.code,
        name: u.name,
        score: Math.round(u.score * 100) / 100,
        problems: u.problems.length,
        ...u.counts,
        projects: u.problems
          .slice(0, 5)
          .map((p) => ({ indicator: p.indicatorZh, severity: p.severity, suggestion: p.suggestion })),
      }))
  }
  const run = await latestRun(knex, city, year)
  if (!run) throw new AppError('CC_NOT_FOUND', { what: `${year} 年度的指标计算结果 / computed results for ${year}` })
  const defs = (await definitions(knex, city, year)).filter((d) => d.kind === 'coverage' || d.kind === 'life_circle')
  const a = await readRunArrays(knex, run.id, [
    'residents',
    'residential',
    'area',
    ...defs.map((d) => `covered:${d.code}`),
  ])
  if (!a.area)
    throw new AppError('CC_NOT_FOUND', {
      what: '小区归属（请重新计算指标）/ 小区 membership (recompute the indicators)',
    })
  const areas = (run.derived?.areas ?? []) as { code: string; name: string; community: string | null }[]
  const residents = new Float32Array(
    a.residents.buffer.slice(a.residents.byteOffset, a.residents.byteOffset + a.residents.byteLength),
  )
  const area = new Int32Array(a.area.buffer.slice(a.area.byteOffset, a.area.byteOffset + a.area.byteLength))
  const total = new Float64Array(areas.length)
  const gap = defs.map(() => new Float64Array(areas.length))
  for (let i = 0; i < residents.length; i++) {
    if (area[i] < 0 || !unpackBit(a.residential, i)) continue
    total[area[i]] += residents[i]
    defs.forEach((d, k) => {
      const c = a[`covered:${d.code}`]
      if (c && !unpackBit(c, i)) gap[k][area[i]] += residents[i]
    })
  }
  return areas
    .map((ar, j) => {
      const shares = defs.map((d, k) => ({
        code: d.code,
        zh: d.zh,
        share: total[j] > 0 ? gap[k][j] / total[j] : 0,
        w: weightOf(d.code, d.dimension) * (d.type === '底线' ? baseline : 1),
      }))
      const score = shares.reduce((s, x) => s + x.w * x.share, 0)
      return {
        code: ar.code,
        name: ar.name,
        community: ar.community,
        residents: Math.round(total[j]),
        score,
        worst: shares
          .filter((x) => x.share > 0)
          .sort((x, y) => y.w * y.share - x.w * x.share)
          .slice(0, 5)
          .map((x) => ({ indicator: x.zh, uncoveredShare: Math.round(x.share * 1000) / 10 })),
      }
    })
    .filter((x) => x.residents > 0)
    .sort((x, y) => y.score - x.score)
    .map((x, i) => ({ rank: i + 1, level, ...x, score: Math.round(x.score * 100) / 100 }))
}
