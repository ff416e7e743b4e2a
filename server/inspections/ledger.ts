// The building-level 问题台账: every building whose latest inspection found something is one
// problem per indicator (its items, the worst item's severity), located and placed in its 小区, 社区
// and 街道. They join the 问题清单 beside the unit problems, with statuses and history kept the same
// way. Derived at read time from the records, memoised per inspections version.
import type { Knex } from 'knex'
import { AppError } from '../errors.ts'
import { currentVersions } from '../indicators/model.ts'
import { type IndicatorDef, indicatorByCode } from '../indicators/registry.ts'
import { memo } from '../indicators/runcache.ts'
import { SEVERITY_EN, type Severity } from '../problems/grade.ts'
import { inspectionsVersion, recordsOf, vocabulary } from './store.ts'
import type { InspectionItem } from './vocabulary.ts'

const RANK: Record<Severity, number> = { 一般: 0, 较重: 1, 严重: 2 }
const ORDER: Severity[] = ['一般', '较重', '严重']

export interface LedgerEntry {
  id: string
  indicator: string
  indicatorZh: string
  indicatorEn: string
  dimension: string
  type: string
  unitOfMeasure: string
  variant: string
  level: 'building'
  unitCode: string
  unitName: string
  parent: { code: string; name: string } | null
  street: { code: string; name: string } | null
  area: { code: string; name: string } | null
  lon: number | null
  lat: number | null
  items: { code: string; zh: string; en: string; severity: Severity }[]
  inspectedAt: string
  inspector: string
  value: number
  target: number
  band: null
  shortfall: null
  severity: Severity
  severityEn: string
  score: number
  suggestion: string
  previous: null
  change: null
  gapResidents: null
  runId: null
  links: Record<string, string>
}

/** One building × indicator entry for each latest record with findings. */
export async function ledgerProblems(
  knex: Knex,
  city: string,
  year: number,
  defs: IndicatorDef[],
): Promise<LedgerEntry[]> {
  const version = await inspectionsVersion(knex, city, year)
  if (version.startsWith('0:')) return []
  const v = await currentVersions(knex, city, year)
  if (v.buildings == null) return []
  const items = await vocabulary(knex, city, year)
  return memo(`ledger|${city}|${year}|${version}|${JSON.stringify(v)}|${items.length}`, async () => {
    const byCode = new Map<string, InspectionItem>(items.map((i) => [i.code, i]))
    // Each building's 社区, 街道 and 小区: the unit its point-on-surface lies in (GiST lookups).
    const unit = (table: string, upload: number | null, as: string) =>
      upload == null
        ? `LEFT JOIN LATERAL (SELECT NULL::text code, NULL::text name) ${as} ON true`
        : `LEFT JOIN LATERAL (SELECT u.code, u.name FROM ${table} u
             WHERE u.upload_id = ${Number(upload)} AND ST_Intersects(u.geom, p.pt) LIMIT 1) ${as} ON true`
    const r = await knex.raw(
      `WITH latest AS (
         SELECT DISTINCT ON (unit_code) unit_code, findings, inspector, inspected_at FROM inspections
         WHERE city = ? AND year = ? AND target = 'building' AND accepted
         ORDER BY unit_code, inspected_at DESC, id DESC)
       SELECT l.unit_code, l.findings, l.inspector, l.inspected_at, b.name, ST_X(p.pt) lon, ST_Y(p.pt) lat,
         c.code c_code, c.name c_name, s.code s_code, s.name s_name, a.code a_code, a.name a_name
       FROM latest l JOIN buildings b ON b.upload_id = ? AND b.code = l.unit_code
       CROSS JOIN LATERAL (SELECT ST_PointOnSurface(b.geom) pt) p
       ${unit('communities', v.communities, 'c')}
       ${unit('streets', v.streets, 's')}
       ${unit('residential_areas', v['residential-areas'], 'a')}
       WHERE cardinality(l.findings) > 0`,
      [city, year, v.buildings],
    )
    const out: LedgerEntry[] = []
    for (const row of r.rows as Record<string, any>[]) {
      const { c_code: cCode, c_name: cName, s_code: sCode, s_name: sName, a_code: aCode, a_name: aName } = row
      const perIndicator = new Map<string, InspectionItem[]>()
      for (const f of row.findings as string[]) {
        const it = byCode.get(f)
        if (!it) continue
        perIndicator.set(it.indicator, [...(perIndicator.get(it.indicator) ?? []), it])
      }
      for (const [code, its] of perIndicator) {
        const def = indicatorByCode(defs, code)
        if (!def) continue
        const worst = ORDER[Math.max(...its.map((i) => RANK[i.severity]))]
        // 底线 first, then by the worst item: the same ordering idea as the unit problems.
        const score = (def.type === '底线' ? 1 : 0) + [0.3, 0.6, 1][RANK[worst]]
        out.push({
          id: `${code}:building:${row.unit_code}`,
          indicator: code,
          indicatorZh: def.zh,
          indicatorEn: def.en,
          dimension: def.dimension,
          type: def.type,
          unitOfMeasure: '项',
          variant: 'value',
          level: 'building',
          unitCode: row.unit_code,
          unitName: row.name ?? row.unit_code,
          parent: cCode ? { code: cCode, name: cName } : null,
          street: sCode ? { code: sCode, name: sName } : null,
          area: aCode ? { code: aCode, name: aName } : null,
          lon: row.lon,
          lat: row.lat,
          items: its.map((i) => ({ code: i.code, zh: i.zh, en: i.en, severity: i.severity })),
          inspectedAt: row.inspected_at,
          inspector: row.inspector,
          value: its.length,
          target: 0,
          band: null,
          shortfall: null,
          severity: worst,
          severityEn: SEVERITY_EN[worst],
          score,
          suggestion: `逐项整改：${its.map((i) => i.zh).join('、')}（整改后复查销号）`,
          previous: null,
          change: null,
          gapResidents: null,
          runId: null,
          links: { building: `/api/cities/${city}/years/${year}/buildings/${encodeURIComponent(row.unit_code)}` },
        })
      }
    }
    return out
  })
}

/** 一栋一档: the building's footprint and attributes, its units, every inspection and its problems. */
export async function ledgerOf(knex: Knex, city: string, year: number, code: string, base: string) {
  const v = await currentVersions(knex, city, year)
  if (v.buildings == null)
    throw new AppError('CC_NOT_FOUND', { what: `${year} 年度的建筑图层 / the ${year} buildings layer` })
  const b = await knex('buildings')
    .where({ upload_id: v.buildings, code })
    .first(
      'code',
      'name',
      'floors',
      'height',
      'use',
      'residential',
      'built_year',
      'households',
      'residents',
      'address',
      knex.raw('ST_AsGeoJSON(geom, 7)::json AS geometry'),
      knex.raw('ST_X(ST_PointOnSurface(geom)) AS lon'),
      knex.raw('ST_Y(ST_PointOnSurface(geom)) AS lat'),
    )
  if (!b) throw new AppError('CC_NOT_FOUND', { what: `楼栋 ${code} / building ${code}` })
  const { definitions } = await import('../indicators/service.ts')
  const defs = await definitions(knex, city, year)
  const problems = (await ledgerProblems(knex, city, year, defs)).filter((p) => p.unitCode === code)
  const statuses = await knex('problem_status').where({ city, year, level: 'building', unit_code: code })
  const history = await knex('problem_events')
    .where({ city, year, level: 'building', unit_code: code })
    .orderBy('id')
    .select('indicator', 'status', 'note', 'by', 'at')
  const { geometry, lon, lat, ...attributes } = b
  const first = problems[0]
  return {
    year,
    building: { ...attributes, lon, lat },
    geometry,
    units: first ? { area: first.area, community: first.parent, street: first.street } : null,
    records: await recordsOf(knex, city, year, 'building', code, base),
    problems: problems.map((p) => {
      const s = statuses.find((x) => x.indicator === p.indicator)
      return { ...p, status: s?.status ?? '待整改', note: s?.note ?? null }
    }),
    history,
  }
}
