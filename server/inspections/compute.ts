// The 住房 and 小区 indicators: counts of what inspections found, 小区 without the facilities or
// activity sites they should have, and school-seat gaps. Pure: from a CityModel (plus the latest
// inspection of each building and 小区), no database. A unit with nothing to count is `no-data`
// with its reason, never 0.
import { type PointSet, type Site, visitWithin } from '../indicators/coverage.ts'
import { type ColumnSet, type NoData, Sums, columnsOf, noDataSets } from '../indicators/compute.ts'
import { sitesFor } from '../indicators/sites.ts'
import { area as polygonArea } from '../indicators/geom.ts'
import type { CityModel } from '../indicators/model.ts'
import type { IndicatorDef } from '../indicators/registry.ts'
import { FlowGraph } from './maxflow.ts'

/** The latest accepted inspection of each building and 小区, as model indexes. */
export interface InspectionFacts {
  building: { index: Int32Array; findings: string[][]; dwellings: (number | null)[] }
  area: { index: Int32Array; findings: string[][] }
  /** records whose building or 小区 code is not in the current layer */
  unmatched: number
}

/** 第七次全国人口普查 mean household size (persons per household), to estimate 套 from residents. */
export const PERSONS_PER_DWELLING = 2.62

const NOT_INSPECTED: NoData = {
  zh: '本单元没有检查记录（未检查不等于没有问题）',
  en: 'no inspection records in this unit (not inspected is not the same as no problems)',
}
const NO_RECORDS: NoData = {
  zh: '本年度没有任何检查记录',
  en: 'there are no inspection records for this year',
}
const NO_AREAS: NoData = {
  zh: '本年度未上传小区图层（residential-areas）',
  en: 'no residential-areas (小区) layer was uploaded for this year',
}

export function inspectionCountRows(m: CityModel, def: IndicatorDef): ColumnSet[] {
  const areaTarget = def.code.startsWith('area_')
  const facts = m.inspections
  const recs = areaTarget ? facts?.area : facts?.building
  const withAreas = m.areas.length > 0
  if (!recs?.index.length) return noDataSets(m, def, ['value'], NO_RECORDS, withAreas)
  const prefix = `${def.code}.`
  const hasFinding = (f: string[]) => f.some((c) => c.startsWith(prefix))
  const inspected = new Sums(m),
    found = new Sums(m),
    population = new Sums(m)
  const B = m.b
  let estimated = 0
  if (areaTarget) {
    m.areas.forEach((a, k) => {
      population.add(a.street, a.parent, 1, k)
    })
    recs.index.forEach((k, r) => {
      const a = m.areas[k]
      inspected.add(a.street, a.parent, 1, k)
      if (hasFinding(recs.findings[r])) found.add(a.street, a.parent, 1, k)
    })
  } else {
    for (let i = 0; i < B.n; i++) if (B.residential[i]) population.add(B.street[i], B.community[i], 1, B.area[i])
    const dw = (facts!.building.dwellings ?? []) as (number | null)[]
    recs.index.forEach((i, r) => {
      inspected.add(B.street[i], B.community[i], 1, B.area[i])
      if (!hasFinding(recs.findings[r])) return
      let v = 1
      if (def.params.countUnit === 'dwellings') {
        v = dw[r] ?? Math.max(1, Math.round(B.residents[i] / PERSONS_PER_DWELLING))
        if (dw[r] == null) estimated++
      }
      found.add(B.street[i], B.community[i], v, B.area[i])
    })
  }
  const countUnit = areaTarget ? '个' : def.params.countUnit === 'dwellings' ? '套' : '栋'
  return columnsOf(m, def, 'value', withAreas, (level, i) => {
    const n = inspected.get(level, i)
    const extra = {
      inspected: n,
      [areaTarget ? 'areas' : 'buildings']: population.get(level, i),
      countUnit,
      ...(estimated ? { dwellingsEstimated: estimated, personsPerDwelling: PERSONS_PER_DWELLING } : {}),
    }
    if (!n) return [null, null, null, Object.assign({}, extra, { noData: NOT_INSPECTED })]
    return [found.get(level, i), n, found.get(level, i), extra]
  })
}

/** For each point, the sites within `radius` (polygon sites reached at their nearest edge), ascending. */
export function reachLists(points: PointSet, sites: Site[], radius: number): number[][] {
  const out: number[][] = Array.from({ length: points.ids.length }, () => [])
  visitWithin(points, sites, radius, (k, j) => {
    out[k].push(j)
  })
  return out
}

/** Residents of each 小区: its declared population, else the residents of its buildings. */
function areaResidents(m: CityModel): Float64Array {
  const fromBuildings = new Float64Array(m.areas.length)
  for (let i = 0; i < m.b.n; i++)
    if (m.b.residential[i] && m.b.area[i] >= 0) fromBuildings[m.b.area[i]] += m.b.residents[i]
  return Float64Array.from(m.areas, (a, k) => a.population ?? fromBuildings[k])
}

/**
 * 2SFCA: each site's capacity shared among the residents of the 小区 that reach it, then summed for
 * each 小区 over the sites it reaches; per 1,000 residents.
 */
export function twoStepFloatingCatchment(reach: number[][], demand: Float64Array, capacity: number[]): Float64Array {
  const load = new Float64Array(capacity.length)
  reach.forEach((js, k) => {
    for (const j of js) load[j] += demand[k]
  })
  return Float64Array.from(reach, (js) => js.reduce((a, j) => a + (load[j] > 0 ? capacity[j] / load[j] : 0), 0) * 1000)
}

export function areaShortfallRows(m: CityModel, def: IndicatorDef): ColumnSet[] {
  const p = def.params
  if (!m.areas.length) return noDataSets(m, def, ['value'], NO_AREAS)
  let sites: (Site & { capacity?: number | null })[]
  if (def.kind === 'area_activity_site') {
    const min = p.minArea ?? 0
    const types = (p.facilityTypes ?? []).filter((t) => t !== '@green')
    sites = [
      ...m.green.filter((g) => g.areaM2 >= min),
      // A point facility has no area to test: it counts (the formula says so); a polygon must be big enough.
      ...m.facilities.filter((f) => types.includes(f.type) && (!f.geom || polygonArea(f.geom) >= min)),
    ]
  } else sites = sitesFor(m, { facilityTypes: p.facilityTypes })
  if (!sites.length)
    return noDataSets(
      m,
      def,
      ['value'],
      {
        zh: `本年度数据中没有任何${def.kind === 'area_activity_site' ? '公共活动场地（绿地、运动或健身场地）' : `类型为 ${p.facilityTypes!.join('/')} 的设施`}，无法判断（不是全部未达标）`,
        en: `this year's data has no ${def.kind === 'area_activity_site' ? 'activity sites' : `facility of type ${p.facilityTypes!.join('/')}`} at all, so no 小区 can be judged (they are not all failing)`,
      },
      true,
    )
  const reach = reachLists(m.areaPoints, sites, p.radius!)
  // Capacity is tested only where every site states it: a missing capacity is unknown, not zero.
  const capacities = sites.map((s) => s.capacity ?? null)
  const capacityTested = !!p.seatsPer1000 && capacities.every((c) => c != null)
  const perThousand = capacityTested ? twoStepFloatingCatchment(reach, areaResidents(m), capacities as number[]) : null
  if (p.seatsPer1000 && !capacityTested)
    m.warnings.push(
      `${def.code}：${capacities.filter((c) => c == null).length} 处设施未填规模，只判断服务半径内有无设施 / some facilities state no capacity, so only reach is tested`,
    )
  const fails = new Sums(m),
    all = new Sums(m)
  const failing = new Uint8Array(m.areas.length)
  m.areas.forEach((a, k) => {
    failing[k] = reach[k].length === 0 || (perThousand !== null && perThousand[k] < p.seatsPer1000! - 1e-9) ? 1 : 0
    all.add(a.street, a.parent, 1, k)
    if (failing[k]) fails.add(a.street, a.parent, 1, k)
  })
  return columnsOf(m, def, 'value', true, (level, i) => {
    const extra: Record<string, unknown> = { areas: all.get(level, i), capacityTested }
    if (level === 'area') {
      extra.reachable = reach[i].length
      if (perThousand) extra.seatsPer1000 = Math.round(perThousand[i] * 10) / 10
      extra.reason = !reach[i].length
        ? { zh: `${p.radius} 米内没有`, en: `none within ${p.radius} m` }
        : failing[i]
          ? { zh: '千人规模不足', en: 'too few seats per 1,000 residents' }
          : null
    }
    return [fails.get(level, i), all.get(level, i), fails.get(level, i), extra]
  })
}

export interface SeatAllocation {
  /** children left without a reachable seat, per demand point */
  gap: Float64Array
  allocated: number
}

/** Each point's reachable sites as one flat list: point k's are site[off[k] .. off[k + 1]), ascending. */
export interface Reach {
  off: Int32Array
  site: Int32Array
}

/** Lists of sites per point as a Reach (each list ascending). */
export function reachOf(lists: number[][]): Reach {
  const off = new Int32Array(lists.length + 1)
  lists.forEach((l, k) => {
    off[k + 1] = off[k] + l.length
  })
  return { off, site: Int32Array.from(lists.flat()) }
}

/**
 * reachLists for point sites, as one flat list: at a million homes the lists were a million small
 * arrays, most kept until the seats were allocated (so the collector moved them to its old space).
 * Pairs are gathered site by site and then put in point order, a stable sort, so each point's sites
 * stay ascending as reachLists has them.
 */
export function pointReach(points: PointSet, sites: Site[], radius: number): Reach {
  const n = points.ids.length
  let pk = new Int32Array(1 << 16),
    pj = new Int32Array(1 << 16),
    used = 0
  const off = new Int32Array(n + 1)
  const add = (k: number, j: number) => {
    if (used === pk.length) {
      const k2 = new Int32Array(used * 2),
        j2 = new Int32Array(used * 2)
      k2.set(pk)
      j2.set(pj)
      pk = k2
      pj = j2
    }
    pk[used] = k
    pj[used++] = j
    off[k + 1]++
  }
  visitWithin(points, sites, radius, add)
  for (let k = 0; k < n; k++) off[k + 1] += off[k]
  const next = off.slice(0, n)
  const site = new Int32Array(used)
  for (let e = 0; e < used; e++) site[next[pk[e]]++] = pj[e]
  return { off, site }
}

/**
 * The largest number of children that can be given a seat at a school within reach, each school
 * taking at most its seats: a maximum flow. Points with the same set of reachable schools are one
 * node (exact: they are interchangeable), so the graph stays small; a node's shortfall is shared
 * among its points in proportion to their children.
 */
export function allocateSeats(children: Float64Array, reach: Reach, seats: number[]): SeatAllocation {
  const { off, site } = reach
  // Points grouped by their list of schools: a hash of the list, then the lists compared (a string key
  // per point was a million strings at city scale).
  const byHash = new Map<number, number[]>()
  const groupOf = new Int32Array(children.length).fill(-1)
  const members: number[][] = []
  const sameList = (k: number, q: number) => {
    if (off[k + 1] - off[k] !== off[q + 1] - off[q]) return false
    for (let a = off[k], b = off[q]; a < off[k + 1]; a++, b++) if (site[a] !== site[b]) return false
    return true
  }
  for (let k = 0; k < children.length; k++) {
    if (off[k] === off[k + 1] || !(children[k] > 0)) continue
    let h = 0x811c9dc5
    for (let a = off[k]; a < off[k + 1]; a++) h = Math.imul(h ^ site[a], 0x01000193)
    let groups = byHash.get(h)
    if (!groups) byHash.set(h, (groups = []))
    let g = -1
    for (let c = 0; c < groups.length && g < 0; c++) if (sameList(members[groups[c]][0], k)) g = groups[c]
    if (g < 0) {
      g = members.length
      groups.push(g)
      members.push([])
    }
    groupOf[k] = g
    members[g].push(k)
  }
  const G = members.length
  const S = 0,
    T = 1
  const graph = new FlowGraph(2 + G + seats.length)
  const demand = new Float64Array(G)
  for (let k = 0; k < children.length; k++) if (groupOf[k] >= 0) demand[groupOf[k]] += children[k]
  const source = members.map((ms, g) => {
    const k = ms[0]
    for (let a = off[k]; a < off[k + 1]; a++) graph.add(2 + g, 2 + G + site[a], Infinity)
    return graph.add(S, 2 + g, demand[g])
  })
  seats.forEach((c, j) => {
    graph.add(2 + G + j, T, c)
  })
  const allocated = graph.maxFlow(S, T)
  // (loops written out: Float64Array.from with a callback is several times slower in V8)
  const gap = new Float64Array(children.length)
  for (let k = 0; k < children.length; k++) if (groupOf[k] < 0) gap[k] = Math.max(children[k], 0)
  for (let g = 0; g < G; g++) {
    const short = Math.max(0, demand[g] - graph.flowOn(source[g]))
    for (const k of members[g]) gap[k] = (short * children[k]) / demand[g]
  }
  return { gap, allocated }
}

export function schoolSeatRows(m: CityModel, def: IndicatorDef): ColumnSet[] {
  const p = def.params
  const withAreas = m.areas.length > 0
  const schools = sitesFor(m, { facilityTypes: p.facilityTypes }) as (Site & { capacity: number | null })[]
  if (!schools.length)
    return noDataSets(
      m,
      def,
      ['value'],
      {
        zh: `本年度数据中没有任何类型为 ${p.facilityTypes!.join('/')} 的学校`,
        en: `this year's data has no school of type ${p.facilityTypes!.join('/')}`,
      },
      withAreas,
    )
  const missing = schools.filter((s) => s.capacity == null).length
  if (missing)
    return noDataSets(
      m,
      def,
      ['value'],
      {
        zh: `${missing} 所学校未填学位数（capacity），学位缺口无法计算`,
        en: `${missing} school(s) state no seats (capacity), so the seat gap cannot be computed`,
      },
      withAreas,
    )
  const rp = m.residentialPoints
  const B = m.b
  const share = p.ageShare!
  const children = new Float64Array(rp.ids.length)
  for (let k = 0; k < children.length; k++) children[k] = B.residents[rp.ids[k]] * share
  const { gap } = allocateSeats(
    children,
    pointReach(rp, schools, p.radius!),
    schools.map((s) => s.capacity!),
  )
  const kids = new Sums(m),
    short = new Sums(m)
  for (let k = 0; k < rp.ids.length; k++) {
    const id = rp.ids[k]
    kids.add(B.street[id], B.community[id], children[k], B.area[id])
    short.add(B.street[id], B.community[id], gap[k], B.area[id])
  }
  return columnsOf(m, def, 'value', withAreas, (level, i) => {
    const c = kids.get(level, i)
    const g = short.get(level, i)
    return [g, c, c > 0 ? Math.round(g) : null, { children: Math.round(c * 10) / 10, ageShare: share }]
  })
}
