// Computing a year's indicators and storing them with their provenance; reading results back with
// staleness and year-over-year change; the 问题清单 refreshed from each run.
import type { Knex } from 'knex'
import type { Config } from '../config.ts'
import { AppError } from '../errors.ts'
import { computeAll, type ResultRow } from './compute.ts'
import { currentVersions, loadCityModel, type CityModel } from './model.ts'
import { SOURCE_NAMES } from './population.ts'
import { DISTANCE_MODEL, definitionsFor, indicatorByCode, type IndicatorDef, type Settings, type YearConfig } from './registry.ts'
import { grade, suggestionFor } from '../problems/grade.ts'

export async function yearConfig(knex: Knex, year: number): Promise<YearConfig> {
  return (await knex('indicator_config').where({ year }).first('config'))?.config ?? {}
}

export function settingsFor(config: Config, yc: YearConfig): Settings {
  return { floorAreaPerResident: config.floorAreaPerResident, defaultFloors: 6, workerShare: 0.5, ...(yc.settings ?? {}) }
}

export async function definitions(knex: Knex, year: number): Promise<IndicatorDef[]> {
  return definitionsFor(await yearConfig(knex, year))
}

// The last model per year stays in memory for what-if questions and repeated runs; it is keyed by
// the data versions, so any upload or restore makes it miss.
const models = new Map<number, { key: string; model: CityModel }>()

export async function modelFor(knex: Knex, year: number, settings: Settings, onProgress?: (p: number, m: string) => void): Promise<CityModel> {
  const key = JSON.stringify([await currentVersions(knex, year), settings])
  const hit = models.get(year)
  if (hit && hit.key === key) return hit.model
  const model = await loadCityModel(knex, year, settings, onProgress)
  models.set(year, { key, model })
  if (models.size > 2) models.delete(models.keys().next().value!)
  return model
}

/** Packs a 0/1 array into bits (1 MB of flags → 125 KB). */
export function packBits(a: Uint8Array): Buffer {
  const out = Buffer.alloc(Math.ceil(a.length / 8))
  for (let i = 0; i < a.length; i++) if (a[i]) out[i >> 3] |= 1 << (i & 7)
  return out
}
export function unpackBit(buf: Uint8Array, i: number): boolean {
  return (buf[i >> 3] & (1 << (i & 7))) !== 0
}

export interface RunSummary { runId: number; year: number; indicators: number; results: number; problems: number; buildings: number; durationMs: number; warnings: string[] }

export async function computeYear(knex: Knex, config: Config, year: number, onProgress: (p: number, m: string) => void = () => {}, jobId?: number): Promise<RunSummary> {
  const t0 = Date.now()
  const yc = await yearConfig(knex, year)
  const defs = definitionsFor(yc)
  const settings = settingsFor(config, yc)
  const versions = await currentVersions(knex, year)
  if (Object.values(versions).every((v) => v == null)) throw new AppError('CC_NOT_FOUND', { what: `${year} 年度的数据 / data for ${year}` })
  const model = await modelFor(knex, year, settings, (p, m) => onProgress(p * 0.5, m))
  const out = computeAll(model, defs, (p, m) => onProgress(0.5 + p * 0.3, m))
  onProgress(0.85, 'store')

  const B = model.b
  const sourceCounts = Object.fromEntries(SOURCE_NAMES.map((n, k) => [n, B.residentsSource.reduce((a, s, i) => a + (s === k && B.residential[i] ? 1 : 0), 0)]))
  const runId = await knex.transaction(async (trx) => {
    const [{ id }] = await trx('indicator_runs').insert({
      year, job_id: jobId ?? null, data_versions: JSON.stringify(model.versions), definitions: JSON.stringify(defs), settings: JSON.stringify(settings),
      distance_model: `${DISTANCE_MODEL}（EPSG:${model.srid}）`, building_count: B.n,
      derived: JSON.stringify({ srid: model.srid, streets: model.streets.map((s) => s.code), communities: model.communities.map((c) => c.code), residentsSource: sourceCounts, residentialBuildings: model.residentialPoints.ids.length, floorsDefaulted: B.floorsDefaulted.reduce((a, v) => a + v, 0), warnings: model.warnings }),
    }).returning('id')
    const rows = out.rows.map((r) => ({ run_id: id, ...r, extra: JSON.stringify(r.extra) }))
    for (let i = 0; i < rows.length; i += 1000) await trx('indicator_results').insert(rows.slice(i, i + 1000))
    const arrays: [string, Buffer][] = [
      ['fid', Buffer.from(B.fid.buffer, B.fid.byteOffset, B.fid.byteLength)],
      ['residents', Buffer.from(Float32Array.from(B.residents).buffer)],
      ['residents_source', Buffer.from(B.residentsSource)],
      ['residential', packBits(B.residential)],
      ['street', Buffer.from(B.street.buffer, B.street.byteOffset, B.street.byteLength)],
      ['community', Buffer.from(B.community.buffer, B.community.byteOffset, B.community.byteLength)],
      ...[...out.covered].map(([code, flags]): [string, Buffer] => [`covered:${code}`, packBits(flags)]),
    ]
    for (const [name, data] of arrays) await trx('indicator_arrays').insert({ run_id: id, name, data })
    // Per-building arrays are only needed for the latest run of a year.
    await trx('indicator_arrays').whereIn('run_id', trx('indicator_runs').select('id').where({ year }).whereNot({ id })).delete()
    await trx('indicator_runs').where({ id }).update({ duration_ms: Date.now() - t0 })
    return id as number
  })
  const problems = await refreshProblems(knex, year, runId, defs, out.rows)
  onProgress(1, 'done')
  return { runId, year, indicators: defs.length, results: out.rows.length, problems, buildings: B.n, durationMs: Date.now() - t0, warnings: model.warnings }
}

/** Every failing unit × indicator (primary variant) becomes or stays a problem; the rest go inactive. Statuses users set are kept. */
export async function refreshProblems(knex: Knex, year: number, runId: number, defs: IndicatorDef[], rows: ResultRow[]): Promise<number> {
  const failing = rows.filter((r) => {
    const def = indicatorByCode(defs, r.indicator)
    return def && r.status === 'fail' && r.variant === (def.params.primary ?? 'area')
  })
  await knex.transaction(async (trx) => {
    await trx('problems').where({ year }).update({ active: false })
    const recs = failing.map((r) => {
      const def = indicatorByCode(defs, r.indicator)!
      const g = grade(def, r.value!)
      return {
        year, indicator: r.indicator, variant: r.variant, level: r.level, unit_code: r.unit_code, unit_name: r.unit_name, run_id: runId, active: true,
        value: r.value, target: r.target, severity: g.severity, score: g.score, suggestion: suggestionFor(def, r),
        details: JSON.stringify({ ...r.extra, shortfall: g.shortfall, type: def.type, dimension: def.dimension, numerator: r.numerator, denominator: r.denominator }),
        first_seen_run: runId,
      }
    })
    for (let i = 0; i < recs.length; i += 500) {
      await trx('problems').insert(recs.slice(i, i + 500)).onConflict(['year', 'indicator', 'variant', 'level', 'unit_code'])
        .merge(['unit_name', 'run_id', 'active', 'value', 'target', 'severity', 'score', 'suggestion', 'details'])
    }
  })
  return failing.length
}

export async function latestRun(knex: Knex, year: number) {
  return knex('indicator_runs').where({ year }).orderBy('id', 'desc').first()
}

/** Results are stale when any layer's current version differs from the versions the run used. */
export async function isStale(knex: Knex, run: { year: number; data_versions: Record<string, number | null> }): Promise<boolean> {
  const now = await currentVersions(knex, run.year)
  return Object.keys(now).some((k) => (now[k] ?? null) !== (run.data_versions[k] ?? null))
}

export async function readResults(knex: Knex, year: number, code: string, q: { level?: string; variant?: string }) {
  const defs = await definitions(knex, year)
  const def = indicatorByCode(defs, code)
  if (!def) throw new AppError('CC_NOT_FOUND', { what: `指标 ${code} / indicator ${code}` })
  const run = await latestRun(knex, year)
  if (!run) throw new AppError('CC_NOT_FOUND', { what: `${year} 年度的指标计算结果（请先 POST /api/years/${year}/indicators/compute）/ computed results for ${year}` })
  const variant = q.variant ?? def.params.primary ?? 'area'
  const rows = await knex('indicator_results').where({ run_id: run.id, indicator: code, variant }).modify((b) => { if (q.level) b.where('level', q.level) })
    .orderByRaw(`CASE level WHEN 'city' THEN 0 WHEN 'street' THEN 1 ELSE 2 END`).orderBy('unit_code')
  // Year over year: the same unit in the latest run of the year before.
  const prev = await latestRun(knex, year - 1)
  const before = new Map<string, number | null>()
  if (prev) {
    for (const r of await knex('indicator_results').where({ run_id: prev.id, indicator: code, variant }).select('level', 'unit_code', 'value')) before.set(`${r.level}:${r.unit_code}`, r.value)
  }
  return {
    indicator: { code: def.code, zh: def.zh, en: def.en, unit: def.unit, dimension: def.dimension, type: def.type, target: def.target ?? null, formula: def.formula, numerator: def.numerator, denominator: def.denominator, params: def.params, distanceModel: run.distance_model, source: def.source },
    year, variant, run: { id: run.id, createdAt: run.created_at, dataVersions: run.data_versions, stale: await isStale(knex, run) },
    previousYear: prev ? { year: year - 1, runId: prev.id } : null,
    results: rows.map((r: Record<string, any>) => {
      const p = before.get(`${r.level}:${r.unit_code}`)
      return { level: r.level, code: r.unit_code, name: r.unit_name, value: r.value, numerator: r.numerator, denominator: r.denominator, target: r.target, status: r.status, previous: p ?? null, change: p != null && r.value != null ? r.value - p : null, ...r.extra }
    }),
  }
}
