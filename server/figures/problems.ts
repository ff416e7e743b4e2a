// Reported indicators that miss their target join the 问题清单: an accepted department figure below
// (or above) its target is a problem of that unit like any computed one, graded by the same rule,
// with a 整治建议 naming the department that answers for it. Only accepted figures count: a draft or
// a figure awaiting review is not yet the city's number.
import type { Knex } from 'knex'
import type { IndicatorDef } from '../indicators/registry.ts'
import { SEVERITY_EN, grade } from '../problems/grade.ts'
import { distanceToTarget } from '../problems/effect.ts'
import { acceptedFigures, systemFor, unitsFor } from './store.ts'
import { type FigureLevel, type SystemEntry, isReported } from './system.ts'

const LEVEL_ZH: Record<string, string> = { city: '全市', district: '区县', street: '街道', community: '社区' }

const targetText = (t: SystemEntry['target']) =>
  !t ? '' : t.direction === 'between' ? `${t.min}–${t.max}` : `${t.direction === '<=' ? '≤' : '≥'}${t.value}`

/** The 问题清单 rows from accepted figures that miss their targets (one per indicator × unit). */
export async function figureProblems(knex: Knex, city: string, year: number) {
  const system = (await systemFor(knex, city, year)).filter((e) => isReported(e) && e.target)
  if (!system.length) return []
  const figures = await acceptedFigures(knex, city, year)
  // Most calls find none: nothing else to read then (this runs on every 问题清单 request).
  if (!figures.size) return []
  const before = await acceptedFigures(knex, city, year - 1)
  const names = new Map<string, string>()
  const levels = new Set([...figures.values()].map((f) => f.level as FigureLevel))
  for (const level of levels)
    for (const u of await unitsFor(knex, city, year, level)) names.set(`${level}|${u.code}`, u.name)
  const out = []
  for (const e of system) {
    // The grading rule reads kind, target and type; a reported indicator is graded by its shortfall.
    const def = { kind: 'reported', target: e.target, type: e.type } as unknown as IndicatorDef
    for (const [key, f] of figures) {
      if (!key.startsWith(`${e.code}|`) || f.value === null) continue
      if (distanceToTarget(e.target, f.value) === 0) continue
      const g = grade(def, f.value)
      const p = before.get(key)?.value ?? null
      const unitName = names.get(`${f.level}|${f.unit_code}`) ?? f.unit_code
      const unit = e.unit === '%' ? '%' : e.unit
      out.push({
        id: `${e.code}:${f.level}:${f.unit_code}`,
        indicator: e.code,
        indicatorZh: e.zh,
        indicatorEn: e.en,
        dimension: e.dimension,
        type: e.type,
        unitOfMeasure: e.unit,
        variant: 'figure',
        level: f.level as string,
        unitCode: f.unit_code as string,
        unitName,
        parent: null,
        value: f.value as number,
        target: e.target?.value ?? null,
        band: e.target?.direction === 'between' ? ([e.target.min, e.target.max] as [number, number]) : null,
        shortfall: g.shortfall,
        severity: g.severity,
        severityEn: SEVERITY_EN[g.severity],
        score: g.score,
        suggestion:
          `${f.level === 'city' ? '全市' : `${LEVEL_ZH[f.level]}${unitName}`}${e.zh}为 ${f.value}${unit}，` +
          `未达到目标 ${targetText(e.target)}${unit === '%' ? '%' : ''}：建议${e.department}制定整改措施并在下一年度体检中复核。`,
        suggestionEn:
          `${f.level === 'city' ? 'City' : unitName}: ${e.en} is ${f.value}${unit === '%' ? '%' : ` ${unit}`}, ` +
          `short of ${targetText(e.target)}${unit === '%' ? '%' : ''}: ${e.department} to act and check again next year.`,
        previous: p,
        change: p !== null ? f.value - p : null,
        gapResidents: null,
        runId: null,
        links: {
          figure: `/api/cities/${city}/years/${year}/figures/history?indicator=${e.code}&level=${f.level}&unit=${encodeURIComponent(f.unit_code)}`,
        },
        department: e.department,
      })
    }
  }
  return out.sort((a, b) => b.score - a.score)
}

/** Is this id an accepted figure that misses its target? (for status changes on such a problem) */
export async function isFigureProblem(knex: Knex, city: string, year: number, id: string): Promise<boolean> {
  return (await figureProblems(knex, city, year)).some((p) => p.id === id)
}
