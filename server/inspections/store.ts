// Inspection records in the database: what inspectors saved in the field and what imports added,
// the photos, the latest record of each building and 小区 for the indicators, and 一栋一档 (a
// building's file: its footprint, attributes and every inspection).
import type { Knex } from 'knex'
import { arrayRows } from '../db/client.ts'
import { AppError } from '../errors.ts'
import { currentVersions, type CityModel } from '../indicators/model.ts'
import { yearConfig } from '../indicators/service.ts'
import type { InspectionFacts } from './compute.ts'
import { type InspectionItem, type InspectionTarget, targetOf, vocabularyFor } from './vocabulary.ts'

export async function vocabulary(knex: Knex, city: string, year: number): Promise<InspectionItem[]> {
  return vocabularyFor((await yearConfig(knex, city, year)).inspectionItems)
}

/** Changes whenever a record is added or an import accepted: stored with each run to tell staleness. */
export async function inspectionsVersion(knex: Knex, city: string, year: number): Promise<string> {
  const r = await knex('inspections')
    .where({ city, year, accepted: true })
    .first(knex.raw('count(*)::int AS n'), knex.raw('coalesce(max(id), 0)::bigint AS last'))
  return `${r?.n ?? 0}:${r?.last ?? 0}`
}

const LATEST = `SELECT DISTINCT ON (unit_code) unit_code, findings, dwellings FROM inspections
  WHERE city = $1 AND year = $2 AND target = $3 AND accepted ORDER BY unit_code, inspected_at DESC, id DESC`

const rows = arrayRows

/** The latest accepted record of each building and 小区, as indexes into the model. */
export async function loadInspectionFacts(
  knex: Knex,
  city: string,
  year: number,
  m: CityModel,
): Promise<InspectionFacts> {
  const facts: InspectionFacts = {
    building: { index: new Int32Array(0), findings: [], dwellings: [] },
    area: { index: new Int32Array(0), findings: [] },
    unmatched: 0,
  }
  const buildingsUpload = m.versions.buildings
  if (buildingsUpload != null) {
    const r = await rows(
      knex,
      `SELECT b.fid, i.findings, i.dwellings FROM (${LATEST}) i
       LEFT JOIN buildings b ON b.upload_id = $4 AND b.code = i.unit_code`,
      [city, year, 'building', buildingsUpload],
    )
    let maxFid = 0
    for (let i = 0; i < m.b.n; i++) if (m.b.fid[i] > maxFid) maxFid = m.b.fid[i]
    const byFid = new Int32Array(maxFid + 1).fill(-1)
    for (let i = 0; i < m.b.n; i++) byFid[m.b.fid[i]] = i
    const index: number[] = []
    for (const [fid, findings, dwellings] of r as [number | null, string[], number | null][]) {
      const i = fid != null && fid <= maxFid ? byFid[fid] : -1
      if (i < 0) {
        facts.unmatched++
        continue
      }
      index.push(i)
      facts.building.findings.push(findings)
      facts.building.dwellings.push(dwellings)
    }
    facts.building.index = Int32Array.from(index)
  }
  if (m.areas.length) {
    const byCode = new Map(m.areas.map((a, k) => [a.code, k]))
    const index: number[] = []
    for (const [code, findings] of (await rows(knex, LATEST, [city, year, 'area'])) as [string, string[]][]) {
      const k = byCode.get(code)
      if (k === undefined) {
        facts.unmatched++
        continue
      }
      index.push(k)
      facts.area.findings.push(findings)
    }
    facts.area.index = Int32Array.from(index)
  }
  if (facts.unmatched)
    m.warnings.push(
      `${facts.unmatched} 个楼栋或小区的检查记录在当前图层中找不到对应编码（图层已更新？）/ ${facts.unmatched} inspected buildings or 小区 are not in the current layers (re-uploaded?)`,
    )
  return facts
}

export interface NewRecord {
  target: InspectionTarget
  unitCode: string
  findings: string[]
  dwellings?: number | null
  note?: string | null
  inspector: string
  inspectedAt?: string | Date
  lon?: number | null
  lat?: number | null
}

/** Checks findings against the year's vocabulary and the target, naming what is wrong. */
export function checkFindings(items: InspectionItem[], target: InspectionTarget, findings: unknown): string[] {
  if (!Array.isArray(findings) || findings.some((f) => typeof f !== 'string'))
    throw new AppError('CC_OPTION_INVALID', {
      option: 'findings',
      field: 'findings',
      reason: '应为条目代码的数组 / must be an array of item codes',
    })
  const known = new Map(items.map((i) => [i.code, i]))
  for (const f of findings as string[]) {
    const it = known.get(f)
    if (!it || targetOf(it.indicator) !== target)
      throw new AppError('CC_FIELD_UNKNOWN_VALUE', {
        file: 'findings',
        feature: 1,
        field: 'findings',
        value: f,
        allowed: `GET …/inspections/vocabulary（${target === 'building' ? '住房' : '小区'}条目 / ${target} items）`,
      })
  }
  return [...new Set(findings as string[])]
}

/** The building (or 小区) a code names in the current layer, or a 404 saying which. */
export async function findUnit(knex: Knex, city: string, year: number, target: InspectionTarget, code: string) {
  const v = await currentVersions(knex, city, year)
  const upload = target === 'building' ? v.buildings : v['residential-areas']
  const table = target === 'building' ? 'buildings' : 'residential_areas'
  const hit =
    upload == null
      ? null
      : await knex(table)
          .where({ upload_id: upload, code })
          .first('fid', 'code', 'name', knex.raw('ST_AsGeoJSON(geom, 7)::json AS geometry'))
  if (!hit)
    throw new AppError('CC_NOT_FOUND', {
      what: `${target === 'building' ? '楼栋' : '小区'} ${code}（${year} 年度当前图层）/ ${target} ${code} in the current ${year} layer`,
    })
  return hit as { fid: number; code: string; name: string | null; geometry: unknown }
}

export async function addRecord(knex: Knex, city: string, year: number, r: NewRecord): Promise<number> {
  const [row] = await knex('inspections')
    .insert({
      city,
      year,
      target: r.target,
      unit_code: r.unitCode,
      findings: r.findings,
      dwellings: r.dwellings ?? null,
      note: r.note ?? null,
      inspector: r.inspector,
      inspected_at: r.inspectedAt ?? knex.fn.now(),
      lon: r.lon ?? null,
      lat: r.lat ?? null,
      source: 'field',
    })
    .returning('id')
  return Number(row.id)
}

export async function addPhoto(
  knex: Knex,
  city: string,
  inspection: number,
  photo: { mime: string; width: number; height: number; bytes: Buffer },
): Promise<number> {
  const [row] = await knex('inspection_photos')
    .insert({ city, inspection_id: inspection, ...photo })
    .returning('id')
  return Number(row.id)
}

/** Every record of one building or 小区 (newest first), with links to their photos. */
export async function recordsOf(
  knex: Knex,
  city: string,
  year: number,
  target: InspectionTarget,
  code: string,
  base: string,
) {
  const recs = await knex('inspections')
    .where({ city, year, target, unit_code: code, accepted: true })
    .orderBy([
      { column: 'inspected_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .select('id', 'findings', 'dwellings', 'note', 'inspector', 'inspected_at', 'lon', 'lat', 'source', 'matched_by')
  const photos = recs.length
    ? await knex('inspection_photos')
        .whereIn(
          'inspection_id',
          recs.map((r) => r.id),
        )
        .select('id', 'inspection_id', 'mime', 'width', 'height')
        .orderBy('id')
    : []
  return recs.map((r) => ({
    id: Number(r.id),
    findings: r.findings as string[],
    dwellings: r.dwellings,
    note: r.note,
    inspector: r.inspector,
    inspectedAt: r.inspected_at,
    lon: r.lon,
    lat: r.lat,
    source: r.source,
    matchedBy: r.matched_by,
    photos: photos
      .filter((p) => Number(p.inspection_id) === Number(r.id))
      .map((p) => ({ id: Number(p.id), url: `${base}/inspections/photos/${p.id}`, width: p.width, height: p.height })),
  }))
}
