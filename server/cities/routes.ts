// Routes about cities themselves: the list, adding and dropping one, exporting and restoring one,
// its audit log; the tokens; and the province view that sets cities' headline indicators side by side.
import type { FastifyInstance } from 'fastify'
import type { AppContext } from '../context.ts'
import { AppError } from '../errors.ts'
import { formDoc } from '../multipart.ts'
import { checkYear } from '../import/pipeline.ts'
import { checkTokenSpec, createToken, listTokens, revokeToken } from '../auth/tokens.ts'
import { ROLES, ROLE_RIGHTS, ROLE_ZH } from '../auth/roles.ts'
import { definitions } from '../indicators/service.ts'
import { addCity, checkCityCode, checkNewCity, dropCity, provinceOf } from './store.ts'
import { exportCity, restoreCity } from './archive.ts'

/** Indicators a province view compares by default: one per dimension where it exists. */
export const HEADLINE = [
  'kindergarten_coverage',
  'primary_school_coverage',
  'elderly_station_coverage',
  'park_service_coverage',
  'life_circle_15',
  'complete_community',
  'park_per_capita',
  'jobs_housing_ratio',
]

/** Routes that belong to no city (registered at the top level). */
export async function cityAdminRoutes(app: FastifyInstance, ctx: AppContext) {
  const { knex } = ctx.db

  app.get(
    '/api/cities',
    {
      schema: { summary: '平台上的城市 / The cities on this platform', tags: ['cities'] },
    },
    async () => {
      const cities = await ctx.cities.list()
      const years = await knex('layer_current').distinct('city', 'year').orderBy('year', 'desc')
      return {
        cities: cities.map((c) => ({
          ...c,
          province: provinceOf(c.code),
          years: years.filter((y) => y.city === c.code).map((y) => y.year),
          api: `/api/cities/${c.code}`,
          tiles: `/tiles/${c.code}`,
        })),
      }
    },
  )

  app.post(
    '/api/cities',
    {
      config: { right: 'cities:admin' },
      schema: {
        summary: '添加城市 / Add a city',
        tags: ['cities'],
        security: [{ bearer: [] }],
        body: {
          type: 'object',
          required: ['code', 'name'],
          properties: {
            code: { type: 'string' },
            name: { type: 'string' },
            nameEn: { type: 'string' },
            zone: { description: 'EPSG code of the local Gauss-Kruger zone, e.g. 4549' },
          },
          additionalProperties: false,
        },
      },
    },
    async (req, reply) => {
      const city = await addCity(ctx.db, checkNewCity(req.body as Record<string, unknown>), req.principal!.name)
      reply.code(201)
      return city
    },
  )

  app.post(
    '/api/cities/restore',
    {
      config: { right: 'cities:admin' },
      schema: {
        summary: '从数据包恢复城市（multipart：file，可选 as = 新代码）/ Restore a city from its archive',
        tags: ['cities'],
        ...formDoc(
          { as: '恢复为的 6 位城市代码（可选）/ restore under this city code' },
          { file: '城市数据包 .ndjson.gz' },
        ),
        security: [{ bearer: [] }],
        consumes: ['multipart/form-data'],
      },
    },
    async (req, reply) => {
      if (!req.isMultipart()) throw new AppError('CC_NO_FILE')
      let buf: Buffer | undefined,
        name = 'archive'
      let as: string | undefined
      for await (const part of req.parts()) {
        if (part.type === 'file') {
          name = part.filename || name
          buf = await part.toBuffer()
        } else if (part.fieldname === 'as') as = String(part.value)
      }
      if (!buf) throw new AppError('CC_NO_FILE')
      const r = await restoreCity(ctx.db, buf, name, {
        as: as ? checkCityCode(as) : undefined,
        by: req.principal!.name,
      })
      for (const year of r.years)
        await ctx.queue.enqueue('indicators', { city: r.city, year, by: req.principal!.name, joinActive: true })
      reply.code(201)
      return r
    },
  )

  app.get(
    '/api/roles',
    { config: { public: true }, schema: { summary: '角色与权限 / Roles and their rights', tags: ['cities'] } },
    async () => ({
      roles: ROLES.map((r) => ({ role: r, zh: ROLE_ZH[r], rights: ROLE_RIGHTS[r] })),
    }),
  )

  app.get(
    '/api/tokens',
    {
      config: { right: 'cities:admin' },
      schema: {
        summary: '令牌列表（不含令牌本身）/ Tokens (never the secrets)',
        tags: ['cities'],
        security: [{ bearer: [] }],
      },
    },
    async () => ({ tokens: await listTokens(knex) }),
  )

  app.post(
    '/api/tokens',
    {
      config: { right: 'cities:admin' },
      schema: {
        summary: '创建令牌（只显示一次）/ Create a token (shown once)',
        tags: ['cities'],
        security: [{ bearer: [] }],
        body: {
          type: 'object',
          required: ['name', 'role'],
          properties: {
            name: { type: 'string' },
            role: { type: 'string', enum: [...ROLES] },
            cities: { type: 'array', items: { type: 'string' } },
            department: {
              type: 'string',
              description: '责任单位（部门填报与整改）/ the department a reporter speaks for',
            },
          },
          additionalProperties: false,
        },
      },
    },
    async (req, reply) => {
      const spec = checkTokenSpec(req.body as Record<string, unknown>)
      for (const c of spec.cities ?? []) await ctx.cities.get(c)
      const token = await createToken(knex, spec)
      reply.code(201)
      return { ...spec, token }
    },
  )

  app.delete(
    '/api/tokens/:name',
    {
      config: { right: 'cities:admin' },
      schema: {
        summary: '吊销令牌 / Revoke a token',
        tags: ['cities'],
        security: [{ bearer: [] }],
        params: { type: 'object', properties: { name: { type: 'string', maxLength: 100 } }, required: ['name'] },
      },
    },
    async (req) => ({ revoked: await revokeToken(knex, (req.params as { name: string }).name) }),
  )

  app.get(
    '/api/province',
    {
      schema: {
        summary: '全省城市核心指标对比 / Cities side by side on headline indicators',
        tags: ['cities'],
        querystring: {
          type: 'object',
          properties: {
            year: { type: 'integer' },
            province: { type: 'string', pattern: '^[1-9][0-9]0000$' },
            indicators: { type: 'string', description: 'comma-separated codes' },
          },
        },
      },
    },
    async (req) => {
      const q = req.query as { year?: number; province?: string; indicators?: string }
      const codes = q.indicators
        ? q.indicators
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
            .slice(0, 30)
        : HEADLINE
      const cities = (await ctx.cities.list()).filter((c) => !q.province || provinceOf(c.code) === q.province)
      const out = []
      for (const c of cities) {
        const year = q.year
          ? checkYear(q.year)
          : (await knex('indicator_runs').where({ city: c.code }).max('year as y').first())?.y
        const run = year
          ? await knex('indicator_runs').where({ city: c.code, year }).orderBy('id', 'desc').first('id')
          : undefined
        const defs = year ? await definitions(knex, c.code, year) : []
        const rows = run
          ? await knex('indicator_results').where({ run_id: run.id, level: 'city' }).whereIn('indicator', codes)
          : []
        out.push({
          city: c.code,
          name: c.name,
          year: year ?? null,
          runId: run?.id ?? null,
          indicators: codes.map((code) => {
            const d = defs.find((x) => x.code === code)
            const r = d && rows.find((x) => x.indicator === code && x.variant === (d.params.primary ?? 'area'))
            return {
              code,
              zh: d?.zh ?? null,
              unit: d?.unit ?? null,
              value: r?.value ?? null,
              target: r?.target ?? null,
              status: r?.status ?? 'no-data',
            }
          }),
        })
      }
      return { year: q.year ?? null, indicators: codes, cities: out }
    },
  )
}

/** Routes under /api/cities/:city that are about the city itself (named scope only). */
export async function cityRoutes(app: FastifyInstance, ctx: AppContext) {
  app.get('', { schema: { summary: '城市信息 / A city', tags: ['cities'] } }, async (req) => req.city)

  app.delete(
    '',
    {
      config: { right: 'cities:admin' },
      schema: {
        summary: '删除城市及其全部数据 / Drop a city and all its data',
        tags: ['cities'],
        security: [{ bearer: [] }],
      },
    },
    async (req) => dropCity(ctx.db, req.city.code),
  )

  app.get(
    '/export',
    {
      config: { right: 'cities:admin' },
      schema: {
        summary: '导出城市数据包（图层各版本、配置、问题状态）/ Export a city (layer versions, settings, statuses)',
        tags: ['cities'],
        security: [{ bearer: [] }],
      },
    },
    async (req, reply) => {
      reply.header('content-type', 'application/gzip')
      reply.header('content-disposition', `attachment; filename="citycheck-${req.city.code}.ndjson.gz"`)
      return reply.send(exportCity(ctx.db, req.city.code))
    },
  )

  app.get(
    '/audit',
    {
      config: { right: 'cities:admin' },
      schema: {
        summary: '审计日志（每次写操作）/ Audit log of every write',
        tags: ['cities'],
        security: [{ bearer: [] }],
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: 10000, default: 200 } },
        },
      },
    },
    async (req) => ({
      entries: await ctx.db
        .knex('audit_log')
        .where({ city: req.city.code })
        .orderBy('id', 'desc')
        .limit((req.query as { limit: number }).limit),
    }),
  )
}
