// How far a unit is from its target decides the severity of a problem; 底线 misses rank above 导向.
import type { IndicatorDef } from '../indicators/registry.ts'
import type { ResultRow } from '../indicators/compute.ts'

export type Severity = '严重' | '较重' | '一般'
export const SEVERITY_EN: Record<Severity, string> = { 严重: 'severe', 较重: 'serious', 一般: 'minor' }
const ORDER: Severity[] = ['一般', '较重', '严重']

/** Relative shortfall from the target: 0 = on target, 1 = as far as it can be (e.g. 0% coverage). */
export function shortfall(def: IndicatorDef, value: number): number {
  const t = def.target
  if (!t) return 0
  if (t.direction === '>=') return t.value! > 0 ? Math.max(0, (t.value! - value) / t.value!) : 0
  if (t.direction === '<=') return Math.max(0, (value - t.value!) / Math.max(1, Math.abs(t.value!)))
  if (value < t.min!) return t.min! > 0 ? (t.min! - value) / t.min! : 1
  return value > t.max! ? (value - t.max!) / t.max! : 0
}

/**
 * Severity: shortfall ≥ 30% 严重, ≥ 10% 较重, otherwise 一般; a 底线 miss is one grade worse.
 * score orders the list: 底线 first (+1), then by shortfall (capped at 1).
 */
export function grade(
  def: IndicatorDef,
  value: number,
  of?: { numerator: number | null; denominator: number | null },
): { severity: Severity; score: number; shortfall: number } {
  if (COUNTS.has(def.kind) && of?.denominator) return gradeShare(def, (of.numerator ?? 0) / of.denominator)
  const s = shortfall(def, value)
  let g = s >= 0.3 ? 2 : s >= 0.1 ? 1 : 0
  if (def.type === '底线') g = Math.min(2, g + 1)
  // A count over its limit can exceed 100% shortfall; cap it so it cannot outrank 底线 misses.
  return { severity: ORDER[g], score: (def.type === '底线' ? 1 : 0) + Math.min(1, s), shortfall: s }
}

/** Counts of buildings or 小区 with a problem: graded by their share of those inspected (counted). */
const COUNTS = new Set(['inspection_count', 'area_facility', 'area_activity_site'])

/**
 * Share of the inspected (or counted) buildings or 小区 found with the problem: ≥ 5% 严重, ≥ 3% 较重,
 * else 一般 — one practitioner's ranking of 社区 by their share of problem points
 * (../shared/reference/indicators.md §3, [R11]; not a national rule). 底线 is one grade worse.
 */
export function gradeShare(def: IndicatorDef, share: number): { severity: Severity; score: number; shortfall: number } {
  let g = share >= 0.05 ? 2 : share >= 0.03 ? 1 : 0
  if (def.type === '底线') g = Math.min(2, g + 1)
  return { severity: ORDER[g], score: (def.type === '底线' ? 1 : 0) + Math.min(1, share * 10), shortfall: share }
}

const fmt = (v: unknown) =>
  typeof v === 'number'
    ? Number.isInteger(v)
      ? String(v)
      : v.toFixed(1)
    : Array.isArray(v)
      ? v.join('、')
      : String(v ?? '')

/** The 整治建议 for one failing result, from the indicator's template. */
export function suggestionFor(def: IndicatorDef, r: ResultRow): string {
  const facility = def.params.facilityTypes?.join('/') ?? ''
  const target = def.target?.direction === 'between' ? `${def.target.min}–${def.target.max}` : def.target?.value
  const vars: Record<string, unknown> = {
    unit: r.unit_name,
    name: def.zh,
    value: r.value,
    target,
    radius: def.params.radius,
    facility,
    ...r.extra,
  }
  return def.suggestion.replace(/\{(\w+)\}/g, (_, k) => fmt(vars[k]))
}
