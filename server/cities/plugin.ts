// The city layer: every capability's routes are mounted once per city prefix,
//   /api/cities/:city/…  and  /tiles/:city/…          (any city, by its 6-digit code)
//   /api/…               and  /tiles/…                (the default city: the only one, or
//                                                      CITYCHECK_DEFAULT_CITY; hidden from /docs)
// so a single-city user never has to know about cities. One hook resolves the city and checks the
// caller's right for the route (routes declare `config.right`; GET/HEAD default to `read`), one hook
// writes the audit log for every write.
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import type { AppContext } from '../context.ts'
import { AppError } from '../errors.ts'
import { authenticate } from '../auth/tokens.ts'
import { canAccessCity, roleHas, type Principal, type Right } from '../auth/roles.ts'
import type { City } from './store.ts'

declare module 'fastify' {
  interface FastifyRequest {
    city: City
    principal: Principal | null
  }
  interface FastifyContextConfig {
    /** the right a caller needs (server/auth/roles.ts); GET/HEAD default to `read` */
    right?: Right
    /** open even when reading is closed (health, vocabularies) */
    public?: boolean
  }
}

const RIGHT_ZH: Record<Right, [string, string]> = {
  read: ['读取数据', 'read data'],
  'analysis:run': ['运行选址与情景分析', 'run siting and what-if analyses'],
  'layers:write': ['上传或恢复图层', 'upload or restore layers'],
  'indicators:compute': ['计算指标', 'compute indicators'],
  'indicators:configure': ['设置年度指标体系', "set a year's indicator system"],
  'problems:review': ['更新问题状态', 'update problem statuses'],
  'problems:rectify': ['办理本单位的整改问题', "work on the department's assigned problems"],
  'inspections:write': ['录入体检采集记录', 'record inspections'],
  'figures:report': ['填报部门数据', 'report department figures'],
  'figures:review': ['审核部门数据', 'review department figures'],
  'cities:admin': ['管理城市、令牌与审计日志', 'manage cities, tokens and the audit log'],
}

export function rightOf(req: FastifyRequest): Right {
  const r = req.routeOptions.config?.right
  if (r) return r
  return req.method === 'GET' || req.method === 'HEAD' ? 'read' : 'cities:admin'
}

/** Whether the request may go on without a token (a read with none sent, where reading is open). */
function openRead(ctx: AppContext, req: FastifyRequest): boolean {
  return (
    rightOf(req) === 'read' &&
    req.headers.authorization === undefined &&
    (!ctx.config.readRequiresToken || req.routeOptions.config?.public === true)
  )
}

/**
 * Checks the caller against the route's right (and the city, when there is one). Reads need no
 * token unless reading is closed; a token that is sent is always checked.
 */
export async function authorize(ctx: AppContext, req: FastifyRequest, city?: string): Promise<void> {
  const right = rightOf(req)
  const header = req.headers.authorization
  req.principal = null
  if (openRead(ctx, req)) return
  const p = await authenticate(ctx.db.knex, ctx.config.uploadTokens, header)
  req.principal = p // known from here on, so a refused attempt is audited under the token that made it
  if (city && !canAccessCity(p, city)) throw new AppError('CC_CITY_FORBIDDEN', { name: p.name, city })
  // Managing the platform (cities, tokens) is for admins of every city, not of one.
  if (!city && right === 'cities:admin' && p.cities !== null)
    throw new AppError('CC_CITY_FORBIDDEN', { name: p.name, city: '*' })
  if (!roleHas(p.role, right))
    throw new AppError('CC_FORBIDDEN', {
      role: p.role,
      name: p.name,
      actionZh: RIGHT_ZH[right][0],
      action: RIGHT_ZH[right][1],
    })
}

/** Writes one audit row for each request to a route that changes something (after it answered). */
export function audit(ctx: AppContext) {
  const write = auditRow(ctx)
  return (req: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const right = rightOf(req)
    if (right === 'read' || right === 'analysis:run') return done()
    write(req, reply).then(done, done)
  }
}

function auditRow(ctx: AppContext) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    // The city as resolved (null when the path named none, or one that does not exist).
    const city = (req as { city?: City | null }).city?.code ?? null
    const params = { ...(req.params as object), ...(req.query as object) }
    const row = {
      city,
      actor: req.principal?.name ?? '-',
      role: req.principal?.role ?? '-',
      method: req.method,
      route: req.routeOptions.url ?? req.url.slice(0, 300),
      params: JSON.stringify(params).slice(0, 4000),
      status: reply.statusCode,
    }
    // A dropped city takes its log with it: its drop is kept in the platform's log (city null).
    await ctx.db
      .knex('audit_log')
      .insert(row)
      .catch((e) =>
        (e as { code?: string }).code === '23503'
          ? ctx.db.knex('audit_log').insert({ ...row, city: null })
          : Promise.reject(e),
      )
      .catch((e) => req.log.warn({ err: e }, 'audit log write failed'))
  }
}

type Mount = (app: FastifyInstance, ctx: AppContext) => Promise<void>

/**
 * Mounts `routes` under `prefix` for a named city (`:city` in the prefix) or the default city.
 * The prefix's `:city` is added to every route's params schema, so /docs shows and validates it.
 */
export function cityScope(ctx: AppContext, routes: Mount[], opts: { named: boolean }) {
  return async (app: FastifyInstance) => {
    app.decorateRequest('city', null as unknown as City)
    app.decorateRequest('principal', null)
    app.addHook('onRoute', (r: RouteOptions) => {
      // Copies, never edits: route modules share their schema objects between the two mounts.
      const schema = { ...(r.schema as Record<string, any>) }
      if (!opts.named) {
        r.schema = { ...schema, hide: true }
        return
      }
      const params = schema.params ?? { type: 'object', properties: {} }
      schema.params = {
        ...params,
        properties: {
          city: {
            type: 'string',
            pattern: '^[1-9][0-9]{5}$',
            description: '城市 6 位行政区划代码 / 6-digit city code',
          },
          ...params.properties,
        },
        required: [...new Set(['city', ...(params.required ?? [])])],
      }
      r.schema = schema
    })
    app.addHook('onRequest', (req, _reply, done) => {
      const code = String((req.params as { city?: string }).city)
      // The common case answered at once: the city list is loaded and the read needs no token.
      const known = opts.named ? ctx.cities.peek(code) : ctx.cities.peekDefault()
      if (known && openRead(ctx, req)) {
        req.city = known
        req.principal = null
        return done()
      }
      ;(async () => {
        req.city = opts.named ? await ctx.cities.get(code) : await ctx.cities.defaultCity()
        await authorize(ctx, req, req.city.code)
      })().then(() => done(), done)
    })
    app.addHook('onResponse', audit(ctx))
    for (const mount of routes) await app.register(async (a) => mount(a, ctx))
  }
}

/** The base path of a city's API, as links in answers should use it. */
export const apiBase = (city: string) => `/api/cities/${city}`
