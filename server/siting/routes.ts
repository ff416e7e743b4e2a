import type { FastifyInstance, FastifyReply } from 'fastify'
import type { AppContext } from '../context.ts'
import { AppError } from '../errors.ts'
import { checkYear } from '../import/pipeline.ts'
import { sendTable } from '../problems/export.ts'
import { waitForJob } from '../jobs/queue.ts'
import { rankForRenewal } from './renewal.ts'
import { site, type SitingRequest } from './service.ts'

type Sited = Awaited<ReturnType<typeof site>>

/** The answer in the asked format: JSON, GeoJSON of the sites, or a CSV table. */
function answer(reply: FastifyReply, format: string, r: Sited) {
  if (format === 'geojson') {
    return {
      type: 'FeatureCollection',
      properties: { indicator: r.indicator, radius: r.radius, solution: r.solution },
      features: r.sites.map((s) => ({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [s.lon, s.lat] },
        properties: {
          rank: s.rank,
          newlyCoveredResidents: s.newlyCoveredResidents,
          newlyCoveredBuildings: s.newlyCoveredBuildings,
        },
      })),
    }
  }
  if (format === 'csv') {
    return sendTable(
      reply,
      'csv',
      `选址-${r.indicator}`,
      ['排名 Rank', '经度 Lon', '纬度 Lat', '新增覆盖居民 Residents', '新增覆盖住宅 Buildings'],
      r.sites.map((s) => [
        s.rank,
        s.lon.toFixed(6),
        s.lat.toFixed(6),
        s.newlyCoveredResidents,
        s.newlyCoveredBuildings,
      ]),
    )
  }
  return r
}

export default async function sitingRoutes(app: FastifyInstance, ctx: AppContext) {
  app.post(
    '/years/:year/siting',
    {
      config: { right: 'analysis:run', rateLimit: { max: ctx.config.analysisPerMinute, timeWindow: '1 minute' } },
      schema: {
        summary:
          '城市更新选址：新设施放在哪里覆盖最多未覆盖居民 / Where new facilities cover the most uncovered residents',
        tags: ['siting'],
        description:
          'Body: `indicator` (a facility coverage indicator) or `facilityType` (+ `radius`), `count`, and `candidates` (GeoJSON points or parcels, CGCS2000 lon/lat) or `grid` ({spacing, streets}). Lazy greedy at any size; exact branch and bound when small (or `method: "exact"`); the answer states a proven bound on its distance from the optimum. Nothing is stored. Runs as a job: in this request by default, or queued for any worker with `?queue=1` (202; the answer is the job result).',
        params: { type: 'object', properties: { year: { type: 'integer' } }, required: ['year'] },
        querystring: {
          type: 'object',
          properties: {
            format: { type: 'string', enum: ['json', 'geojson', 'csv'], default: 'json' },
            queue: { type: 'boolean', default: false },
          },
        },
        body: {
          type: 'object',
          required: ['count'],
          properties: {
            indicator: { type: 'string' },
            facilityType: { type: 'string' },
            radius: { type: 'number', minimum: 10, maximum: 20000 },
            count: { type: 'integer', minimum: 1, maximum: 100 },
            weight: { type: 'string', enum: ['residents', 'area'] },
            method: { type: 'string', enum: ['auto', 'greedy', 'exact'] },
            model: { type: 'string', enum: ['euclidean', 'network'], default: 'euclidean' },
            candidates: { type: 'object' },
            grid: {
              type: 'object',
              properties: {
                spacing: { type: 'number', minimum: 25 },
                streets: { type: 'array', items: { type: 'string' } },
              },
            },
          },
        },
      },
    },
    async (req, reply) => {
      const year = checkYear((req.params as { year: number }).year)
      const body = req.body as SitingRequest
      if (!body.candidates && !body.grid)
        throw new AppError('CC_OPTION_INVALID', {
          option: 'candidates',
          field: 'candidates',
          reason: '需要 candidates（GeoJSON）或 grid / give candidates (GeoJSON) or a grid',
        })
      const { format, queue } = req.query as { format: string; queue: boolean }
      const job = { city: req.city.code, year, by: req.principal!.name, payload: { request: body } }
      // An API-only process (CITYCHECK_WORKERS=0) hands the CPU work to a worker and waits for it,
      // so its own event loop keeps answering; ?queue=1 returns at once.
      if (queue || ctx.config.workers === 0) {
        const j = await ctx.queue.enqueue('siting', job)
        const done = queue ? null : await waitForJob(ctx.db.knex, j.id, 120_000)
        if (!done) {
          reply.code(202)
          return { jobId: j.id, status: `/api/cities/${req.city.code}/jobs/${j.id}` }
        }
        if (done.state === 'failed') throw AppError.from(done.error)
        return answer(reply, format, done.result as Sited)
      }
      const { result } = await ctx.queue.runHere('siting', job, () =>
        site(ctx.db.knex, ctx.config, req.city, year, body),
      )
      return answer(reply, format, result)
    },
  )

  app.get(
    '/years/:year/renewal',
    {
      schema: {
        summary: '按问题为小区/社区/街道排序，起草城市更新项目库 / Rank units for renewal by their problems',
        tags: ['siting'],
        params: { type: 'object', properties: { year: { type: 'integer' } }, required: ['year'] },
        querystring: {
          type: 'object',
          properties: {
            level: { type: 'string', enum: ['community', 'street', 'residential-area'], default: 'community' },
            weights: {
              type: 'string',
              description:
                'JSON: indicator code or dimension → weight, e.g. {"小区(社区)":2,"kindergarten_coverage":3}',
            },
            severity: { type: 'string', description: 'JSON: {"严重":3,"较重":2,"一般":1}' },
            baseline: { type: 'number', description: '底线 multiplier (default 1.5)' },
            limit: { type: 'integer', minimum: 1, maximum: 100000, default: 200 },
            format: { type: 'string', enum: ['json', 'csv', 'xlsx'], default: 'json' },
          },
        },
      },
    },
    async (req, reply) => {
      const year = checkYear((req.params as { year: number }).year)
      const q = req.query as {
        level: 'community' | 'street' | 'residential-area'
        weights?: string
        severity?: string
        baseline?: number
        limit: number
        format: string
      }
      const json = (name: string, v?: string) => {
        if (!v) return undefined
        try {
          return JSON.parse(v)
        } catch {
          throw new AppError('CC_OPTION_INVALID', {
            option: name,
            field: name,
            reason: '不是有效的 JSON / not valid JSON',
          })
        }
      }
      const ranked = (
        await rankForRenewal(ctx.db.knex, req.city.code, year, q.level, {
          weights: json('weights', q.weights),
          severity: json('severity', q.severity),
          baseline: q.baseline,
        })
      ).slice(0, q.limit)
      if (q.format === 'json') return { year, level: q.level, count: ranked.length, units: ranked }
      const header = ['排名 Rank', '单元代码 Code', '单元名称 Unit', '得分 Score', '主要问题 Main problems']
      const rows = ranked.map((u) => [
        u.rank,
        u.code,
        u.name,
        u.score,
        'projects' in u
          ? (u.projects as { indicator: string; severity: string }[])
              .map((p) => `${p.indicator}（${p.severity}）`)
              .join('；')
          : (u.worst as { indicator: string; uncoveredShare: number }[])
              .map((w) => `${w.indicator} 未覆盖 ${w.uncoveredShare}%`)
              .join('；'),
      ])
      return sendTable(reply, q.format as 'csv' | 'xlsx', `城市更新项目库-${year}-${q.level}`, header, rows)
    },
  )
}
