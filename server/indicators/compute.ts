// Every indicator of the registry, for the city, each district (区/县), each 街道 and each 社区,
// from a CityModel. A district's sums are its 街道's (a building outside every 街道 counts for the
// city only, as it always did).
// Pure: no database. Each result says its variant (denominator), value, numerator, denominator,
// target and status.
import Flatbush from 'flatbush'
import { markCovered, RADIUS_TOLERANCE_M } from './coverage.ts'
import { DiscSums, pointInMultiPolygon, polygonPolygonDistance, pointPolygonDistance } from './geom.ts'
import { type CityModel, type Unit, hasNetwork } from './model.ts'
import type { IndicatorDef, Target, Variant } from './registry.ts'
import { areaShortfallRows, inspectionCountRows, schoolSeatRows } from '../inspections/compute.ts'
import { asNetworkSets } from '../network/indicators.ts'
import { networkFlags } from '../network/flags.ts'
import { sitesFor } from './sites.ts'

export type Level = 'city' | 'district' | 'street' | 'community' | 'area'
export const LEVELS: Level[] = ['city', 'district', 'street', 'community', 'area']
export type Status = 'pass' | 'fail' | 'info' | 'no-data'

export interface ResultRow {
  indicator: string
  variant: Variant
  level: Level
  unit_code: string
  unit_name: string
  value: number | null
  numerator: number | null
  denominator: number | null
  target: number | null
  status: Status
  extra: Record<string, unknown>
}

export interface ComputeOutput {
  rows: ResultRow[]
  /** building-level coverage per indicator (for gap queries), 1 = covered */
  covered: Map<string, Uint8Array>
  /** what this computation found missing (no-data reasons), beside the model's own warnings */
  warnings: string[]
}

export const CITY = 'city'

/** The reason a value is missing when nothing more specific is known: the denominator is zero. */
const NO_VALUE: NoData = {
  zh: '本单元没有可计算的对象（分母为 0）',
  en: 'nothing to compute on in this unit (the denominator is 0)',
}

export function statusOf(value: number | null, t: Target | undefined): Status {
  if (value === null || !Number.isFinite(value)) return 'no-data'
  if (!t) return 'info'
  const eps = 1e-9
  if (t.direction === '>=') return value >= t.value! - eps ? 'pass' : 'fail'
  if (t.direction === '<=') return value <= t.value! + eps ? 'pass' : 'fail'
  return value >= t.min! - eps && value <= t.max! + eps ? 'pass' : 'fail'
}

const targetValue = (t: Target | undefined) => (t ? (t.direction === 'between' ? null : t.value!) : null)

/** Per-level accumulators: index 0..n-1 for units, plus one slot for the city. */
export class Sums {
  district: Float64Array
  street: Float64Array
  community: Float64Array
  area: Float64Array
  city = 0
  private streetDistrict: Int32Array
  constructor(m: CityModel) {
    this.district = new Float64Array(m.districts.length)
    this.street = new Float64Array(m.streets.length)
    this.community = new Float64Array(m.communities.length)
    this.area = new Float64Array(m.areas.length)
    this.streetDistrict = m.streetDistrict
  }
  add(street: number, community: number, v: number, area = -1) {
    this.city += v
    if (street >= 0) {
      this.street[street] += v
      const d = this.streetDistrict[street]
      if (d >= 0) this.district[d] += v
    }
    if (community >= 0) this.community[community] += v
    if (area >= 0) this.area[area] += v
  }
  get(level: Level, i: number) {
    return level === 'city'
      ? this.city
      : level === 'district'
        ? this.district[i]
        : level === 'street'
          ? this.street[i]
          : level === 'area'
            ? this.area[i]
            : this.community[i]
  }
}

/** Why an indicator has no value, in both languages: stored in `extra.noData` and shown as such. */
export interface NoData {
  zh: string
  en: string
}

/** Whether 社区 `ci` lies in unit `i` of `level` (through its 街道 and that 街道's district). */
function communityIn(m: CityModel, level: Level, i: number, ci: number): boolean {
  if (level === 'city') return true
  if (level === 'community') return ci === i
  const st = m.communities[ci].street
  if (level === 'street') return st === i
  return st >= 0 && m.streetDistrict[st] === i
}
const unitCode = (u: Unit | null) => (u ? u.code : CITY)
const unitName = (u: Unit | null) => (u ? u.name : '全市')

/** A result's `extra` as stored: with why there is no value, and the target's band where it has one. */
function finalExtra(def: IndicatorDef, v: number | null, extra: Record<string, unknown>): Record<string, unknown> {
  // (Object.assign, not `{ ...extra, k: v }`: V8 makes a spread followed by properties ~10× slower,
  // and a run makes a million of them)
  if (v === null && !extra.noData) extra = Object.assign({}, extra, { noData: NO_VALUE })
  return def.target?.direction === 'between'
    ? Object.assign({}, extra, { band: [def.target.min, def.target.max] })
    : extra
}

/**
 * One indicator's results at one level under one variant, by column, as the store keeps them (one row
 * of indicator_result_sets). Every indicator makes these: made as a million row objects a run, then
 * grouped into sets and encoded field by field, results were ~1.2 s of a 1M run's main thread for the
 * coverage half alone (README: design notes). `rowsOfSets` gives them as rows where rows are wanted.
 */
export interface ColumnSet {
  indicator: string
  variant: Variant
  level: Level
  units: LevelUnits
  /** NaN: no value (stored as NULL, as a row's null) */
  value: Float64Array
  numerator: Float64Array
  denominator: Float64Array
  target: number | null
  status: Status[]
  extra: Record<string, unknown>[]
}

/** A level's units in the model's order, with their codes and names: made once per model and level. */
export interface LevelUnits {
  level: Level
  units: (Unit | null)[]
  codes: string[]
  names: string[]
}
const levelsByModel = new WeakMap<CityModel, { base: LevelUnits[]; withAreas: LevelUnits[] }>()

/** The units results are reported for: the city, each 区, 街道 and 社区, and with `withAreas` each 小区. */
export function levelUnits(m: CityModel, withAreas = false): LevelUnits[] {
  let hit = levelsByModel.get(m)
  if (!hit) {
    const of = (level: Level, us: (Unit | null)[]): LevelUnits => ({
      level,
      units: us,
      codes: us.map(unitCode),
      names: us.map(unitName),
    })
    const base = [
      of('city', [null]),
      of('district', m.districts),
      of('street', m.streets),
      of('community', m.communities),
    ]
    hit = { base, withAreas: [...base, of('area', m.areas)] }
    levelsByModel.set(m, hit)
  }
  return withAreas ? hit.withAreas : hit.base
}

/** One unit's result: numerator, denominator, value (null: none) and extra. */
export type UnitResult = [number | null, number | null, number | null, Record<string, unknown>]

/**
 * An indicator's results under one variant as column sets, one per level: `unit` gives each unit's
 * numerator, denominator, value and extra; a non-finite value is none, and the status and the stored
 * extra (with why there is no value) follow from it.
 */
export function columnsOf(
  m: CityModel,
  def: IndicatorDef,
  variant: Variant,
  withAreas: boolean,
  unit: (level: Level, i: number, u: Unit | null) => UnitResult,
): ColumnSet[] {
  const target = targetValue(def.target)
  const out: ColumnSet[] = []
  for (const lu of levelUnits(m, withAreas)) {
    const n = lu.codes.length
    if (!n) continue
    const set: ColumnSet = {
      indicator: def.code,
      variant,
      level: lu.level,
      units: lu,
      value: new Float64Array(n),
      numerator: new Float64Array(n),
      denominator: new Float64Array(n),
      target,
      status: new Array<Status>(n),
      extra: new Array<Record<string, unknown>>(n),
    }
    for (let i = 0; i < n; i++) {
      // (by index, not destructured: destructuring went through the array iterator, an object a unit)
      const r = unit(lu.level, i, lu.units[i])
      const num = r[0],
        den = r[1],
        value = r[2],
        extra = r[3]
      const v = value === null || !Number.isFinite(value) ? null : value
      set.value[i] = v === null ? Number.NaN : v
      set.numerator[i] = num === null ? Number.NaN : num
      set.denominator[i] = den === null ? Number.NaN : den
      set.status[i] = statusOf(v, def.target)
      set.extra[i] = finalExtra(def, v, extra)
    }
    out.push(set)
  }
  return out
}

/**
 * The rows of column sets (for computeAll and what-if): unit by unit through each level, each unit's
 * variants in the order of the sets.
 */
export function rowsOfSets(sets: ColumnSet[]): ResultRow[] {
  const out: ResultRow[] = []
  const byLevel = new Map<Level, ColumnSet[]>()
  for (const c of sets) {
    const l = byLevel.get(c.level)
    if (l) l.push(c)
    else byLevel.set(c.level, [c])
  }
  const num = (x: number) => (Number.isFinite(x) ? x : null)
  for (const [level, group] of byLevel)
    for (let i = 0; i < group[0].units.codes.length; i++)
      for (const c of group)
        out.push({
          indicator: c.indicator,
          variant: c.variant,
          level,
          unit_code: c.units.codes[i],
          unit_name: c.units.names[i],
          value: num(c.value[i]),
          numerator: num(c.numerator[i]),
          denominator: num(c.denominator[i]),
          target: c.target,
          status: c.status[i],
          extra: c.extra[i],
        })
  return out
}

/** Buildings (and 小区) covered by an indicator's sites: bands are OR-ed. */
function coverageFlags(
  m: CityModel,
  def: IndicatorDef,
  cache: Map<string, { b: Uint8Array; a: Uint8Array; sites: number }>,
) {
  const p = def.params
  const bands = p.bands ?? [{ minArea: p.minArea ?? 0, radius: p.radius!, maxArea: undefined as number | undefined }]
  const key = JSON.stringify([p.facilityTypes, p.greenKinds, bands])
  const hit = cache.get(key)
  if (hit) return hit
  const b = new Uint8Array(m.b.n),
    a = new Uint8Array(m.areas.length)
  let sites = 0
  for (const band of bands) {
    const s = sitesFor(m, {
      facilityTypes: p.facilityTypes,
      greenKinds: p.greenKinds,
      minArea: band.minArea,
      maxArea: band.maxArea,
    })
    sites += s.length
    markCovered(m.residentialPoints, s, band.radius, b)
    markCovered(m.areaPoints, s, band.radius, a)
  }
  const out = { b, a, sites }
  cache.set(key, out)
  return out
}

function itemFlags(
  m: CityModel,
  item: { types: string[]; radius: number; minArea?: number },
  cache: Map<string, Uint8Array>,
  coverage: Map<string, { b: Uint8Array }>,
): Uint8Array {
  const key = JSON.stringify([item.types, item.radius, item.minArea])
  // A coverage indicator of the same sites and radius has marked these homes already (the life circles'
  // kindergarten, service station, … are the coverage indicators' own): its key as coverageFlags makes it.
  let f =
    cache.get(key) ??
    coverage.get(JSON.stringify([item.types, null, [{ minArea: item.minArea ?? 0, radius: item.radius }]]))?.b
  if (!f) {
    f = new Uint8Array(m.b.n)
    markCovered(m.residentialPoints, sitesFor(m, { types: item.types, minArea: item.minArea }), item.radius, f)
    cache.set(key, f)
  }
  return f
}

/**
 * The residential buildings grouped by their (街道, 社区) pair: a cell. A unit's sum over homes is its
 * cells' sums, so an indicator's per-home loop adds to one cell instead of a unit at every level
 * (city, 区, 街道, 社区: twelve adds a home for coverageSets' three sums, ~60 times a run — 1.6 s of
 * the main thread at a million buildings in a CPU profile; a few thousand cells at city scale).
 */
export interface Cells {
  n: number
  /** the cell of each residential home, in the order of m.residentialPoints */
  of: Int32Array
  street: Int32Array
  community: Int32Array
}
const cellsByModel = new WeakMap<CityModel, Cells>()
export function residentialCells(m: CityModel): Cells {
  let hit = cellsByModel.get(m)
  if (hit) return hit
  const ids = m.residentialPoints.ids
  const of = new Int32Array(ids.length)
  const street: number[] = [],
    community: number[] = []
  // (street, community) as one number: both are −1 or a unit index, so +1 keeps them non-negative. Its
  // cell looked up in a table of every pair where that fits in 4M entries (a Map look-up per home was
  // ~0.2 s at 3M homes), else in a Map; cells are numbered in the order their first home comes either way.
  const width = m.communities.length + 1
  const pairs = (m.streets.length + 1) * width
  const table = pairs <= 1 << 22 ? new Int32Array(pairs).fill(-1) : null
  const index = table ? null : new Map<number, number>()
  for (let k = 0; k < ids.length; k++) {
    const st = m.b.street[ids[k]],
      cm = m.b.community[ids[k]]
    const key = (st + 1) * width + (cm + 1)
    let c = table ? table[key] : (index!.get(key) ?? -1)
    if (c < 0) {
      c = street.length
      if (table) table[key] = c
      else index!.set(key, c)
      street.push(st)
      community.push(cm)
    }
    of[k] = c
  }
  hit = { n: street.length, of, street: Int32Array.from(street), community: Int32Array.from(community) }
  cellsByModel.set(m, hit)
  return hit
}

/** Per-cell values summed into every unit (each unit's cells in cell order). */
export function foldCells(m: CityModel, cells: Cells, values: Float64Array): Sums {
  const out = new Sums(m)
  for (let c = 0; c < cells.n; c++) out.add(cells.street[c], cells.community[c], values[c])
  return out
}

/** Residential footprint and residents per unit (the coverage denominators). */
// Summed once per model through the cells, as the numerators are, so that a unit whose homes are all
// covered has numerator and denominator equal to the last bit (100 %, not 99.999…).
const denominators = new WeakMap<CityModel, { area: Sums; residents: Sums }>()
function coverageDenominators(m: CityModel) {
  let hit = denominators.get(m)
  if (hit) return hit
  const B = m.b
  const cells = residentialCells(m)
  const ids = m.residentialPoints.ids
  const area = new Float64Array(cells.n),
    residents = new Float64Array(cells.n)
  for (let k = 0; k < ids.length; k++) {
    area[cells.of[k]] += B.footprint[ids[k]]
    residents[cells.of[k]] += B.residents[ids[k]]
  }
  hit = { area: foldCells(m, cells, area), residents: foldCells(m, cells, residents) }
  denominators.set(m, hit)
  return hit
}

/**
 * Into each cell: the covered homes' footprint and residents, and the count of homes not covered. The
 * homes' footprints and residents are read in their own order (copied once per model); where every one
 * is finite, a home adds its values times its flag (x + 0 is x) instead of branching on a flag that
 * covers 30–90 % of homes in no order a branch predictor learns: ~40 calls a run over 900,000 homes.
 */
function coveredCellSums(m: CityModel, b: Uint8Array, cA: Float64Array, cR: Float64Array, cG: Float64Array): void {
  const { of } = residentialCells(m)
  const { ids, footprint, residents, finite } = homeValues(m)
  if (finite) {
    // A cell's sums are held in locals while its homes come one after another (as they mostly do),
    // stored when the cell changes: the same additions in the same order, without each waiting for
    // the last one's store to the array.
    let c = -1,
      sa = 0,
      sr = 0,
      sg = 0
    for (let k = 0; k < ids.length; k++) {
      const ck = of[k]
      if (ck !== c) {
        if (c >= 0) {
          cA[c] = sa
          cR[c] = sr
          cG[c] = sg
        }
        c = ck
        sa = cA[c]
        sr = cR[c]
        sg = cG[c]
      }
      const f = b[ids[k]]
      sa += f * footprint[k]
      sr += f * residents[k]
      sg += 1 - f
    }
    if (c >= 0) {
      cA[c] = sa
      cR[c] = sr
      cG[c] = sg
    }
  } else
    for (let k = 0; k < ids.length; k++) {
      const c = of[k]
      if (b[ids[k]]) {
        cA[c] += footprint[k]
        cR[c] += residents[k]
      } else cG[c]++
    }
}

/** Each home's footprint and residents in the order of m.residentialPoints, and whether all are finite. */
const homesByModel = new WeakMap<
  CityModel,
  { ids: Int32Array; footprint: Float64Array; residents: Float64Array; finite: boolean }
>()
function homeValues(m: CityModel) {
  let hit = homesByModel.get(m)
  if (hit) return hit
  const ids = m.residentialPoints.ids
  const footprint = new Float64Array(ids.length),
    residents = new Float64Array(ids.length)
  let finite = true
  for (let k = 0; k < ids.length; k++) {
    footprint[k] = m.b.footprint[ids[k]]
    residents[k] = m.b.residents[ids[k]]
    if (!Number.isFinite(footprint[k]) || !Number.isFinite(residents[k])) finite = false
  }
  hit = { ids, footprint, residents, finite }
  homesByModel.set(m, hit)
  return hit
}

/** Residential footprint, residents and 小区 counts, covered and in total, per unit: a set per variant and level. */
export function coverageSets(m: CityModel, def: IndicatorDef, b: Uint8Array, a: Uint8Array | null): ColumnSet[] {
  const { area: denA, residents: denR } = coverageDenominators(m)
  const cells = residentialCells(m)
  const cA = new Float64Array(cells.n),
    cR = new Float64Array(cells.n),
    cG = new Float64Array(cells.n)
  coveredCellSums(m, b, cA, cR, cG)
  const numA = foldCells(m, cells, cA),
    numR = foldCells(m, cells, cR),
    gapB = foldCells(m, cells, cG)
  const denX = new Sums(m),
    numX = new Sums(m)
  if (a)
    m.areas.forEach((ar, k) => {
      denX.add(ar.street, ar.parent, 1)
      if (a[k]) numX.add(ar.street, ar.parent, 1)
    })
  // Radius and sites are the indicator's, not the unit's: they live in the run's definitions. One
  // object a unit, shared by its variants (unless one adds to it).
  const extras = new Map<Level, Record<string, unknown>[]>()
  const extraOf = (level: Level, i: number) => {
    let e = extras.get(level)
    if (!e) extras.set(level, (e = []))
    e[i] ??= { gapResidents: Math.round(denR.get(level, i) - numR.get(level, i)), gapBuildings: gapB.get(level, i) }
    return e[i]
  }
  const variant = (v: Variant, num: Sums, den: Sums) =>
    columnsOf(m, def, v, false, (level, i) => {
      const nu = num.get(level, i),
        de = den.get(level, i)
      return [nu, de, de > 0 ? (100 * nu) / de : null, extraOf(level, i)]
    })
  return [
    ...variant('area', numA, denA),
    ...variant('residents', numR, denR),
    ...(a ? variant('areas', numX, denX) : []),
  ]
}

function unitPopulation(m: CityModel, residents: Sums): (level: Level, i: number) => number {
  const allStreetsDeclare = m.streets.length > 0 && m.streets.every((s) => s.population != null)
  return (level, i) => {
    if (level === 'city') return allStreetsDeclare ? m.streets.reduce((a, s) => a + s.population!, 0) : residents.city
    const u = level === 'district' ? m.districts[i] : level === 'street' ? m.streets[i] : m.communities[i]
    return u.population ?? residents.get(level, i)
  }
}

export function computeAll(
  m: CityModel,
  defs: IndicatorDef[],
  onProgress?: (p: number, msg: string) => void,
): ComputeOutput {
  const rows: ResultRow[] = []
  const steps = computeSteps(m, defs, onProgress)
  for (;;) {
    const s = steps.next()
    if (s.done) return { rows, ...s.value }
    for (const r of rowsOfSets(s.value)) rows.push(r)
  }
}

/** Homes and 小区 within reach of an indicator's sites, and how many sites there were. */
export type NetworkFlags = { b: Uint8Array; a: Uint8Array; sites: number }

/** Yielded (empty) by computeSteps with deferNetwork before the first walking-network part. */
export const NETWORK_NEXT: ColumnSet[] = Object.freeze([]) as unknown as ColumnSet[]

/**
 * The walking-network flags an indicator asks for: its sites and radius bands (one request for a
 * coverage indicator, one per item for the life circles and 完整社区).
 */
export function networkRequests(def: IndicatorDef): {
  p: IndicatorDef['params'] & { types?: string[] }
  bands: { minArea: number; maxArea?: number; radius: number }[]
}[] {
  const p = def.params
  if (def.kind === 'coverage') return [{ p, bands: p.bands ?? [{ minArea: p.minArea ?? 0, radius: p.radius! }] }]
  if (def.kind === 'life_circle' || def.kind === 'complete_community')
    return p.items!.map((it) => ({ p: { types: it.types }, bands: [{ minArea: it.minArea ?? 0, radius: it.radius }] }))
  return []
}

/**
 * The indicators one at a time: yields each indicator's sets as soon as they are computed (so a run
 * can send them to the database while the next is computed), returns the flags and warnings.
 */
export function* computeSteps(
  m: CityModel,
  defs: IndicatorDef[],
  onProgress?: (p: number, msg: string) => void,
  opts: {
    /**
     * Walking-network parts after every straight-line part, announced by yielding NETWORK_NEXT: the
     * caller can have their flags computed elsewhere meanwhile and put them in `netCache`.
     */
    deferNetwork?: boolean
    netCache?: Map<string, NetworkFlags>
    /** Filled with each indicator's building coverage as it is computed (else a map of its own). */
    covered?: Map<string, Uint8Array>
  } = {},
): Generator<ColumnSet[], Omit<ComputeOutput, 'rows'>> {
  let sets: ColumnSet[] = []
  const covered = opts.covered ?? new Map<string, Uint8Array>()
  // Indicators append their no-data warnings to m.warnings; they are taken back out at the end, so a
  // model kept in memory for the next run does not collect them run after run.
  const ownWarnings = m.warnings.length
  const netCache = opts.netCache ?? new Map<string, NetworkFlags>()
  const later: (() => void)[] = []
  const walking = (part: () => void) => (opts.deferNetwork ? later.push(part) : part())
  // No-data results under the straight-line model and, where there is a network, the walking one (one
  // warning); the walking ones count each unit's homes off the network, so they wait for it too.
  const noDataBoth = (def: IndicatorDef, variants: Variant[], reason: NoData) => {
    const straight = noDataSets(m, def, variants, reason)
    sets.push(...straight)
    if (hasNetwork(m)) walking(() => sets.push(...asNetworkSets(m, straight)))
  }
  const cache = new Map<string, { b: Uint8Array; a: Uint8Array; sites: number }>()
  const items = new Map<string, Uint8Array>()
  const B = m.b
  const residents = residentSums(m)
  const pop = unitPopulation(m, residents)

  for (const [k, def] of defs.entries()) {
    if (sets.length) yield sets
    sets = []
    onProgress?.(k / defs.length, def.code)
    const p = def.params
    switch (def.kind) {
      case 'coverage': {
        const f = coverageFlags(m, def, cache)
        if (!f.sites) {
          noDataBoth(def, ['area', 'residents', 'areas'], absent(sitesLabel(def.params)))
          break
        }
        covered.set(def.code, f.b)
        sets.push(...coverageSets(m, def, f.b, f.a))
        if (hasNetwork(m))
          walking(() => {
            const [{ p: np, bands }] = networkRequests(def)
            const n = networkFlags(m, np, bands, netCache)
            covered.set(`${def.code}@network`, n.b)
            sets.push(...asNetworkSets(m, coverageSets(m, def, n.b, n.a)))
          })
        break
      }
      case 'life_circle': {
        const none = p.items!.filter((it) => !sitesFor(m, { types: it.types, minArea: it.minArea }).length)
        if (none.length) {
          noDataBoth(def, ['area', 'residents'], absent(none.map((it) => it.zh).join('、')))
          break
        }
        const { all, short } = lifeCircleFlags(
          m,
          def,
          p.items!.map((it) => itemFlags(m, it, items, cache)),
        )
        covered.set(def.code, all)
        const cs = coverageSets(m, def, all, null)
        for (const c of cs)
          c.extra = c.extra.map((e, i) =>
            Object.assign({}, e, { missing: short.get(`${c.level}|${c.units.codes[i]}`) ?? [] }),
          )
        sets.push(...cs)
        if (hasNetwork(m))
          walking(() => {
            const walk = new Uint8Array(B.n).fill(1)
            for (const r of networkRequests(def)) {
              const f = networkFlags(m, r.p, r.bands, netCache).b
              for (let i = 0; i < B.n; i++) walk[i] &= f[i]
            }
            covered.set(`${def.code}@network`, walk)
            sets.push(...asNetworkSets(m, coverageSets(m, def, walk, null)))
          })
        break
      }
      case 'complete_community': {
        const its = p.items!
        const none = its.filter((it) => !sitesFor(m, { types: it.types, minArea: it.minArea }).length)
        if (none.length) {
          noDataBoth(def, ['value'], absent(none.map((it) => it.zh).join('、')))
          break
        }
        // Sites per item, indexed by bbox grown by the radius.
        const idx = its.map((it) => {
          const s = sitesFor(m, { types: it.types, minArea: it.minArea })
          if (!s.length) return { s, fb: null as Flatbush | null }
          const fb = new Flatbush(s.length)
          for (const x of s) {
            const bb = x.bbox ?? [x.x, x.y, x.x, x.y]
            fb.add(bb[0] - it.radius, bb[1] - it.radius, bb[2] + it.radius, bb[3] + it.radius)
          }
          fb.finish()
          return { s, fb }
        })
        const missingBy: string[][] = m.communities.map((c) => {
          const missing: string[] = []
          its.forEach((it, j) => {
            const { s, fb } = idx[j]
            const r = it.radius + RADIUS_TOLERANCE_M
            const found = fb?.search(c.bbox[0], c.bbox[1], c.bbox[2], c.bbox[3]).some((k) => {
              const site = s[k]
              return (
                (site.geom
                  ? polygonPolygonDistance(site.geom, c.geom)
                  : pointPolygonDistance(site.x, site.y, c.geom)) <= r
              )
            })
            if (!found) missing.push(it.zh)
          })
          return missing
        })
        sets.push(...completeRows(m, def, missingBy))
        if (hasNetwork(m))
          walking(() => {
            // Walking: an item is there for a 社区 when one of its homes reaches it, or it stands inside the 社区.
            const cIndex = m.communities.length ? new Flatbush(m.communities.length) : null
            if (cIndex) {
              for (const c of m.communities) cIndex.add(c.bbox[0], c.bbox[1], c.bbox[2], c.bbox[3])
              cIndex.finish()
            }
            const requests = networkRequests(def)
            const present = its.map((it, j) => {
              const f = networkFlags(m, requests[j].p, requests[j].bands, netCache).b
              const has = new Uint8Array(m.communities.length)
              for (let i = 0; i < B.n; i++) if (f[i] && B.residential[i] && B.community[i] >= 0) has[B.community[i]] = 1
              for (const site of sitesFor(m, { types: it.types, minArea: it.minArea }))
                for (const ci of cIndex?.search(site.x, site.y, site.x, site.y) ?? [])
                  if (pointInMultiPolygon(site.x, site.y, m.communities[ci].geom)) has[ci] = 1
              return has
            })
            const walkMissing = m.communities.map((_, ci) => its.filter((_, j) => !present[j][ci]).map((it) => it.zh))
            sets.push(...asNetworkSets(m, completeRows(m, def, walkMissing)))
          })
        break
      }
      case 'park_per_capita': {
        if (m.versions['green-spaces'] == null) {
          sets.push(...noDataSets(m, def, ['value'], NO_LAYER('green-spaces', '绿地')))
          break
        }
        sets.push(...parkPerCapitaRows(m, def, pop))
        break
      }
      case 'jobs_housing':
        sets.push(...jobsHousingRows(m, def, pop))
        break
      case 'jobs_housing_radius':
        sets.push(...jobsHousingRadiusRows(m, def, residents))
        break
      case 'commute_share':
      case 'commute_distance':
        sets.push(...commuteRows(m, def))
        break
      case 'stock_share':
      case 'tall_new_residential':
        if (!knownYears(m)) {
          sets.push(...noDataSets(m, def, ['value'], NO_BUILT_YEAR))
          break
        }
        sets.push(...(def.kind === 'stock_share' ? stockShare(m, def) : tallNew(m, def)))
        break
      case 'inspection_count':
        sets.push(...inspectionCountRows(m, def))
        break
      case 'area_facility':
      case 'area_activity_site':
        sets.push(...areaShortfallRows(m, def))
        break
      case 'school_seats':
        sets.push(...schoolSeatRows(m, def))
        break
    }
  }
  if (sets.length) yield sets
  if (later.length) {
    yield NETWORK_NEXT
    for (const part of later) {
      sets = []
      part()
      if (sets.length) yield sets
    }
  }
  onProgress?.(1, 'done')
  return { covered, warnings: m.warnings.splice(ownWarnings) }
}

/** 人均公园绿地面积 per unit. */
function parkPerCapitaRows(m: CityModel, def: IndicatorDef, pop: (level: Level, i: number) => number): ColumnSet[] {
  return columnsOf(m, def, 'value', false, (level, i, u) => {
    const area =
      level === 'city'
        ? m.parkArea.city
        : level === 'district'
          ? m.parkArea.district[i]
          : level === 'street'
            ? m.parkArea.street[i]
            : m.parkArea.community[i]
    const d = pop(level, i)
    return [
      area,
      d,
      d > 0 ? area / d : null,
      {
        populationSource:
          u?.population != null || (level === 'city' && m.streets.every((s) => s.population != null))
            ? 'declared'
            : 'buildings',
      },
    ]
  })
}

/** 职住比 per unit: jobs over working residents. */
function jobsHousingRows(m: CityModel, def: IndicatorDef, pop: (level: Level, i: number) => number): ColumnSet[] {
  const p = def.params
  const jobs = new Sums(m)
  for (let j = 0; j < m.jobs.jobs.length; j++) jobs.add(m.jobs.street[j], m.jobs.community[j], m.jobs.jobs[j])
  const share = p.workerShare ?? m.settings.workerShare
  return columnsOf(m, def, 'value', false, (level, i) => {
    const d = pop(level, i) * share
    return [jobs.get(level, i), d, d > 0 && m.jobs.jobs.length ? jobs.get(level, i) / d : null, { workerShare: share }]
  })
}

/** 职住比 within a radius of each 社区, and its residents-weighted mean above. */
function jobsHousingRadiusRows(m: CityModel, def: IndicatorDef, residents: Sums): ColumnSet[] {
  const p = def.params
  const B = m.b
  const r = p.radius!
  const share = p.workerShare ?? m.settings.workerShare
  const ratio = new Float64Array(m.communities.length).fill(NaN)
  const nums = new Float64Array(m.communities.length),
    dens = new Float64Array(m.communities.length)
  const rp = m.residentialPoints
  const homeResidents = new Float64Array(rp.ids.length)
  for (let k = 0; k < rp.ids.length; k++) homeResidents[k] = B.residents[rp.ids[k]]
  const resGrid = new DiscSums(rp.x, rp.y, homeResidents, r / 20)
  const jobGrid = new DiscSums(m.jobs.x, m.jobs.y, m.jobs.jobs, r / 20)
  m.communities.forEach((c, ci) => {
    const j = jobGrid.sum(c.x, c.y, r)
    nums[ci] = j
    dens[ci] = resGrid.sum(c.x, c.y, r) * share
    if (dens[ci] > 0 && m.jobs.jobs.length) ratio[ci] = j / dens[ci]
  })
  return columnsOf(m, def, 'value', false, (level, i): UnitResult => {
    if (level === 'community')
      return [nums[i], dens[i], Number.isNaN(ratio[i]) ? null : ratio[i], { radius: r, workerShare: share }]
    // 街道, district and city: the mean of their 社区's ratios, weighted by residents.
    let sw = 0,
      sv = 0
    m.communities.forEach((_, ci) => {
      if (communityIn(m, level, i, ci) && !Number.isNaN(ratio[ci])) {
        const wgt = residents.community[ci]
        sw += wgt
        sv += wgt * ratio[ci]
      }
    })
    return [
      null,
      null,
      sw > 0 ? sv / sw : null,
      { radius: r, workerShare: share, aggregation: 'residents-weighted mean of 社区' },
    ]
  })
}

/** Commutes from each 社区: the share within the radius, or the mean distance. */
function commuteRows(m: CityModel, def: IndicatorDef): ColumnSet[] {
  const p = def.params
  const total = new Sums(m),
    near = new Sums(m),
    dist = new Sums(m)
  const C = m.commutes
  for (let k = 0; k < C.count.length; k++) {
    const ci = C.origin[k]
    if (ci < 0) continue
    const c = m.communities[ci]
    const d = Math.hypot(C.x[k] - c.x, C.y[k] - c.y)
    total.add(c.street, ci, C.count[k])
    if (d <= (p.radius ?? 5000) + RADIUS_TOLERANCE_M) near.add(c.street, ci, C.count[k])
    dist.add(c.street, ci, C.count[k] * d)
  }
  return columnsOf(m, def, 'value', false, (level, i) => {
    const t = total.get(level, i)
    if (def.kind === 'commute_share') return [near.get(level, i), t, t > 0 ? (100 * near.get(level, i)) / t : null, {}]
    return [dist.get(level, i) / 1000, t, t > 0 ? dist.get(level, i) / 1000 / t : null, {}]
  })
}

/** Residents per unit, of the residential buildings. */
function residentSums(m: CityModel): Sums {
  const B = m.b
  const residents = new Sums(m)
  for (let i = 0; i < B.n; i++) if (B.residential[i]) residents.add(B.street[i], B.community[i], B.residents[i])
  return residents
}

/**
 * A life circle's homes with every item in reach (the items' flags AND-ed), and which items fall short
 * in each unit. (Out of computeSteps, as the other per-building loops: a loop there had V8 compile the
 * whole generator again for each on-stack replacement, ~1 s of a cold run's compiler threads.)
 */
function lifeCircleFlags(m: CityModel, def: IndicatorDef, flags: Uint8Array[]) {
  const B = m.b
  const p = def.params
  const all = new Uint8Array(B.n).fill(1)
  for (const f of flags) for (let i = 0; i < B.n; i++) all[i] &= f[i]
  // Which items fall short in each unit (some resident out of reach), for the suggestion.
  const short = new Map<string, string[]>()
  // (found per cell of homes, then per unit: a loop over the homes, not all buildings, per item)
  const cells = residentialCells(m)
  const homes = m.residentialPoints.ids
  flags.forEach((f, j) => {
    const shortCell = new Uint8Array(cells.n)
    for (let k = 0; k < homes.length; k++) {
      const i = homes[k]
      if (!f[i] && B.residents[i] > 0) shortCell[cells.of[k]] = 1
    }
    const st = new Uint8Array(m.streets.length),
      cm = new Uint8Array(m.communities.length),
      ds = new Uint8Array(m.districts.length)
    let city = 0
    for (let c = 0; c < cells.n; c++) {
      if (!shortCell[c]) continue
      city = 1
      const street = cells.street[c]
      if (street >= 0) {
        st[street] = 1
        if (m.streetDistrict[street] >= 0) ds[m.streetDistrict[street]] = 1
      }
      if (cells.community[c] >= 0) cm[cells.community[c]] = 1
    }
    const add = (k: string) => short.set(k, [...(short.get(k) ?? []), p.items![j].zh])
    if (city) add(`city|${CITY}`)
    ds.forEach((v, i) => {
      if (v) add(`district|${m.districts[i].code}`)
    })
    st.forEach((v, i) => {
      if (v) add(`street|${m.streets[i].code}`)
    })
    cm.forEach((v, i) => {
      if (v) add(`community|${m.communities[i].code}`)
    })
  })
  return { all, short }
}

function stockShare(m: CityModel, def: IndicatorDef): ColumnSet[] {
  const B = m.b
  const p = def.params
  const num = new Sums(m),
    den = new Sums(m)
  for (let i = 0; i < B.n; i++) {
    if (!B.residential[i] || !B.builtYear[i]) continue
    den.add(B.street[i], B.community[i], B.floorArea[i])
    if (B.builtYear[i] < p.builtBefore!) num.add(B.street[i], B.community[i], B.floorArea[i])
  }
  return columnsOf(m, def, 'value', false, (level, i) => [
    num.get(level, i),
    den.get(level, i),
    den.get(level, i) > 0 ? (100 * num.get(level, i)) / den.get(level, i) : null,
    {},
  ])
}

function tallNew(m: CityModel, def: IndicatorDef): ColumnSet[] {
  const B = m.b
  const p = def.params
  const num = new Sums(m)
  for (let i = 0; i < B.n; i++) {
    if (!B.residential[i] || B.builtYear[i] < p.sinceYear!) continue
    const h = B.height[i] > 0 ? B.height[i] : B.floorsDefaulted[i] ? 0 : (B.floorArea[i] / B.footprint[i]) * 3
    if (h > p.minHeight!) num.add(B.street[i], B.community[i], 1)
  }
  return columnsOf(m, def, 'value', false, (level, i) => [num.get(level, i), null, num.get(level, i), {}])
}

/** 完整社区 rows from each 社区's missing items: the 社区's share of items, the mean over a larger unit. */
function completeRows(m: CityModel, def: IndicatorDef, missingBy: string[][]): ColumnSet[] {
  const n = def.params.items!.length
  const scores = missingBy.map((miss) => (100 * (n - miss.length)) / n)
  return columnsOf(m, def, 'value', false, (level, i): UnitResult => {
    const members =
      level === 'community'
        ? [i]
        : m.communities.map((_, ci) => (communityIn(m, level, i, ci) ? ci : -1)).filter((x) => x >= 0)
    const mean = members.length ? members.reduce((a, ci) => a + scores[ci], 0) / members.length : null
    const complete = members.filter((ci) => scores[ci] >= 100 - 1e-9).length
    const extra =
      level === 'community' ? { missing: missingBy[i], items: n } : { communities: members.length, complete }
    return [
      level === 'community' ? n - missingBy[i].length : complete,
      level === 'community' ? n : members.length,
      mean,
      extra,
    ]
  })
}

/** The same missing value for every unit (and variant) of an indicator, with the reason. */
export function noDataSets(
  m: CityModel,
  def: IndicatorDef,
  variants: Variant[],
  reason: NoData,
  withAreas = false,
): ColumnSet[] {
  const out: ColumnSet[] = []
  m.warnings.push(`${def.code}：${reason.zh} / ${reason.en}`)
  // One reason object for every unit: a store writes its JSON once for the lot (sets.ts extra_all).
  const extra = { noData: reason }
  const target = targetValue(def.target)
  for (const lu of levelUnits(m, withAreas)) {
    const n = lu.codes.length
    if (!n) continue
    for (const variant of variants) {
      const none = new Float64Array(n).fill(Number.NaN)
      out.push({
        indicator: def.code,
        variant,
        level: lu.level,
        units: lu,
        value: none,
        numerator: none,
        denominator: none,
        target,
        status: new Array<Status>(n).fill('no-data'),
        extra: Array.from({ length: n }, () => finalExtra(def, null, extra)),
      })
    }
  }
  return out
}

const absent = (what: string): NoData => ({
  zh: `本年度数据中没有任何${what}，无法计算（不是 0%）`,
  en: `this year's data has no ${what} at all, so the indicator cannot be computed (it is not 0 %)`,
})
const NO_LAYER = (layer: string, zh: string): NoData => ({
  zh: `本年度未上传${zh}图层（${layer}）`,
  en: `no ${layer} layer was uploaded for this year`,
})
const NO_BUILT_YEAR: NoData = {
  zh: '没有任何住宅建筑填有建成年代',
  en: 'no residential building states its built year',
}
const knownYears = (m: CityModel) => m.b.builtYear.some((y, i) => y > 0 && m.b.residential[i])
const sitesLabel = (p: IndicatorDef['params']) =>
  p.facilityTypes && !p.facilityTypes.includes('@green')
    ? `类型为 ${p.facilityTypes.join('/')} 的设施 / facilities of type ${p.facilityTypes.join('/')}`
    : `符合条件的绿地（${p.greenKinds === 'park' ? '公园' : '任意'}，≥${p.minArea ?? p.bands?.[0]?.minArea ?? 0} m²）/ qualifying green spaces`
