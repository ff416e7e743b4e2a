// The buildings behind a coverage gap, and what-if questions answered from the in-memory model.
import type { Knex } from 'knex'
import type { City } from '../cities/store.ts'
import proj4 from 'proj4'
import type { Config } from '../config.ts'
import { AppError, issue, validationError } from '../errors.ts'
import { gaussKrugerEpsg } from '../import/crs.ts'
import { resolveFacilityType } from '../layers/facility-types.ts'
import { computeAll, type ResultRow } from './compute.ts'
import type { Facility } from './model.ts'
import { bboxOf, toMultiPoly } from './geom.ts'
import { SOURCE_NAMES } from './population.ts'
import { indicatorByCode, type IndicatorDef } from './registry.ts'
import {
  definitions,
  latestRun,
  modelFor,
  readRunArrays,
  settingsFor,
  unpackBit,
  yearConfig,
  isStale,
} from './service.ts'

/**
 * Uncovered residential buildings of a unit ('city', a 街道 code or a 社区 code), most residents first.
 * model 'network': not within walking distance; 'walk-only': within the straight-line radius but not
 * within walking distance (直线可达、步行不可达).
 */
export async function coverageGaps(
  knex: Knex,
  city: string,
  year: number,
  code: string,
  unit: string,
  limit: number,
  model: 'euclidean' | 'network' | 'walk-only' = 'euclidean',
) {
  const run = await latestRun(knex, city, year)
  if (!run) throw new AppError('CC_NOT_FOUND', { what: `${year} 年度的指标计算结果 / computed results for ${year}` })
  const a = await readRunArrays(knex, run.id, [
    'fid',
    'residents',
    'residents_source',
    'residential',
    'street',
    'community',
    `covered:${code}`,
    `covered:${code}@network`,
  ])
  if (!a[`covered:${code}`])
    throw new AppError('CC_NOT_FOUND', {
      what: `指标 ${code} 的覆盖缺口（只有覆盖类指标有）/ coverage gaps for ${code} (coverage indicators only)`,
    })
  const derived = run.derived as {
    districts?: string[]
    streetDistrict?: number[]
    streets: string[]
    communities: string[]
  }
  let level: 'city' | 'district' | 'street' | 'community' = 'city',
    idx = -1
  if (unit !== 'city') {
    for (const l of ['district', 'street', 'community'] as const) {
      idx = (
        l === 'district' ? (derived.districts ?? []) : l === 'street' ? derived.streets : derived.communities
      ).indexOf(unit)
      if (idx >= 0) {
        level = l
        break
      }
    }
    if (idx < 0) throw new AppError('CC_NOT_FOUND', { what: `单元 ${unit} / unit ${unit}` })
  }
  const fid = new Int32Array(a.fid.buffer.slice(a.fid.byteOffset, a.fid.byteOffset + a.fid.byteLength))
  const residents = new Float32Array(
    a.residents.buffer.slice(a.residents.byteOffset, a.residents.byteOffset + a.residents.byteLength),
  )
  // A district's buildings are those of its 街道.
  const arr = level === 'city' ? null : a[level === 'district' ? 'street' : level]
  const unitOf = arr ? new Int32Array(arr.buffer.slice(arr.byteOffset, arr.byteOffset + arr.byteLength)) : null
  const inUnit =
    level === 'district' ? (u: number) => u >= 0 && derived.streetDistrict?.[u] === idx : (u: number) => u === idx
  const straight = a[`covered:${code}`]
  const walk = a[`covered:${code}@network`]
  if (model !== 'euclidean' && !walk)
    throw new AppError('CC_NOT_FOUND', {
      what: `指标 ${code} 的步行网络结果（请先上传道路图层并重算）/ network results for ${code} (upload a roads layer and recompute)`,
    })
  const gap = (i: number) =>
    model === 'euclidean'
      ? !unpackBit(straight, i)
      : model === 'network'
        ? !unpackBit(walk, i)
        : unpackBit(straight, i) && !unpackBit(walk, i)
  const hits: number[] = []
  let total = 0
  for (let i = 0; i < fid.length; i++) {
    if (!unpackBit(a.residential, i) || !gap(i)) continue
    if (unitOf && !inUnit(unitOf[i])) continue
    hits.push(i)
    total += residents[i]
  }
  hits.sort((x, y) => residents[y] - residents[x])
  const shown = hits.slice(0, limit)
  const uploadId = (run.data_versions as Record<string, number>).buildings
  const geoms = shown.length
    ? (
        await knex.raw(
          'SELECT fid, code, name, floors, use, ST_AsGeoJSON(geom, 7, 0)::json AS geometry FROM buildings WHERE upload_id = ? AND fid = ANY(?)',
          [uploadId, shown.map((i) => fid[i])],
        )
      ).rows
    : []
  const byFid = new Map(geoms.map((g: { fid: number }) => [g.fid, g]))
  return {
    type: 'FeatureCollection',
    indicator: code,
    model,
    year,
    unit,
    level,
    runId: run.id,
    stale: await isStale(knex, run),
    numberMatched: hits.length,
    numberReturned: shown.length,
    uncoveredResidents: Math.round(total),
    features: shown
      .filter((i) => byFid.has(fid[i]))
      .map((i) => {
        const g = byFid.get(fid[i]) as Record<string, unknown>
        return {
          type: 'Feature',
          id: fid[i],
          geometry: g.geometry,
          properties: {
            fid: fid[i],
            code: g.code,
            name: g.name,
            floors: g.floors,
            use: g.use,
            residents: Math.round(residents[i] * 10) / 10,
            residents_source: SOURCE_NAMES[a.residents_source[i]],
          },
        }
      }),
  }
}

interface WhatIfBody {
  facilities: {
    type: 'FeatureCollection'
    features: { geometry: { type: string; coordinates: unknown }; properties?: Record<string, unknown> }[]
  }
  indicators?: string[]
}

/** Indicators that a facility of one of `types` can change. */
export function affectedBy(defs: IndicatorDef[], types: Set<string>): IndicatorDef[] {
  return defs.filter((d) => {
    const ts = [...(d.params.facilityTypes ?? []), ...(d.params.items ?? []).flatMap((i) => i.types)]
    return ts.some((t) => types.has(t))
  })
}

/** Indicator changes from hypothetical facilities; nothing is stored. */
export async function whatIf(knex: Knex, config: Config, city: City, year: number, body: WhatIfBody) {
  const feats = body?.facilities?.features
  if (!Array.isArray(feats) || feats.length === 0)
    throw new AppError('CC_BAD_REQUEST', {
      reason:
        'facilities 应为含要素的 GeoJSON FeatureCollection / facilities must be a GeoJSON FeatureCollection with features',
      field: 'facilities',
    })
  const defs = await definitions(knex, city.code, year)
  const model = await modelFor(knex, city, year, settingsFor(config, await yearConfig(knex, city.code, year)))
  const fwd = proj4('EPSG:4326', gaussKrugerEpsg(model.srid)!.proj!)
  const added: Facility[] = []
  const problems = []
  for (let i = 0; i < feats.length; i++) {
    const f = feats[i]
    const type = resolveFacilityType(f.properties?.type)
    if (!type) {
      problems.push(
        issue('CC_FIELD_UNKNOWN_VALUE', {
          file: 'facilities',
          feature: i + 1,
          field: 'type',
          value: f.properties?.type ?? '',
          allowed: 'GET /api/facility-types',
        }),
      )
      continue
    }
    const name = (f.properties?.name as string) ?? `拟建${type}`
    if (f.geometry?.type === 'Point') {
      const [x, y] = fwd.forward(f.geometry.coordinates as number[])
      added.push({ x, y, type, name, capacity: null })
    } else if (f.geometry?.type === 'Polygon' || f.geometry?.type === 'MultiPolygon') {
      const geom = toMultiPoly(f.geometry).map((poly) =>
        poly.map((ring) => ring.map((p) => fwd.forward(p) as number[])),
      )
      const bbox = bboxOf(geom)
      added.push({ x: (bbox[0] + bbox[2]) / 2, y: (bbox[1] + bbox[3]) / 2, geom, bbox, type, name, capacity: null })
    } else
      problems.push(
        issue('CC_GEOMETRY_TYPE', {
          file: 'facilities',
          feature: i + 1,
          type: f.geometry?.type ?? 'null',
          expected: 'Point/Polygon',
        }),
      )
  }
  if (problems.length) throw validationError('facilities', problems)
  const picked = body.indicators?.length
    ? body.indicators.map(
        (c) =>
          indicatorByCode(defs, c) ??
          (() => {
            throw new AppError('CC_NOT_FOUND', { what: `指标 ${c} / indicator ${c}` })
          })(),
      )
    : affectedBy(defs, new Set(added.map((f) => f.type)))
  // What-if answers in the straight-line model (the walking one would double the cost of each question).
  const before = computeAll({ ...model, network: null }, picked).rows
  const after = computeAll({ ...model, network: null, facilities: [...model.facilities, ...added] }, picked).rows
  const key = (r: ResultRow) => `${r.indicator}|${r.variant}|${r.level}|${r.unit_code}`
  const prev = new Map(before.map((r) => [key(r), r]))
  return {
    year,
    added: added.length,
    stored: false,
    indicators: picked.map((d) => {
      const variant = d.params.primary ?? 'area'
      const rows = after.filter((r) => r.indicator === d.code && r.variant === variant)
      const changes = rows
        .map((r) => {
          const b = prev.get(key(r))!
          return {
            level: r.level,
            code: r.unit_code,
            name: r.unit_name,
            before: b.value,
            after: r.value,
            change: r.value != null && b.value != null ? r.value - b.value : null,
            statusBefore: b.status,
            statusAfter: r.status,
            newlyCoveredResidents:
              typeof b.extra.gapResidents === 'number'
                ? (b.extra.gapResidents as number) - (r.extra.gapResidents as number)
                : undefined,
          }
        })
        .filter((c) => c.level === 'city' || (c.change !== null && Math.abs(c.change) > 1e-9))
      return {
        code: d.code,
        zh: d.zh,
        en: d.en,
        unit: d.unit,
        variant,
        city: changes.find((c) => c.level === 'city'),
        units: changes.filter((c) => c.level !== 'city'),
      }
    }),
  }
}
