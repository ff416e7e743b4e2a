// Builds the Fastify app: external plugins (multipart, OpenAPI, static web), then one plugin per
// capability folder, then the single error handler that turns every failure into the catalogue's shape.
import http from 'node:http'
import path from 'node:path'
import Fastify, { LogController, type FastifyInstance } from 'fastify'
import multipart from '@fastify/multipart'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fastifyStatic from '@fastify/static'
import helmet from 'helmet'
import rateLimit from '@fastify/rate-limit'
import type { AppContext } from './context.ts'
import { AppError } from './errors.ts'
import { LAYER_NAMES } from './layers/definitions.ts'
import { RETRY_AFTER_S, databaseOutage, isDatabaseDown, noteDatabaseDown, noteDatabaseUp } from './db/outage.ts'
import healthRoutes from './health/routes.ts'
import importRoutes from './import/routes.ts'
import layerRoutes, { layerVocabularyRoutes } from './layers/routes.ts'
import { audit, authorize, cityScope } from './cities/plugin.ts'
import inspectionRoutes from './inspections/routes.ts'
import networkRoutes from './network/routes.ts'
import { cityAdminRoutes, cityRoutes } from './cities/routes.ts'
import indicatorRoutes from './indicators/routes.ts'
import problemRoutes from './problems/routes.ts'
import figureRoutes from './figures/routes.ts'
import { FORM_DOC } from './multipart.ts'
import reportingRoutes from './reporting/routes.ts'
import jobRoutes from './jobs/routes.ts'
import tileRoutes from './tiles/routes.ts'
import { cachedTiles } from './tiles/fastpath.ts'
import mapRoutes from './maps/routes.ts'
import { fontDir } from './fonts/faces.ts'
import { fontRoutes } from './fonts/routes.ts'
import sitingRoutes from './siting/routes.ts'

export interface RouteInfo {
  method: string
  url: string
  right: string
}
declare module 'fastify' {
  interface FastifyInstance {
    routeList: RouteInfo[]
  }
}

/** Every capability whose routes belong to a city, mounted under each city prefix. */
const CITY_API = [
  importRoutes,
  layerRoutes,
  indicatorRoutes,
  problemRoutes,
  figureRoutes,
  reportingRoutes,
  inspectionRoutes,
  networkRoutes,
  jobRoutes,
  mapRoutes,
  sitingRoutes,
]

export async function buildApp(
  ctx: AppContext,
  opts: { logger?: boolean; logStream?: NodeJS.WritableStream } = {},
): Promise<FastifyInstance> {
  const fastTiles = cachedTiles(ctx)
  const app = Fastify({
    // Cached tiles are answered before Fastify routes them (server/tiles/fastpath.ts); the server is
    // made as Fastify would make it, with its timeouts.
    serverFactory: (handler, options) => {
      const o = options as { keepAliveTimeout: number; requestTimeout: number; connectionTimeout: number }
      const server = http.createServer(fastTiles ? (req, res) => fastTiles(req, res) || handler(req, res) : handler)
      server.keepAliveTimeout = o.keepAliveTimeout
      server.requestTimeout = o.requestTimeout
      server.setTimeout(o.connectionTimeout)
      return server
    },
    logger: opts.logger ? { level: ctx.config.logLevel, ...(opts.logStream && { stream: opts.logStream }) } : false,
    // One line per request at info level is ~380 bytes each; errors and slow work are logged on their own.
    logController: new LogController({ disableRequestLogging: !ctx.config.logRequests }),
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false } },
  })

  // Every route with the right it needs, for the role tests and the docs (GET/HEAD default to read).
  const routeList: RouteInfo[] = []
  app.decorate('routeList', routeList)
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) {
      if (method === 'HEAD') continue
      routeList.push({ method, url: r.url, right: r.config?.right ?? (method === 'GET' ? 'read' : 'cities:admin') })
    }
  })

  // The usual security headers. Pages load scripts only from here (no inline script), so a string that
  // slipped into HTML could not run; 天地图 tiles are the one outside origin, and only when a key is set.
  const tdt = ctx.config.tiandituKey ? ['https://*.tianditu.gov.cn'] : []
  // Security headers from helmet, its middleware built once. (@fastify/helmet 13 builds it again on every
  // request — parsing the CSP directives each time — which profiled at about a third of a cached tile's CPU.)
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'blob:', ...tdt],
        connectSrc: ["'self'", ...tdt],
        workerSrc: ["'self'", 'blob:'],
        childSrc: ["'self'", 'blob:'],
        fontSrc: ["'self'", 'data:'],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
      },
    },
    referrerPolicy: { policy: 'same-origin' },
    crossOriginEmbedderPolicy: false,
  })
  // Vector tiles are bytes a map library reads, never a document: of helmet's dozen headers (the CSP alone is
  // ~400 bytes) they keep the one that matters for them, as tile servers do; everything else gets them all.
  app.addHook('onRequest', (req, reply, done) => {
    if (req.url.startsWith('/tiles/') && req.url.endsWith('.pbf', req.url.indexOf('?') >>> 0)) {
      reply.header('x-content-type-options', 'nosniff')
      return done()
    }
    securityHeaders(req.raw, reply.raw, (err) => done(err as Error | undefined))
  })

  // Form fields are small options (crs, encoding, JSON mappings): 64 KB each is plenty.
  // Expensive analyses (siting, what-if: seconds of CPU each) are limited per token; routes opt in.
  await app.register(rateLimit, {
    global: false,
    hook: 'preHandler',
    keyGenerator: (req) => req.principal?.name ?? req.ip,
    errorResponseBuilder: (_req, c) => new AppError('CC_RATE_LIMITED', { max: c.max, window: '1 min', after: c.after }),
  })

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'citycheck 城市体检 API',
        version: '0.1.0',
        description:
          "城市体检空间分析服务：边界数据上传、指标、问题清单与问题地图 / Spatial service for China's urban health check",
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
    // Multipart routes describe their form for the docs only (server/multipart.ts formDoc).
    transform: ({ schema, url }) => {
      const form = (schema as Record<string, unknown> | undefined)?.[FORM_DOC]
      if (!form) return { schema, url }
      const { [FORM_DOC]: _, ...rest } = schema as Record<string, unknown>
      return { schema: { ...rest, body: form } as typeof schema, url }
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })

  app.setErrorHandler((err, req, reply) => {
    if (isDatabaseDown(err)) {
      noteDatabaseDown(app.log, err)
      return reply
        .code(503)
        .header('retry-after', String(RETRY_AFTER_S))
        .send(new AppError('CC_DB_UNAVAILABLE').toJSON())
    }
    if (err instanceof AppError) return reply.code(err.statusCode).send(err.toJSON())
    if ((err as { statusCode?: number }).statusCode === 429)
      return reply
        .code(429)
        .send(new AppError('CC_RATE_LIMITED', { max: '?', window: '1 min', after: '1 min' }).toJSON())
    const e = err as { validation?: unknown; statusCode?: number; code?: string; message: string }
    if (e.validation) {
      // Path parameters get the catalogue's own codes; the rest names the field at fault.
      const v = (e.validation as { instancePath?: string; params?: { missingProperty?: string } }[])[0] ?? {}
      const ctxName = (err as { validationContext?: string }).validationContext
      const field = (v.instancePath ?? '').replace(/^\//, '') || v.params?.missingProperty || ctxName || ''
      const params = req.params as Record<string, unknown>
      if (ctxName === 'params' && field === 'year')
        return reply.code(400).send(new AppError('CC_YEAR_INVALID', { year: params.year, field: 'year' }).toJSON())
      if (ctxName === 'params' && field === 'layer')
        return reply.code(404).send(
          new AppError('CC_LAYER_UNKNOWN', {
            layer: params.layer,
            layers: LAYER_NAMES.join(', '),
            field: 'layer',
          }).toJSON(),
        )
      if (ctxName === 'params' && field === 'city')
        return reply.code(400).send(new AppError('CC_CITY_INVALID', { city: params.city, field: 'city' }).toJSON())
      return reply.code(400).send(new AppError('CC_BAD_REQUEST', { reason: e.message, field }).toJSON())
    }
    if (e.code === 'FST_REQ_FILE_TOO_LARGE') {
      return reply.code(413).send(
        new AppError('CC_UPLOAD_TOO_LARGE', {
          file: 'file',
          limitMb: Math.round(ctx.config.maxUploadBytes / 1048576),
        }).toJSON(),
      )
    }
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return reply
        .code(413)
        .send(
          new AppError('CC_BODY_TOO_LARGE', { limitMb: Math.round(app.initialConfig.bodyLimit! / 1048576) }).toJSON(),
        )
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return reply
        .code(415)
        .send(new AppError('CC_MEDIA_TYPE', { type: String(req.headers['content-type'] ?? '-') }).toJSON())
    // A multipart body cut off in transfer or with the wrong boundary: busboy's errors, not ours.
    if (
      /multipart|boundary|Unexpected end of form|Part terminated early|Malformed part header/i.test(e.message) ||
      String(e.code).startsWith('FST_INVALID_MULTIPART') ||
      e.code === 'FST_PARTS_LIMIT' ||
      e.code === 'FST_FILES_LIMIT' ||
      e.code === 'FST_FIELDS_LIMIT'
    ) {
      return reply.code(400).send(new AppError('CC_MULTIPART_INVALID', { reason: e.message }).toJSON())
    }
    if (e.statusCode && e.statusCode < 500) {
      return reply.code(e.statusCode).send(new AppError('CC_BAD_REQUEST', { reason: e.message }).toJSON())
    }
    req.log.error(err)
    return reply.code(500).send(new AppError('CC_INTERNAL').toJSON())
  })
  // The first answer that needed the database and got it ends an outage (and logs so, once).
  // (Hooks on every request are written with `done` rather than async where they can answer at once:
  // a promise per hook per request was measurable on cached tiles.)
  app.addHook('onResponse', (_req, reply, done) => {
    if (reply.statusCode < 500 && databaseOutage()) noteDatabaseUp(app.log)
    done()
  })
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send(new AppError('CC_NOT_FOUND', { what: `${req.method} ${req.url}` }).toJSON())
  })

  // Uploads (multipart) only where the routes take them: the plugin hooks every request of the
  // context it is registered in (two promises each), which tiles had paid for nothing.
  const withUploads = (scope: (a: FastifyInstance) => Promise<void>) => async (a: FastifyInstance) => {
    await a.register(multipart, {
      limits: { fileSize: ctx.config.maxUploadBytes, files: 4, fields: 20, fieldSize: 64 * 1024 },
    })
    await scope(a)
  }
  // Routes of no city (health, vocabularies, the city list, tokens, the province view): the same
  // right check as the city routes, without a city.
  await app.register(
    withUploads(async (a) => {
      a.decorateRequest('principal', null)
      a.addHook('onRequest', async (req) => authorize(ctx, req))
      a.addHook('onResponse', audit(ctx))
      await healthRoutes(a, ctx)
      await layerVocabularyRoutes(a)
      await cityAdminRoutes(a, ctx) // (a city archive is restored from an upload)
    }),
  )
  // /api/cities/:city/… for any city; /api/… for the default one (hidden from /docs).
  await app.register(withUploads(cityScope(ctx, [cityRoutes, ...CITY_API], { named: true })), {
    prefix: '/api/cities/:city',
  })
  await app.register(withUploads(cityScope(ctx, CITY_API, { named: false })), { prefix: '/api' })
  await app.register(cityScope(ctx, [tileRoutes], { named: true }), { prefix: '/tiles/:city' })
  await app.register(cityScope(ctx, [tileRoutes], { named: false }), { prefix: '/tiles' })
  const webDir = path.resolve(import.meta.dirname, '../web')
  await app.register(fastifyStatic, { root: webDir, prefix: '/' })
  // MapLibre GL from the installed package: the viewer needs nothing from the internet.
  await app.register(fastifyStatic, {
    root: path.resolve(import.meta.dirname, '../node_modules/maplibre-gl/dist'),
    prefix: '/vendor/maplibre-gl/',
    decorateReply: false,
  })
  // The bundled 思源黑体 as a web font: used only where the browser has no Chinese font of its own; the
  // common characters come from a subset (server/fonts), the whole font serves the rest.
  await app.register(fontRoutes(webDir))
  await app.register(fastifyStatic, {
    root: fontDir,
    prefix: '/fonts/',
    decorateReply: false,
    allowedPath: (p) => p.endsWith('.otf'),
    maxAge: '30d',
  })
  return app
}
