// 城市更新 siting: where new facilities of a type cover the most residents not yet covered.
// Demand = residential buildings outside the radius of every existing facility of the type, weighted
// by residents (or footprint area, the official denominator); candidates = the planner's own points
// or parcels, or a grid inside chosen 街道 that avoids existing buildings. Solved by lazy greedy at
// city scale, exactly (branch and bound) where the instance is small, always with a proven bound.
import type { Knex } from 'knex'
import type { City } from '../cities/store.ts'
import KDBush from 'kdbush'
import proj4 from 'proj4'
import type { Config } from '../config.ts'
import { AppError, issue, validationError } from '../errors.ts'
import { gaussKrugerEpsg } from '../import/crs.ts'
import { resolveFacilityType } from '../layers/facility-types.ts'
import { computeAll } from '../indicators/compute.ts'
import { sitesFor } from '../indicators/sites.ts'
import { RADIUS_TOLERANCE_M, markCovered, type Site } from '../indicators/coverage.ts'
import { bboxOf, pointInMultiPolygon, pointPolygonDistance, toMultiPoly } from '../indicators/geom.ts'
import type { CityModel, Facility } from '../indicators/model.ts'
import { indicatorByCode, type IndicatorDef } from '../indicators/registry.ts'
import { definitions, modelFor, settingsFor, yearConfig } from '../indicators/service.ts'
import { exact, greedy, improve, upperBound, type Instance } from './mclp.ts'
import type { Snap } from '../network/graph.ts'
import { networkFlags } from '../network/flags.ts'
import { BoundedSearch, siteSources } from '../network/reach.ts'

export interface SitingRequest {
  indicator?: string
  facilityType?: string
  radius?: number
  count: number
  weight?: 'residents' | 'area'
  method?: 'auto' | 'greedy' | 'exact'
  candidates?: {
    type: 'FeatureCollection'
    features: { geometry: { type: string; coordinates: unknown } | null; properties?: Record<string, unknown> }[]
  }
  grid?: { spacing?: number; streets?: string[] }
  /** optimise straight-line coverage (default) or walking distance on the street network */
  model?: 'euclidean' | 'network'
}

/** Instances this small are also solved exactly under `auto`. */
export const EXACT_LIMIT = { candidates: 80, sites: 6 }
export const MAX_CANDIDATES = 50_000

function resolveTarget(
  defs: IndicatorDef[],
  req: SitingRequest,
): { def: IndicatorDef; types: string[]; radius: number } {
  if (req.indicator) {
    const def = indicatorByCode(defs, req.indicator)
    if (!def) throw new AppError('CC_NOT_FOUND', { what: `指标 ${req.indicator} / indicator ${req.indicator}` })
    if (def.kind !== 'coverage' || !def.params.facilityTypes)
      throw new AppError('CC_OPTION_INVALID', {
        option: 'indicator',
        field: 'indicator',
        reason: '选址需要一个设施覆盖类指标 / siting needs a facility coverage indicator',
      })
    return { def, types: def.params.facilityTypes, radius: req.radius ?? def.params.radius! }
  }
  const type = resolveFacilityType(req.facilityType)
  if (!type)
    throw new AppError('CC_OPTION_INVALID', {
      option: 'facilityType',
      field: 'facilityType',
      reason:
        '需要 indicator 或词表中的 facilityType / give an indicator or a facility type from GET /api/facility-types',
    })
  const def = defs.find((d) => d.kind === 'coverage' && d.params.facilityTypes?.includes(type))
  const radius = req.radius ?? def?.params.radius
  if (!radius)
    throw new AppError('CC_OPTION_INVALID', {
      option: 'radius',
      field: 'radius',
      reason: `设施类型 ${type} 没有默认服务半径，请给出 radius / ${type} has no default radius; give one`,
    })
  const base: IndicatorDef = def ?? {
    ...defs.find((d) => d.kind === 'coverage')!,
    code: `siting_${type}`,
    zh: `${type} 覆盖率`,
    en: `${type} coverage`,
    target: undefined,
  }
  return { def: { ...base, params: { ...base.params, facilityTypes: [type], radius } }, types: [type], radius }
}

async function candidateSites(
  knex: Knex,
  m: CityModel,
  req: SitingRequest,
): Promise<{ sites: Site[]; source: string; excluded: number }> {
  if (req.candidates) {
    const fwd = proj4('EPSG:4326', gaussKrugerEpsg(m.srid)!.proj!)
    const bad = []
    const sites: Site[] = []
    for (const [i, f] of req.candidates.features.entries()) {
      const g = f.geometry
      if (g?.type === 'Point') {
        const [x, y] = fwd.forward(g.coordinates as number[])
        sites.push({ x, y })
      } else if (g?.type === 'Polygon' || g?.type === 'MultiPolygon') {
        const geom = toMultiPoly(g).map((poly) => poly.map((ring) => ring.map((p) => fwd.forward(p) as number[])))
        const bbox = bboxOf(geom)
        sites.push({ x: (bbox[0] + bbox[2]) / 2, y: (bbox[1] + bbox[3]) / 2, geom, bbox })
      } else
        bad.push(
          issue('CC_GEOMETRY_TYPE', {
            file: 'candidates',
            feature: i + 1,
            type: g?.type ?? 'null',
            expected: 'Point/Polygon',
          }),
        )
    }
    if (bad.length) throw validationError('candidates', bad)
    if (!sites.length)
      throw new AppError('CC_OPTION_INVALID', {
        option: 'candidates',
        field: 'candidates',
        reason: '没有候选点 / no candidates',
      })
    return { sites, source: 'uploaded', excluded: 0 }
  }
  // A grid inside the chosen 街道 (all of them by default), off existing building footprints.
  const spacing = Math.max(25, req.grid?.spacing ?? 100)
  const areas = req.grid?.streets?.length ? m.streets.filter((s) => req.grid!.streets!.includes(s.code)) : m.streets
  if (!areas.length)
    throw new AppError('CC_OPTION_INVALID', {
      option: 'grid.streets',
      field: 'grid',
      reason: '没有这些街道（或该年度没有街道图层）/ no such streets (or no streets layer)',
    })
  const pts: [number, number][] = []
  for (const s of areas) {
    for (let x = Math.ceil(s.bbox[0] / spacing) * spacing; x <= s.bbox[2]; x += spacing) {
      for (let y = Math.ceil(s.bbox[1] / spacing) * spacing; y <= s.bbox[3]; y += spacing) {
        if (pointInMultiPolygon(x, y, s.geom)) pts.push([x, y])
        if (pts.length > MAX_CANDIDATES)
          throw new AppError('CC_OPTION_INVALID', {
            option: 'grid.spacing',
            field: 'grid',
            reason: `候选点超过 ${MAX_CANDIDATES} 个，请加大间距或缩小范围 / more than ${MAX_CANDIDATES} candidates; widen the spacing or choose fewer streets`,
          })
      }
    }
  }
  let keep = pts
  if (m.versions.buildings != null && pts.length) {
    const r = await knex.raw(
      `SELECT i FROM unnest(?::float8[], ?::float8[]) WITH ORDINALITY AS c(x, y, i)
      WHERE EXISTS (SELECT 1 FROM buildings b WHERE b.upload_id = ? AND ST_Intersects(b.geom, ST_Transform(ST_SetSRID(ST_MakePoint(c.x, c.y), ?::int), 4490)))`,
      [pts.map((p) => p[0]), pts.map((p) => p[1]), m.versions.buildings, m.srid],
    )
    const inside = new Set(r.rows.map((x: { i: number }) => Number(x.i) - 1))
    keep = pts.filter((_, i) => !inside.has(i))
  }
  return { sites: keep.map(([x, y]) => ({ x, y })), source: `grid ${spacing} m`, excluded: pts.length - keep.length }
}

export async function site(knex: Knex, config: Config, city: City, year: number, req: SitingRequest) {
  const t0 = Date.now()
  const count = Number(req.count)
  if (!Number.isInteger(count) || count < 1 || count > 100)
    throw new AppError('CC_OPTION_INVALID', {
      option: 'count',
      field: 'count',
      reason: '应为 1–100 的整数 / must be an integer 1–100',
    })
  const defs = await definitions(knex, city.code, year)
  const { def, types, radius } = resolveTarget(defs, req)
  const m = await modelFor(knex, city, year, settingsFor(config, await yearConfig(knex, city.code, year)))
  const weightBy = req.weight ?? 'residents'
  const B = m.b

  const walking = req.model === 'network'
  if (walking && !m.network)
    throw new AppError('CC_NOT_FOUND', {
      what: `${year} 年度的道路图层（步行网络）/ the ${year} roads layer (walking network)`,
    })
  // Demand: residential buildings no existing facility of the type reaches (by straight line or on foot).
  const covered = walking
    ? networkFlags(m, { facilityTypes: types }, [{ minArea: 0, radius }], new Map()).b
    : new Uint8Array(B.n)
  if (!walking) markCovered(m.residentialPoints, sitesFor(m, { facilityTypes: types }), radius, covered)
  const demand: number[] = []
  for (const id of m.residentialPoints.ids) if (!covered[id]) demand.push(id)
  const weight = Float64Array.from(demand, (i) => (weightBy === 'area' ? B.footprint[i] : B.residents[i]))
  const index = new KDBush(Math.max(1, demand.length), 64, Float64Array)
  for (const i of demand) index.add(B.x[i], B.y[i])
  if (!demand.length) index.add(Infinity, Infinity)
  index.finish()

  const { sites: candidates, source, excluded } = await candidateSites(knex, m, req)
  const r = radius + RADIUS_TOLERANCE_M
  // On foot a candidate reaches a subset of the homes within the straight radius (walking is never
  // shorter): those are the ones whose walking distance is checked, after one small search per candidate.
  const net = m.network
  const search = walking && net ? new BoundedSearch(net.graph) : null
  const joinOf = new Map<number, Snap>()
  if (walking && net)
    m.residentialPoints.ids.forEach((id, k) => {
      if (net.residential.seg[k] >= 0)
        joinOf.set(id, { seg: net.residential.seg[k], t: net.residential.t[k], leg: net.residential.leg[k] })
    })
  const walkable = (s: Site, near: Int32Array): Int32Array => {
    if (!search || !net) return near
    const src = siteSources(net.graph, [s], {
      cap: net.settings.accessCapM,
      edgeSnap: net.settings.edgeSnapM,
      gates: net.gates,
    })
    if (!src.length) return new Int32Array(0)
    search.run(src, r)
    return near.filter((k) => {
      const j = joinOf.get(demand[k])
      return j !== undefined && search.at(j, src) <= r
    })
  }
  const inst: Instance = {
    weight,
    covers: candidates.map((s) => walkable(s, straightCover(s))),
  }
  function straightCover(s: Site): Int32Array {
    {
      if (!s.geom) return Int32Array.from(index.within(s.x, s.y, r).filter((k) => k < demand.length))
      const b = s.bbox!
      return Int32Array.from(
        index
          .range(b[0] - r, b[1] - r, b[2] + r, b[3] + r)
          .filter((k) => k < demand.length && pointPolygonDistance(B.x[demand[k]], B.y[demand[k]], s.geom!) <= r),
      )
    }
  }
  const tSolve = Date.now()
  const pure = greedy(inst, count)
  const method = req.method ?? 'auto'
  // 'greedy' is the plain lazy greedy; otherwise greedy is polished by 1-swap local search.
  const g = method === 'greedy' ? pure : improve(inst, pure)
  const small = candidates.length <= EXACT_LIMIT.candidates && count <= EXACT_LIMIT.sites
  const ex = method === 'exact' || (method === 'auto' && small) ? exact(inst, count) : null
  const chosen = ex && ex.value > g.value ? ex : g
  const bound = ex?.exact ? ex.value : Math.min(upperBound(inst, count, pure.sites), upperBound(inst, count, g.sites))
  const solveMs = Date.now() - tSolve

  // The answer, site by site, and the indicator before and after per unit.
  const inv = proj4(gaussKrugerEpsg(m.srid)!.proj!, 'EPSG:4326')
  const newly = new Uint8Array(demand.length)
  const ranked = chosen.sites.map((j, k) => {
    const s = candidates[j]
    const fids: number[] = []
    let residents = 0
    for (const d of inst.covers[j])
      if (!newly[d]) {
        newly[d] = 1
        fids.push(B.fid[demand[d]])
        residents += B.residents[demand[d]]
      }
    const [lon, lat] = inv.forward([s.x, s.y])
    return {
      rank: k + 1,
      lon,
      lat,
      gain: chosen.gains[k],
      newlyCoveredResidents: Math.round(residents),
      newlyCoveredBuildings: fids.length,
      buildingFids: fids.slice(0, 500),
      candidate: j,
    }
  })
  const added: Facility[] = chosen.sites.map((j) => ({
    ...candidates[j],
    type: types[0],
    name: '拟建',
    capacity: null,
  }))
  const shown = `${def.params.primary ?? 'area'}${walking ? '@network' : ''}`
  const model = walking ? m : { ...m, network: null }
  const before = computeAll(model, [def]).rows.filter((x) => x.variant === shown)
  const after = computeAll({ ...model, facilities: [...m.facilities, ...added] }, [def]).rows.filter(
    (x) => x.variant === shown,
  )
  const units = after
    .map((a, i) => ({
      level: a.level,
      code: a.unit_code,
      name: a.unit_name,
      before: before[i].value,
      after: a.value,
      change: a.value != null && before[i].value != null ? a.value - before[i].value! : null,
      statusBefore: before[i].status,
      statusAfter: a.status,
    }))
    .filter((u) => u.level === 'city' || (u.change != null && Math.abs(u.change) > 1e-9))
  return {
    year,
    indicator: def.code,
    indicatorZh: def.zh,
    facilityTypes: types,
    radius,
    distanceModel: walking ? 'network' : 'euclidean',
    count,
    weight: weightBy,
    candidates: { count: candidates.length, source, excludedOnBuildings: excluded },
    demand: { buildings: demand.length, weight: weight.reduce((a, b) => a + b, 0) },
    solution: {
      method:
        chosen === ex ? 'exact (branch and bound)' : method === 'greedy' ? 'greedy (lazy)' : 'greedy (lazy) + 1-swap',
      objective: chosen.value,
      greedyObjective: pure.value,
      heuristicObjective: g.value,
      exactObjective: ex?.exact ? ex.value : null,
      exact: ex?.exact ?? false,
      upperBound: bound,
      // How far from the optimum this answer can be, at most (0 = proven optimal).
      maxGapToOptimum: bound > 0 ? Math.max(0, 1 - chosen.value / bound) : 0,
      greedyGapToOptimum: ex?.exact && ex.value > 0 ? 1 - pure.value / ex.value : null,
      heuristicGapToOptimum: ex?.exact && ex.value > 0 ? 1 - g.value / ex.value : null,
      solveMs,
      totalMs: Date.now() - t0,
    },
    sites: ranked.map(({ candidate, ...s }) => s),
    units,
    capacity: '未考虑设施容量（学位/床位）/ capacity not considered',
    stored: false,
  }
}
