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

// The 整治建议 in English, by indicator (where its template is its own) or by kind: the same facts as the
// Chinese template, so the English pages read whole. Unit names stay as the data has them.
const SUGGESTION_EN_BY_CODE: Record<string, string> = {
  green_300m:
    '{unit}: {gapResidents} residents have no green space of 400 m² or more within 300 m: add pocket parks on leftover or cleared land.',
  park_500m:
    '{unit}: {gapResidents} residents have no park of 1 ha or more within 500 m: build a community park on land freed by renewal.',
  park_service_coverage:
    '{unit}: park service coverage {value}% (target {target}%): add community parks or gardens of 2,000 m² or more.',
}
const SUGGESTION_EN_BY_KIND: Record<string, string> = {
  coverage:
    '{unit}: {gapResidents} residents ({gapBuildings} homes) live more than {radius} m from {facilityEn}: add one in existing buildings, on vacant land or in a renewal project, where uncovered homes cluster.',
  life_circle: '{unit}: {gapResidents} residents do not reach this life-circle tier; missing: {missing}.',
  complete_community: '{unit} lacks {missing}: complete it to the Complete Residential Community standard.',
  park_per_capita: '{unit}: {value} m² of park per resident (target {target} m²): add park space through renewal.',
  jobs_housing:
    '{unit}: jobs–housing ratio {value} (balanced {target}): too few jobs calls for employment, too many for housing.',
  jobs_housing_radius: '{unit}: jobs–housing ratio within 5 km {value} (balanced {target}).',
  commute_share: '{unit}: {value}% of commutes within 5 km (reference {target}%): encourage jobs near homes.',
  tall_new_residential: '{unit}: {value} residential buildings over 80 m built since 2021: to be strictly controlled.',
  inspection_count:
    '{unit}: {value} with findings among {inspected} inspected ({nameEn}): keep a ledger per building or area and put them into renewal projects.',
  area_facility:
    '{unit}: {value} residential areas fall short ({nameEn}): add the facility with the area’s renewal or share a nearby one.',
  area_activity_site:
    '{unit}: {value} residential areas lack a public activity site: use leftover or cleared land for pocket parks and fitness grounds.',
  school_seats: '{unit}: an estimated {value} school seats short: build or extend schools, or redraw school districts.',
}

/** The 整治建议 in English for one failing result (see above). */
export function suggestionEnFor(def: IndicatorDef, r: ResultRow): string {
  const tpl = SUGGESTION_EN_BY_CODE[def.code] ?? SUGGESTION_EN_BY_KIND[def.kind]
  const target = def.target?.direction === 'between' ? `${def.target.min}–${def.target.max}` : def.target?.value
  if (!tpl) return `${r.unit_name}: ${def.en} is ${fmt(r.value)} (target ${fmt(target)}).`
  const vars: Record<string, unknown> = {
    unit: r.unit_name,
    nameEn: def.en,
    value: r.value,
    target,
    radius: def.params.radius,
    facilityEn: def.en.replace(/ coverage.*$/i, '').toLowerCase(),
    ...r.extra,
  }
  // `missing` lists the items' Chinese names (as stored with the result): named in English here.
  if (Array.isArray(vars.missing)) {
    const en = new Map((def.params.items ?? []).map((it) => [it.zh, it.en ?? it.zh]))
    vars.missing = (vars.missing as string[]).map((zh) => en.get(zh) ?? zh).join(', ')
  }
  return tpl.replace(/\{(\w+)\}/g, (_, k) => fmt(vars[k]))
}
