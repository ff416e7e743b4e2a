// Computing a year's indicators and storing them with their provenance; reading results back with
// staleness and year-over-year change; the 问题清单 refreshed from each run.
import type { Knex } from 'knex'
import type { Config } from '../config.ts'
import { canCopy, type Database } from '../db/engine.ts'
import { copyRawRows } from '../db/bulk.ts'
import { inTransaction, onConnection } from '../db/client.ts'
import type { City } from '../cities/store.ts'
import { AppError } from '../errors.ts'
import { type ColumnSet, type ComputeOutput, NETWORK_NEXT, type NetworkFlags, computeSteps } from './compute.ts'
import { cityYearCached } from '../db/cityyear.ts'
import { currentVersions, loadCityModel, settleNetwork, type CityModel } from './model.ts'
import { SOURCE_NAMES } from './population.ts'
import { inspectionsVersion, loadInspectionFacts } from '../inspections/store.ts'
import { networkDistanceModel, networkFlagsAhead } from '../network/indicators.ts'
import { setWriter } from './sets.ts'
import {
  DISTANCE_MODEL,
  definitionsFor,
  indicatorByCode,
  type IndicatorDef,
  type Settings,
  type YearConfig,
} from './registry.ts'

export function yearConfig(knex: Knex, city: string, year: number): Promise<YearConfig> {
  return cityYearCached(
    'config',
    city,
    year,
    async () => (await knex('indicator_config').where({ city, year }).first('config'))?.config ?? {},
  )
}

export function settingsFor(config: Config, yc: YearConfig): Settings {
  return {
    floorAreaPerResident: config.floorAreaPerResident,
    defaultFloors: 6,
    workerShare: 0.5,
    ...(yc.settings ?? {}),
  }
}

export async function definitions(knex: Knex, city: string, year: number): Promise<IndicatorDef[]> {
  return definitionsFor(await yearConfig(knex, city, year))
}

// The last two models stay in memory for what-if questions and repeated runs; each is keyed by the
// data versions, so any upload or restore makes it miss.
const models = new Map<string, { key: string; model: CityModel }>()

/** Forgets the models kept in memory (the benchmarks' cold runs in a warm process). */
export function forgetModels(): void {
  models.clear()
}

export async function modelFor(
  knex: Knex,
  city: City,
  year: number,
  settings: Settings,
  onProgress?: (p: number, m: string) => void,
  opts: { deferNetwork?: boolean } = {},
): Promise<CityModel> {
  const key = JSON.stringify([await currentVersions(knex, city.code, year), settings, city.zone])
  const slot = `${city.code}|${year}`
  const hit = models.get(slot)
  let model = hit && hit.key === key ? hit.model : null
  if (!model) {
    model = await loadCityModel(knex, city, year, settings, onProgress, { deferNetwork: opts.deferNetwork })
    models.delete(slot)
    models.set(slot, { key, model })
    if (models.size > 2) models.delete(models.keys().next().value!)
    // A network that failed to build is not kept: the next caller loads the model again.
    const loaded = model
    model.networkPending?.catch(() => {
      if (models.get(slot)?.model === loaded) models.delete(slot)
    })
  }
  // Only a run asks for the model before its network is joined; everyone else gets it whole.
  if (!opts.deferNetwork) await settleNetwork(model)
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

export interface RunSummary {
  runId: number
  year: number
  indicators: number
  results: number
  problems: number
  buildings: number
  durationMs: number
  warnings: string[]
}

export async function computeYear(
  db: Database,
  config: Config,
  city: City,
  year: number,
  onProgress: (p: number, m: string) => void = () => {},
  jobId?: number,
): Promise<RunSummary> {
  const { knex } = db
  const t0 = Date.now()
  const yc = await yearConfig(knex, city.code, year)
  const defs = definitionsFor(yc)
  const settings = settingsFor(config, yc)
  const versions = await currentVersions(knex, city.code, year)
  if (Object.values(versions).every((v) => v == null))
    throw new AppError('CC_NOT_FOUND', { what: `${city.name} ${year} 年度的数据 / data of ${city.code} for ${year}` })
  // The walking network goes on being joined on its worker while the straight-line indicators are
  // computed here (with COPY, where the network's flags are computed on that worker too).
  const model = await modelFor(knex, city, year, settings, (p, m) => onProgress(p * 0.5, m), {
    deferNetwork: db.supportsCopy,
  })
  // Inspections change often (a record per building visit): read fresh each run, not cached with the model.
  const inspections = await inspectionsVersion(knex, city.code, year)
  const modelWarnings = model.warnings.length
  const facts = await loadInspectionFacts(knex, city.code, year, model)
  model.inspections = facts
  const B = model.b
  const sourceCounts = Object.fromEntries(
    SOURCE_NAMES.map((n, k) => [
      n,
      B.residentsSource.reduce((a, s, i) => a + (s === k && B.residential[i] ? 1 : 0), 0),
    ]),
  )
  // What the run row records beyond its data; the warnings are added once the indicators are done.
  const derived = {
    srid: model.srid,
    districts: model.districts.map((d) => d.code),
    streetDistrict: Array.from(model.streetDistrict),
    streets: model.streets.map((s) => s.code),
    // Each unit's parent, so lists and exports can show "社区, 街道" (names repeat across 街道).
    parents: unitParents(model),
    communities: model.communities.map((c) => c.code),
    areas: model.areas.map((a) => ({
      code: a.code,
      name: a.name,
      community: a.parent >= 0 ? model.communities[a.parent].code : null,
    })),
    residentsSource: sourceCounts,
    residentialBuildings: model.residentialPoints.ids.length,
    floorsDefaulted: B.floorsDefaulted.reduce((a, v) => a + v, 0),
    inspections: {
      buildings: facts.building.index.length,
      areas: facts.area.index.length,
      unmatched: facts.unmatched,
    },
  }
  // Counted as they stream past, not kept: a million row objects held to the end cost the collector
  // seconds of marking they would not cost dying young.
  let results = 0,
    problems = 0
  let allWarnings: string[] = []
  // At city scale a worker computes the walking flags while this thread does everything else.
  const ahead = db.supportsCopy ? networkFlagsAhead(model, defs) : null
  // Computed here after all (a small city, or no walking indicator): the network is needed whole.
  if (!ahead) await settleNetwork(model)
  const netCache = new Map<string, NetworkFlags>()
  const covered = new Map<string, Uint8Array>()
  const computing = computeSteps(model, defs, (p, m) => onProgress(0.5 + p * 0.4, m), {
    deferNetwork: ahead != null,
    netCache,
    covered,
  })
  const steps = db.supportsCopy ? computing : computed(computing)
  const runId = await inTransaction(knex, async (client) => {
    // Results are derived data (a crash loses at most a run that can be recomputed), so the commit
    // need not wait for the WAL flush of ~100 MB of results and arrays at city scale.
    await client.query('SET LOCAL synchronous_commit = off')
    const run = await client.query(
      `INSERT INTO indicator_runs (city, year, job_id, data_versions, definitions, settings, distance_model, building_count, derived) VALUES ($9, $1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
      [
        year,
        jobId ?? null,
        JSON.stringify({ ...model.versions, inspections }),
        JSON.stringify(defs),
        JSON.stringify(settings),
        `${DISTANCE_MODEL}（EPSG:${model.srid}）`,
        B.n,
        JSON.stringify(derived),
        city.code,
      ],
    )
    const id = run.rows[0].id as number
    // What the new run replaces goes first, queued ahead of its results on this connection, so that
    // PostgreSQL deletes it while Node computes the first indicators (at the end, with every result
    // sent, deleting a run's sets held up a 3M city's run 0.37 s): the other runs' per-building arrays
    // (only the latest run of a year needs them), and the runs of the year beyond the kept number, their
    // result sets with them (~24 MB a run at a million buildings). In the run's transaction, one statement
    // at a time (the writer sends its first after these); awaited before the commit, so that a failure
    // there fails the run, as any statement of it.
    const pruning = (async () => {
      await client.query(
        'DELETE FROM indicator_arrays WHERE run_id IN (SELECT id FROM indicator_runs WHERE city = $1 AND year = $2 AND id <> $3)',
        [city.code, year, id],
      )
      await client.query(
        'DELETE FROM indicator_runs WHERE id IN (SELECT id FROM indicator_runs WHERE city = $1 AND year = $2 ORDER BY id DESC OFFSET $3)',
        [city.code, year, Math.max(1, config.keepRuns)],
      )
    })()
    pruning.catch(() => {})
    // Each indicator's sets go to PostgreSQL as soon as they are computed: the database inserts them
    // on its own core while Node computes the next indicator (README: design notes).
    const writer = setWriter(client, city.code, id, { copy: db.supportsCopy, after: pruning })
    // The per-building arrays go the same way: the buildings' now, each coverage bitset once computed.
    const sendArrays = (arrays: [string, Buffer][]) =>
      writer.insert(
        'indicator_arrays',
        'city, run_id, name, data',
        arrays.map(([name, data]) => [city.code, id, name, data]),
      )
    sendArrays(buildingArrays(B))
    const sentFlags = new Set<string>()
    const sendFlags = () => {
      const fresh = [...covered].filter(([code]) => !sentFlags.has(code))
      for (const [code] of fresh) sentFlags.add(code)
      sendArrays(fresh.map(([code, flags]) => [`covered:${code}`, packBits(flags)]))
    }
    let out: IteratorResult<ColumnSet[], Omit<ComputeOutput, 'rows'>>
    try {
      while (!(out = steps.next()).done) {
        if (out.value === NETWORK_NEXT) {
          for (const [key, flags] of await ahead!) netCache.set(key, flags)
          continue
        }
        results += out.value.reduce((a, c) => a + c.value.length, 0)
        problems += failingCount(defs, out.value)
        writer.write(out.value)
        sendFlags()
        // Lets the connection send what is queued before the next indicator holds the thread; far behind
        // (PostgreSQL slower than Node), waits, so the queued sets stay within a bound as the COPY's did.
        if (writer.backlog() > 64 << 20) await writer.settled()
        else await new Promise(setImmediate)
      }
    } catch (e) {
      await writer.abort()
      throw e
    }
    sendFlags()
    onProgress(0.9, 'store results')
    await writer.end()
    // The run's own warnings leave the model (kept in memory for the next run), so they do not pile up.
    const own = model.warnings.splice(modelWarnings)
    const network = model.networkWarning ? [model.networkWarning] : []
    allWarnings = [...model.warnings, ...network, ...own, ...out.value.warnings]
    await pruning
    onProgress(0.98, 'commit')
    await client.query(
      `UPDATE indicator_runs SET duration_ms = $2, derived = derived || jsonb_build_object('warnings', $3::jsonb) WHERE id = $1`,
      [id, Date.now() - t0, JSON.stringify(allWarnings)],
    )
    return id
  })
  await db.events.changed(city.code, year)
  // (what the model's load read or built afresh is kept by now, on its own connection: it is not
  // left writing behind the finished run)
  await model.keeping
  onProgress(1, 'done')
  return {
    runId,
    year,
    indicators: defs.length,
    results,
    problems,
    buildings: B.n,
    durationMs: Date.now() - t0,
    warnings: allWarnings,
  }
}

/**
 * The steps run to the end at once, then replayed: on the embedded engine's one connection a transaction
 * held open while the indicators compute would hold up every other query (job progress, readers).
 */
function computed<T, R>(g: Generator<T, R>): Generator<T, R> {
  const items: T[] = []
  let r = g.next()
  for (; !r.done; r = g.next()) items.push(r.value)
  const last = r.value
  return (function* () {
    yield* items
    return last
  })()
}

/**
 * Named per-building arrays of a run (missing names are absent). On PostgreSQL by a binary COPY: a
 * query sends bytea hex-encoded, and the tiles' 8 MB at a million buildings took 95–165 ms that way.
 */
export async function readRunArrays(knex: Knex, runId: number, names: string[]): Promise<Record<string, Buffer>> {
  if (!canCopy(knex)) {
    const rows = await knex('indicator_arrays').where({ run_id: runId }).whereIn('name', names).select('name', 'data')
    return Object.fromEntries(rows.map((r) => [r.name, Buffer.from(r.data)]))
  }
  return onConnection(knex, async (client) => {
    // COPY takes no parameters: the run id is a number, the names quoted by the driver.
    const list = names.map((n) => client.escapeLiteral(n)).join(', ')
    const rows = await copyRawRows(
      client,
      `SELECT name, data FROM indicator_arrays WHERE run_id = ${Number(runId)} AND name IN (${list || 'NULL'})`,
    )
    return Object.fromEntries(rows.map(([name, data]) => [name!.toString('utf8'), data!]))
  })
}

/** A run's per-building arrays (the gap queries' and tiles' input), as stored in indicator_arrays. */
function buildingArrays(B: CityModel['b']): [string, Buffer][] {
  const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)
  return [
    ['fid', bytes(B.fid)],
    ['residents', bytes(Float32Array.from(B.residents))],
    ['residents_source', Buffer.from(B.residentsSource)],
    ['residential', packBits(B.residential)],
    ['street', bytes(B.street)],
    ['community', bytes(B.community)],
    ['area', bytes(B.area)],
  ]
}

/** Each 社区's 街道, each 小区's 社区 and each 街道's 区, by "level:code". */
function unitParents(model: CityModel): Record<string, { code: string; name: string } | null> {
  // One object filled in place (spreading three objects of ~23,000 keys at a million buildings into a
  // fourth copied each twice, in dictionary mode).
  const out: Record<string, { code: string; name: string } | null> = {}
  const of = (u: { code: string; name: string } | undefined) => (u ? { code: u.code, name: u.name } : null)
  for (const c of model.communities) out[`community:${c.code}`] = of(model.streets[c.street])
  for (const a of model.areas) out[`area:${a.code}`] = of(model.communities[a.parent])
  model.streets.forEach((s, i) => {
    out[`street:${s.code}`] = of(model.districts[model.streetDistrict[i]])
  })
  return out
}

/** How many problems these sets hold: a problem is a failing unit × indicator, in its primary variant. */
function failingCount(defs: IndicatorDef[], sets: ColumnSet[]): number {
  let n = 0
  for (const c of sets) {
    const def = indicatorByCode(defs, c.indicator)
    if (def && c.variant === (def.params.primary ?? 'area')) for (const s of c.status) if (s === 'fail') n++
  }
  return n
}

/** The latest run of a city-year (cached per process; see cityyear.ts). */
export function latestRun(knex: Knex, city: string, year: number): Promise<any> {
  return cityYearCached('run', city, year, () =>
    knex('indicator_runs').where({ city, year }).orderBy('id', 'desc').first(),
  )
}

/** Results are stale when any layer's current version differs from the versions the run used. */
export async function isStale(
  knex: Knex,
  run: { city: string; year: number; data_versions: Record<string, number | null> },
): Promise<boolean> {
  const now = await currentVersions(knex, run.city, run.year)
  if (Object.keys(now).some((k) => (now[k] ?? null) !== (run.data_versions[k] ?? null))) return true
  const v = run.data_versions as Record<string, unknown>
  // Kept like the layer versions (an accepted inspection table is a change notice): this is asked on every read.
  const inspectionsNow = await cityYearCached('inspections-version', run.city, run.year, () =>
    inspectionsVersion(knex, run.city, run.year),
  )
  return v.inspections !== undefined && v.inspections !== inspectionsNow
}

export async function readResults(
  knex: Knex,
  city: string,
  year: number,
  code: string,
  q: { level?: string; variant?: string },
) {
  const defs = await definitions(knex, city, year)
  const def = indicatorByCode(defs, code)
  if (!def) throw new AppError('CC_NOT_FOUND', { what: `指标 ${code} / indicator ${code}` })
  const run = await latestRun(knex, city, year)
  if (!run)
    throw new AppError('CC_NOT_FOUND', {
      what: `${year} 年度的指标计算结果（请先 POST /api/cities/${city}/years/${year}/indicators/compute）/ computed results for ${year}`,
    })
  const variant = q.variant ?? def.params.primary ?? 'area'
  const rows = await knex('indicator_results')
    .where({ run_id: run.id, indicator: code, variant })
    .modify((b) => {
      if (q.level) b.where('level', q.level)
    })
    .orderByRaw(`CASE level WHEN 'city' THEN 0 WHEN 'district' THEN 1 WHEN 'street' THEN 2 ELSE 3 END`)
    .orderBy('unit_code')
  // Year over year: the same unit in the latest run of the year before.
  const prev = await latestRun(knex, city, year - 1)
  const before = new Map<string, number | null>()
  if (prev) {
    for (const r of await knex('indicator_results')
      .where({ run_id: prev.id, indicator: code, variant })
      .select('level', 'unit_code', 'value'))
      before.set(`${r.level}:${r.unit_code}`, r.value)
  }
  return {
    indicator: {
      code: def.code,
      zh: def.zh,
      en: def.en,
      unit: def.unit,
      dimension: def.dimension,
      type: def.type,
      target: def.target ?? null,
      formula: def.formula,
      numerator: def.numerator,
      denominator: def.denominator,
      params: def.params,
      distanceModel: variant.endsWith('@network')
        ? networkDistanceModel((run.settings as Settings)?.network?.walkSpeed ?? 60)
        : run.distance_model,
      source: def.source,
      sourceEn: def.sourceEn ?? null,
    },
    year,
    variant,
    run: { id: run.id, createdAt: run.created_at, dataVersions: run.data_versions, stale: await isStale(knex, run) },
    previousYear: prev ? { year: year - 1, runId: prev.id } : null,
    results: rows.map((r: Record<string, any>) => {
      const p = before.get(`${r.level}:${r.unit_code}`)
      return {
        level: r.level,
        code: r.unit_code,
        name: r.unit_name,
        value: r.value,
        numerator: r.numerator,
        denominator: r.denominator,
        target: r.target,
        status: r.status,
        previous: p ?? null,
        change: p != null && r.value != null ? r.value - p : null,
        ...r.extra,
      }
    }),
  }
}
