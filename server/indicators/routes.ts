import type { FastifyInstance } from 'fastify'
import type { Knex } from 'knex'
import { cachedReply, digest, memo, sendReply } from './runcache.ts'
import type { AppContext } from '../context.ts'
import { AppError } from '../errors.ts'
import { checkYear } from '../import/pipeline.ts'
import { coverageGaps, whatIf } from './gaps.ts'
import { INDICATORS, definitionsFor, type YearConfig } from './registry.ts'
import { localItemProblem } from '../inspections/vocabulary.ts'
import { definitions, isStale, latestRun, readResults, yearConfig } from './service.ts'

const LEVEL_ENUM = ['city', 'district', 'street', 'community', 'area']

/** A run's results by unit (one read per run; unit_code is not indexed, and cards are asked for often). */
function unitResults(knex: Knex, runId: number) {
  return memo(`units|${runId}`, async () => {
    const m = new Map<string, Record<string, any>[]>()
    const rows = await knex('indicator_results')
      .where({ run_id: runId })
      .select('indicator', 'variant', 'level', 'unit_code', 'unit_name', 'value', 'status')
    for (const r of rows) {
      const list = m.get(r.unit_code)
      if (list) list.push(r)
      else m.set(r.unit_code, [r])
    }
    return m
  })
}
/** Indicator codes (and local ones) are plain identifiers: they end up in URLs, files and pages. */
const CODE_RE = /^[a-z][a-z0-9_]{1,63}$/

const yearParam = { type: 'object', properties: { year: { type: 'integer' } }, required: ['year'] }
const codeParam = {
  type: 'object',
  properties: { year: { type: 'integer' }, code: { type: 'string' } },
  required: ['year', 'code'],
}

export default async function indicatorRoutes(app: FastifyInstance, ctx: AppContext) {
  const { knex } = ctx.db

  app.get(
    '/indicators',
    {
      schema: {
        summary: '指标体系（定义即数据）/ The indicator registry',
        tags: ['indicators'],
        querystring: {
          type: 'object',
          properties: { year: { type: 'integer', description: 'apply that year’s overrides and local indicators' } },
        },
      },
    },
    async (req) => {
      const { year } = req.query as { year?: number }
      return { indicators: year ? await definitions(knex, req.city.code, checkYear(year)) : INDICATORS }
    },
  )

  app.get(
    '/years/:year/indicator-config',
    {
      schema: {
        summary: '年度指标配置 / A year’s target overrides and local indicators',
        tags: ['indicators'],
        params: yearParam,
      },
    },
    async (req) => ({
      year: (req.params as { year: number }).year,
      config: await yearConfig(knex, req.city.code, checkYear((req.params as { year: number }).year)),
    }),
  )

  app.put(
    '/years/:year/indicator-config',
    {
      config: { right: 'indicators:configure' },
      schema: {
        summary: '设置年度目标值覆盖、参数与地方特色指标 / Set a year’s overrides and local 特色 indicators',
        tags: ['indicators'],
        params: yearParam,
        security: [{ bearer: [] }],
        body: {
          type: 'object',
          properties: {
            targets: { type: 'object' },
            params: { type: 'object' },
            local: { type: 'array' },
            settings: { type: 'object' },
            inspectionItems: { type: 'array', maxItems: 500 },
          },
          additionalProperties: false,
        },
      },
    },
    async (req) => {
      const year = checkYear((req.params as { year: number }).year)
      const by = req.principal!.name
      const config = req.body as YearConfig
      const kinds = new Set(INDICATORS.map((d) => d.kind))
      for (const [i, l] of (config.local ?? []).entries()) {
        if (!l?.code || !l.zh || !kinds.has(l.kind))
          throw new AppError('CC_OPTION_INVALID', {
            option: `local[${i}]`,
            field: 'local',
            reason: `需要 code、zh 和已知的 kind（${[...kinds].join(', ')}） / needs code, zh and a known kind`,
          })
        if (!CODE_RE.test(String(l.code)))
          throw new AppError('CC_OPTION_INVALID', {
            option: `local[${i}].code`,
            field: 'code',
            reason:
              '指标代码只能由小写字母、数字和下划线组成（2–64 个字符）/ an indicator code is 2–64 lowercase letters, digits and underscores',
          })
      }
      const counted = new Set(INDICATORS.filter((d) => d.kind === 'inspection_count').map((d) => d.code))
      for (const [i, it] of (config.inspectionItems ?? []).entries()) {
        const why = localItemProblem(it, counted)
        if (why)
          throw new AppError('CC_OPTION_INVALID', {
            option: `inspectionItems[${i}]`,
            field: 'inspectionItems',
            reason: why,
          })
        it.indicator = it.code.split('.')[0]
        it.en = it.en ?? it.zh
      }
      for (const code of [...Object.keys(config.targets ?? {}), ...Object.keys(config.params ?? {})]) {
        if (!definitionsFor(config).some((d) => d.code === code))
          throw new AppError('CC_OPTION_INVALID', {
            option: code,
            field: 'targets',
            reason: '没有这个指标 / no such indicator',
          })
      }
      await knex('indicator_config')
        .insert({ city: req.city.code, year, config: JSON.stringify(config), updated_by: by })
        .onConflict(['city', 'year'])
        .merge()
      await ctx.db.events.changed(req.city.code, year)
      return { year, config }
    },
  )

  app.post(
    '/years/:year/indicators/compute',
    {
      config: { right: 'indicators:compute' },
      schema: {
        summary: '计算全部指标（后台任务）/ Compute every indicator (a background job)',
        tags: ['indicators'],
        params: yearParam,
        security: [{ bearer: [] }],
      },
    },
    async (req, reply) => {
      const year = checkYear((req.params as { year: number }).year)
      const job = await ctx.queue.enqueue('indicators', {
        city: req.city.code,
        year,
        by: req.principal!.name,
        joinActive: true,
      })
      reply.code(202)
      return { jobId: job.id, joined: job.existing, status: `/api/cities/${req.city.code}/jobs/${job.id}` }
    },
  )

  app.get(
    '/years/:year/indicators',
    {
      schema: {
        summary: '全市指标一览（最新计算）/ City-level values of every indicator (latest run)',
        tags: ['indicators'],
        params: yearParam,
      },
    },
    async (req) => {
      const year = checkYear((req.params as { year: number }).year)
      const run = await latestRun(knex, req.city.code, year)
      const defs = await definitions(knex, req.city.code, year)
      if (!run)
        return {
          year,
          run: null,
          indicators: defs.map((d) => ({ code: d.code, zh: d.zh, en: d.en, dimension: d.dimension, unit: d.unit })),
        }
      // Per run, once: a run's results never change (server/indicators/runcache.ts).
      const { rows, counts } = await memo(`summary|${run.id}`, async () => ({
        rows: await knex('indicator_results').where({ run_id: run.id, level: 'city' }),
        counts: await knex('indicator_results')
          .where({ run_id: run.id, status: 'fail' })
          .whereNot({ level: 'city' })
          .groupBy('indicator', 'variant')
          .select('indicator', 'variant')
          .count('* as failing'),
      }))
      return {
        year,
        run: {
          id: run.id,
          createdAt: run.created_at,
          stale: await isStale(knex, run),
          durationMs: run.duration_ms,
          buildings: run.building_count,
          // The run's facts, not its unit lists (those are for gaps and exports, and weigh hundreds of KB).
          derived: (({ srid, residentsSource, residentialBuildings, floorsDefaulted, warnings }) => ({
            srid,
            residentsSource,
            residentialBuildings,
            floorsDefaulted,
            warnings,
          }))(run.derived ?? {}),
        },
        indicators: defs.map((d) => {
          const v = d.params.primary ?? 'area'
          const r = rows.find((x) => x.indicator === d.code && x.variant === v)
          return {
            code: d.code,
            zh: d.zh,
            en: d.en,
            dimension: d.dimension,
            group: d.group,
            type: d.type,
            unit: d.unit,
            variant: v,
            target: d.target ?? null,
            value: r?.value ?? null,
            status: r?.status ?? 'no-data',
            failingUnits: Number(counts.find((c) => c.indicator === d.code && c.variant === v)?.failing ?? 0),
          }
        }),
      }
    },
  )

  app.get(
    '/years/:year/indicators/:code',
    {
      schema: {
        summary: '某指标各单元的值 / One indicator per unit',
        tags: ['indicators'],
        params: codeParam,
        querystring: {
          type: 'object',
          properties: {
            level: { type: 'string', enum: LEVEL_ENUM },
            variant: { type: 'string', enum: ['area', 'residents', 'areas', 'value'] },
            model: {
              type: 'string',
              enum: ['euclidean', 'network'],
              default: 'euclidean',
              description: 'straight-line or walking-network distance (network needs a roads layer)',
            },
            fields: {
              type: 'string',
              pattern: '^[a-zA-Z]+(,[a-zA-Z]+)*$',
              description:
                '只返回每个单元的这些字段 / only these fields of each unit, e.g. code,status,value (what the map colours by: a sixth of the bytes)',
            },
          },
        },
      },
    },
    async (req, reply) => {
      const { year, code } = req.params as { year: number; code: string }
      const q = req.query as { level?: string; variant?: string; model: string; fields?: string }
      const city = req.city.code
      const defs = await definitions(knex, city, checkYear(year))
      const def = defs.find((d) => d.code === code)
      const base = q.variant ?? def?.params.primary ?? 'area'
      const variant = q.model === 'network' ? `${base}@network` : base
      const fields = q.fields?.split(',')
      const read = async () => {
        const r = await readResults(knex, city, year, code, { level: q.level, variant })
        if (!fields) return r
        const pick = (x: Record<string, unknown>) => Object.fromEntries(fields.map((f) => [f, x[f] ?? null]))
        return { ...r, results: r.results.map(pick) }
      }
      const run = await latestRun(knex, city, year)
      if (!run || !def) return read() // its 404
      // The reply is fixed by the run, the year before's run, staleness and the definition: kept serialised.
      const prev = await latestRun(knex, city, year - 1)
      const key = [
        'results',
        city,
        year,
        run.id,
        prev?.id ?? '',
        await isStale(knex, run),
        code,
        q.level ?? '',
        variant,
        q.fields ?? '',
        digest(def),
      ].join('|')
      return sendReply(req, reply, await cachedReply(key, read))
    },
  )

  app.get(
    '/years/:year/indicators/:code/gaps',
    {
      schema: {
        summary: '未覆盖的住宅建筑（GeoJSON）/ Uncovered residential buildings as GeoJSON',
        tags: ['indicators'],
        params: codeParam,
        querystring: {
          type: 'object',
          properties: {
            unit: { type: 'string', default: 'city', description: "'city', a district, 街道 or 社区 code" },
            limit: { type: 'integer', default: 5000, minimum: 1, maximum: 100000 },
            model: {
              type: 'string',
              enum: ['euclidean', 'network', 'walk-only'],
              default: 'euclidean',
              description:
                'walk-only: inside the straight-line radius but not within walking distance (直线可达、步行不可达)',
            },
          },
        },
      },
    },
    async (req) => {
      const { year, code } = req.params as { year: number; code: string }
      const q = req.query as { unit: string; limit: number; model: 'euclidean' | 'network' | 'walk-only' }
      return coverageGaps(knex, req.city.code, checkYear(year), code, q.unit, q.limit, q.model)
    },
  )

  app.get(
    '/years/:year/units/:code',
    {
      schema: {
        summary: '某单元（城区/街道/社区）的全部指标与同比 / Every indicator of one unit, with year-over-year change',
        tags: ['indicators'],
        params: codeParam,
      },
    },
    async (req) => {
      const { year, code } = req.params as { year: number; code: string }
      checkYear(year)
      const run = await latestRun(knex, req.city.code, year)
      if (!run)
        throw new AppError('CC_NOT_FOUND', { what: `${year} 年度的指标计算结果 / computed results for ${year}` })
      const defs = await definitions(knex, req.city.code, year)
      const rows = (await unitResults(knex, run.id)).get(code) ?? []
      if (!rows.length) throw new AppError('CC_NOT_FOUND', { what: `单元 ${code} / unit ${code}` })
      const prev = await latestRun(knex, req.city.code, year - 1)
      const before = prev ? ((await unitResults(knex, prev.id)).get(code) ?? []) : []
      const indicators = defs
        .map((d) => {
          const v = d.params.primary ?? 'area'
          const r = rows.find((x) => x.indicator === d.code && x.variant === v)
          if (!r) return null
          const p = before.find((x) => x.indicator === d.code && x.variant === v)?.value ?? null
          return {
            code: d.code,
            zh: d.zh,
            en: d.en,
            dimension: d.dimension,
            type: d.type,
            unit: d.unit,
            variant: v,
            value: r.value,
            target: d.target ?? null,
            status: r.status,
            previous: p,
            change: p != null && r.value != null ? r.value - p : null,
          }
        })
        .filter(Boolean)
      return {
        year,
        code,
        name: rows[0].unit_name,
        level: rows[0].level,
        runId: run.id,
        stale: await isStale(knex, run),
        indicators,
      }
    },
  )

  app.post(
    '/years/:year/what-if',
    {
      config: { right: 'analysis:run', rateLimit: { max: ctx.config.analysisPerMinute, timeWindow: '1 minute' } },
      schema: {
        summary:
          '假设新增设施后的指标变化（不保存）/ Indicator changes if these facilities existed (nothing is stored)',
        tags: ['indicators'],
        params: yearParam,
        body: {
          type: 'object',
          properties: { facilities: { type: 'object' }, indicators: { type: 'array', items: { type: 'string' } } },
          required: ['facilities'],
        },
      },
    },
    async (req) =>
      whatIf(
        knex,
        ctx.config,
        req.city,
        checkYear((req.params as { year: number }).year),
        req.body as Parameters<typeof whatIf>[4],
      ),
  )
}
