// Importing an inspection table: one row per building (or 小区) with its findings. Rows are matched
// to the current layer by code, else by the point inside a footprint (小区 polygon), else by address
// (小区 name) text; the match report lists every row that matched nothing or several. All rows are
// written in one transaction as not yet accepted: when every row matched they are accepted at once,
// otherwise the import waits for the user to accept the matched rows or discard it all.
import type { Knex } from 'knex'
import type pg from 'pg'
import { bulkInsert } from '../db/bulk.ts'
import { inTransaction } from '../db/client.ts'
import type { Database } from '../db/engine.ts'
import { AppError, type Issue, issue, validationError } from '../errors.ts'
import { fromName, toCgcs2000 } from '../import/crs.ts'
import { currentVersions } from '../indicators/model.ts'
import type { Table, TableRow } from './table.ts'
import { type InspectionItem, type InspectionTarget, itemResolver, targetOf } from './vocabulary.ts'

const lower = (s: string) => s.normalize('NFKC').replace(/\s+/g, '').toLowerCase()

/** Accepted column names, as data (first present wins). */
export const COLUMNS = {
  buildingCode: ['building_code', '楼栋编码', '建筑编码', '楼栋代码', 'jzdm', 'bid', 'code', '编码'],
  areaCode: ['area_code', '小区代码', '小区编码', 'xqdm', 'code', '编码'],
  address: ['address', '地址', '门牌地址', '楼栋地址', '楼栋门牌', 'addr', 'dz'],
  areaName: ['area_name', '小区名称', '小区', 'xqmc', 'name', '名称'],
  findings: ['findings', '问题', '问题条目', '检查结果', '发现问题', '存在问题', 'items'],
  inspector: ['inspector', '检查人', '采集人', '调查人', '填报人'],
  inspectedAt: ['inspected_at', '检查日期', '检查时间', '采集时间', '调查日期', 'date'],
  note: ['note', '备注', '说明'],
  dwellings: ['dwellings', '套数', '非成套套数', '涉及套数'],
}
const TRUE = /^(1|是|有|y|yes|true|✓|√|x|存在)$/i
const FALSE = /^(0|否|无|n|no|false|不存在|-)$/i

function column(header: string[], names: string[]): string | undefined {
  for (const n of names) {
    const hit = header.find((h) => lower(h) === lower(n))
    if (hit) return hit
  }
  return undefined
}

export interface ParsedRow {
  n: number
  code: string | null
  lon: number | null
  lat: number | null
  text: string | null
  findings: string[]
  inspector: string | null
  inspectedAt: string | null
  note: string | null
  dwellings: number | null
}

/** Reads the findings and the other fields of every row; every bad cell becomes an issue. */
export function interpret(
  t: Table,
  file: string,
  target: InspectionTarget,
  items: InspectionItem[],
  crs: string | undefined,
): ParsedRow[] {
  const h = t.header
  const codeCol = column(h, target === 'building' ? COLUMNS.buildingCode : COLUMNS.areaCode)
  const textCol = column(h, target === 'building' ? COLUMNS.address : COLUMNS.areaName)
  const mine = items.filter((i) => targetOf(i.indicator) === target)
  const resolve = itemResolver(mine)
  // Item names may hold the separators themselves (外墙饰面、保温层脱落): they are replaced by their
  // codes, longest first, before a cell is split.
  const names = mine
    .flatMap((i) => [i.zh, i.en].map((n) => [n, i.code] as const))
    .sort((a, b) => b[0].length - a[0].length)
  const codesFor = (text: string) => names.reduce((t, [n, c]) => (t.includes(n) ? t.split(n).join(`;${c};`) : t), text)
  // A column per item ("燃气立管锈蚀: 是"), or one findings column listing them.
  const itemCols = h.map((c) => [c, resolve(c)] as const).filter(([c, it]) => it && c !== codeCol && c !== textCol) as [
    string,
    InspectionItem,
  ][]
  const findingsCol = column(h, COLUMNS.findings)
  if (!codeCol && !textCol && !t.rows.some((r) => r.point))
    throw new AppError('CC_INSPECTION_COLUMNS', {
      file,
      missingZh: target === 'building' ? '楼栋编码、坐标或地址' : '小区代码、坐标或小区名称',
      missing: target === 'building' ? 'building code, coordinates or address' : '小区 code, coordinates or name',
      names: (target === 'building' ? COLUMNS.buildingCode : COLUMNS.areaCode).join('/'),
      available: h.join(', '),
    })
  if (!findingsCol && !itemCols.length)
    throw new AppError('CC_INSPECTION_COLUMNS', {
      file,
      missingZh: '检查结果（问题条目）',
      missing: 'findings',
      names: `${COLUMNS.findings.join('/')}，或以条目名称为列名 / or one column per item`,
      available: h.join(', '),
    })
  const col = (names: string[]) => column(h, names)
  const [inspCol, dateCol, noteCol, dwCol] = [
    col(COLUMNS.inspector),
    col(COLUMNS.inspectedAt),
    col(COLUMNS.note),
    col(COLUMNS.dwellings),
  ]
  const transform = crs ? toCgcs2000(fromName(crs)) : null
  const issues: Issue[] = []
  const out: ParsedRow[] = []
  for (const r of t.rows) {
    const bad = (code: Parameters<typeof issue>[0], p: Record<string, unknown>) =>
      issues.push(issue(code, { file, feature: r.n, ...p }))
    for (const [k, v] of Object.entries(r.cells))
      if (v && /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(v)) bad('CC_FIELD_CONTROL_CHAR', { field: k })
    const findings = new Set<string>()
    const listed = findingsCol ? r.cells[findingsCol] : null
    if (listed)
      for (const part of codesFor(listed)
        .split(/[;；,，、|\n]+/)
        .map((s) => s.trim())) {
        if (!part || /^(无|没有|none|-)$/i.test(part)) continue
        const it = resolve(part)
        if (it) findings.add(it.code)
        else
          bad('CC_FIELD_UNKNOWN_VALUE', {
            field: findingsCol,
            value: part,
            allowed: 'GET …/inspections/vocabulary',
          })
      }
    for (const [c, it] of itemCols) {
      const v = r.cells[c]
      if (v == null || FALSE.test(v)) continue
      if (TRUE.test(v)) findings.add(it.code)
      else bad('CC_FIELD_TYPE', { field: c, value: v, expectedZh: '是/否', expected: 'yes/no' })
    }
    let dwellings: number | null = null
    if (dwCol && r.cells[dwCol] != null) {
      const d = Number(r.cells[dwCol])
      if (!Number.isInteger(d) || d < 0 || d > 100000)
        bad('CC_FIELD_RANGE', { field: dwCol, value: r.cells[dwCol], min: 0, max: 100000 })
      else dwellings = d
    }
    let inspectedAt: string | null = null
    if (dateCol && r.cells[dateCol] != null) {
      const raw = r.cells[dateCol]!.replace(/年|月/g, '-').replace(/日/, '').replace(/\//g, '-')
      const d = new Date(raw)
      if (Number.isNaN(d.getTime()) || d.getFullYear() < 2000 || d.getFullYear() > 2100)
        bad('CC_FIELD_TYPE', { field: dateCol, value: r.cells[dateCol], expectedZh: '日期', expected: 'a date' })
      else inspectedAt = d.toISOString()
    }
    let lon: number | null = null,
      lat: number | null = null
    if (r.point) {
      ;[lon, lat] = transform ? transform(r.point[0], r.point[1]) : r.point
      if (!(lon >= 73 && lon <= 136 && lat >= 3 && lat <= 54)) {
        bad('CC_COORDS_OUTSIDE_CHINA', { x: r.point[0], y: r.point[1] })
        lon = lat = null
      }
    }
    const note = noteCol ? r.cells[noteCol] : null
    if (note && note.length > 2000) bad('CC_FIELD_RANGE', { field: noteCol, value: note.length, min: 0, max: 2000 })
    out.push({
      n: r.n,
      code: codeCol ? r.cells[codeCol] : null,
      lon,
      lat,
      text: textCol ? r.cells[textCol] : null,
      findings: [...findings],
      inspector: inspCol ? r.cells[inspCol] : null,
      inspectedAt,
      note,
      dwellings,
    })
  }
  if (issues.length) throw validationError(file, issues)
  return out
}

export interface MatchReport {
  rows: number
  matched: { code: number; point: number; address: number }
  unmatched: { row: number; code: string | null; reason: string }[]
  ambiguous: { row: number; candidates: string[]; by: 'point' | 'address' }[]
}

/** What matching left for the report: the rows that matched nothing or several. */
interface Unresolved {
  rn: number
  candidates: string[]
}

/**
 * Matches rows to the current layer in the database, all in SQL: by code (a hash join), by the
 * point inside a footprint (the layer's GiST index), by normalised text. One pass per rule over the
 * rows the previous rules left. The rows stay in the temp table `ins_match` for storing.
 */
export async function matchRows(
  client: pg.ClientBase,
  copy: boolean,
  target: InspectionTarget,
  upload: number,
  rows: ParsedRow[],
  onStage: (stage: string) => void = () => {},
): Promise<{ counts: MatchReport['matched']; unresolved: Unresolved[] }> {
  const table = target === 'building' ? 'buildings' : 'residential_areas'
  const textCol = target === 'building' ? 'address' : 'name'
  await client.query(
    `CREATE TEMP TABLE ins_match (rn int PRIMARY KEY, code text, lon float8, lat float8, txt text,
       findings text[], dwellings int, note text, inspector text, inspected_at timestamptz,
       unit text, how text, cands text[]) ON COMMIT DROP`,
  )
  await bulkInsert(
    client,
    'ins_match',
    ['rn', 'code', 'lon', 'lat', 'txt', 'findings', 'dwellings', 'note', 'inspector', 'inspected_at'],
    rows.map((r) => [
      r.n,
      r.code,
      r.lon,
      r.lat,
      r.text ? lower(r.text) : null,
      `{${r.findings.join(',')}}`,
      r.dwellings,
      r.note,
      r.inspector,
      r.inspectedAt,
    ]),
    { copy, total: rows.length },
  )
  await client.query('ANALYZE ins_match')
  onStage('match by code')
  await client.query(
    `UPDATE ins_match m SET unit = b.code, how = 'code' FROM ${table} b
     WHERE b.upload_id = $1 AND m.code IS NOT NULL AND b.code = m.code`,
    [upload],
  )
  // Each later rule runs only when rows are left for it (the text rule would otherwise normalise
  // every building's address for nothing).
  const left = async (cond: string) =>
    (await client.query(`SELECT EXISTS (SELECT 1 FROM ins_match WHERE unit IS NULL AND ${cond}) AS any`)).rows[0].any
  onStage('match by point')
  if (await left('lon IS NOT NULL'))
    await client.query(
      `UPDATE ins_match m SET cands = c.codes, unit = CASE WHEN cardinality(c.codes) = 1 THEN c.codes[1] END,
       how = CASE WHEN cardinality(c.codes) = 1 THEN 'point' END
     FROM (SELECT m2.rn, array_agg(b.code ORDER BY b.code) codes FROM ins_match m2
           JOIN ${table} b ON b.upload_id = $1 AND ST_Intersects(b.geom, ST_SetSRID(ST_MakePoint(m2.lon, m2.lat), 4490))
           WHERE m2.unit IS NULL AND m2.lon IS NOT NULL GROUP BY m2.rn) c
     WHERE m.rn = c.rn`,
      [upload],
    )
  onStage('match by address')
  if (await left('cands IS NULL AND txt IS NOT NULL'))
    await client.query(
      `UPDATE ins_match m SET cands = c.codes, unit = CASE WHEN cardinality(c.codes) = 1 THEN c.codes[1] END,
       how = CASE WHEN cardinality(c.codes) = 1 THEN 'address' END
     FROM (SELECT m2.rn, array_agg(b.code ORDER BY b.code) codes FROM ins_match m2
           JOIN ${table} b ON b.upload_id = $1
             AND lower(regexp_replace(normalize(b.${textCol}, NFKC), '\\s', '', 'g')) = m2.txt
           WHERE m2.unit IS NULL AND m2.cands IS NULL AND m2.txt IS NOT NULL GROUP BY m2.rn) c
     WHERE m.rn = c.rn`,
      [upload],
    )
  const counts = { code: 0, point: 0, address: 0 }
  for (const r of (await client.query('SELECT how, count(*)::int n FROM ins_match WHERE how IS NOT NULL GROUP BY how'))
    .rows)
    counts[r.how as keyof typeof counts] = r.n
  const unresolved = await client.query('SELECT rn, cands FROM ins_match WHERE unit IS NULL ORDER BY rn')
  return { counts, unresolved: unresolved.rows.map((x) => ({ rn: x.rn, candidates: x.cands ?? [] })) }
}

export function reportOf(rows: ParsedRow[], matched: MatchReport['matched'], unresolved: Unresolved[]): MatchReport {
  const byRn = new Map(rows.map((r) => [r.n, r]))
  const rep: MatchReport = { rows: rows.length, matched, unmatched: [], ambiguous: [] }
  for (const m of unresolved) {
    const r = byRn.get(m.rn)!
    if (m.candidates.length > 1)
      rep.ambiguous.push({ row: m.rn, candidates: m.candidates.slice(0, 20), by: r.lon != null ? 'point' : 'address' })
    else {
      const reason = [
        r.code ? `编码 ${r.code} 不在当前图层中 / code ${r.code} is not in the current layer` : null,
        r.lon != null ? '坐标不在任何轮廓内 / the point lies in no footprint' : null,
        r.text ? '地址（名称）无匹配 / no address (name) match' : null,
      ].filter(Boolean)
      rep.unmatched.push({
        row: m.rn,
        code: r.code,
        reason: reason.length ? reason.join('；') : '没有编码、坐标或地址 / no code, point or address',
      })
    }
  }
  return rep
}

export interface ImportResult {
  id: number
  status: 'accepted' | 'pending'
  target: InspectionTarget
  report: MatchReport
  stored: number
}

export async function importInspections(
  db: Database,
  city: string,
  year: number,
  t: {
    file: string
    table: Table
    target: InspectionTarget
    crs?: string
    by: string
    items: InspectionItem[]
    /** called as each stage starts (check, copy, match by code/point/address, store) */
    onStage?: (stage: string) => void
  },
): Promise<ImportResult> {
  const onStage = t.onStage ?? (() => {})
  onStage('check')
  const rows = interpret(t.table, t.file, t.target, t.items, t.crs)
  const v = await currentVersions(db.knex, city, year)
  const upload = t.target === 'building' ? v.buildings : v['residential-areas']
  if (upload == null)
    throw new AppError('CC_NOT_FOUND', {
      what: `${year} 年度的${t.target === 'building' ? '建筑' : '小区'}图层（先上传，检查记录才能匹配）/ the ${year} ${t.target === 'building' ? 'buildings' : 'residential-areas'} layer (upload it first)`,
    })
  return inTransaction(db.knex, async (client) => {
    onStage('copy')
    const { counts, unresolved } = await matchRows(client, db.supportsCopy, t.target, upload, rows, onStage)
    const report = reportOf(rows, counts, unresolved)
    const complete = !report.unmatched.length && !report.ambiguous.length
    onStage('store')
    const imp = await client.query(
      `INSERT INTO inspection_imports (city, year, target, status, file_name, report, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [city, year, t.target, complete ? 'accepted' : 'pending', t.file, JSON.stringify(report), t.by],
    )
    const id = Number(imp.rows[0].id)
    // Straight from the temp table: the rows never travel back to Node.
    const stored = await client.query(
      `INSERT INTO inspections (city, year, target, unit_code, findings, dwellings, note, inspector, inspected_at,
         lon, lat, source, import_id, matched_by, accepted)
       SELECT $1, $2, $3, unit, findings, dwellings, note, coalesce(inspector, $4), coalesce(inspected_at, now()),
         lon, lat, 'import', $5, how, $6
       FROM ins_match WHERE unit IS NOT NULL ORDER BY rn`,
      [city, year, t.target, t.by, id, complete],
    )
    return { id, status: complete ? 'accepted' : 'pending', target: t.target, report, stored: stored.rowCount ?? 0 }
  })
}

/** Accepts the matched rows of a pending import (the unmatched ones are left out), or discards it. */
export async function decideImport(
  knex: Knex,
  city: string,
  id: number,
  decision: 'accept' | 'discard',
  by: string,
): Promise<{ id: number; status: string; year: number; stored: number }> {
  return knex.transaction(async (trx) => {
    const imp = await trx('inspection_imports').where({ city, id }).forUpdate().first()
    if (!imp) throw new AppError('CC_NOT_FOUND', { what: `检查表导入 ${id} / inspection import ${id}` })
    if (imp.status !== 'pending')
      throw new AppError('CC_IMPORT_DECIDED', {
        id,
        state: imp.status,
        stateZh: imp.status === 'accepted' ? '接受' : '放弃',
      })
    let stored = 0
    if (decision === 'accept') stored = await trx('inspections').where({ import_id: id }).update({ accepted: true })
    else await trx('inspections').where({ import_id: id }).delete()
    const status = decision === 'accept' ? 'accepted' : 'discarded'
    await trx('inspection_imports').where({ id }).update({ status, decided_by: by, decided_at: trx.fn.now() })
    return { id, status, year: imp.year as number, stored }
  })
}

export type { TableRow }
