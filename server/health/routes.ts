import type { FastifyInstance } from 'fastify'
import type { AppContext } from '../context.ts'
import { RETRY_AFTER_S, databaseOutage, isDatabaseDown, noteDatabaseDown } from '../db/outage.ts'

export default async function healthRoutes(app: FastifyInstance, ctx: AppContext) {
  app.get(
    '/api/health',
    {
      config: { public: true },
      schema: {
        summary: '健康检查：数据库、PostGIS、任务队列 / Health: database, PostGIS, job queue',
        tags: ['health'],
      },
    },
    async (_req, reply) => {
      try {
        const r = await ctx.db.knex.raw(
          'SELECT version() AS pg, postgis_lib_version() AS postgis, postgis_geos_version() AS geos, postgis_proj_version() AS proj',
        )
        const row = r.rows[0]
        const jobs = await ctx.db
          .knex('background_jobs')
          .whereIn('state', ['queued', 'running'])
          .select('state')
          .count('* as n')
          .groupBy('state')
        return {
          status: 'ok',
          engine: ctx.db.engine,
          database: 'ok',
          postgresql: row.pg,
          postgis: row.postgis,
          geos: row.geos,
          proj: row.proj,
          workers: ctx.config.workers,
          jobs: Object.fromEntries(jobs.map((j) => [j.state, Number(j.n)])),
        }
      } catch (e) {
        if (!isDatabaseDown(e)) throw e
        noteDatabaseDown(app.log, e)
        // Says what is down, in words an operator can act on; still a 503 for load balancers.
        return reply
          .code(503)
          .header('retry-after', String(RETRY_AFTER_S))
          .send({
            status: 'unavailable',
            engine: ctx.db.engine,
            database: 'unavailable',
            since: databaseOutage()?.since ?? null,
            message:
              '数据库不可用，服务会在数据库恢复后自动恢复 / the database is unavailable; the service recovers by itself when it is back',
          })
      }
    },
  )
  app.get(
    '/api/config',
    {
      config: { public: true },
      schema: { summary: '浏览器端配置（天地图密钥等）/ Settings the web pages need', tags: ['health'] },
    },
    async () => ({
      // A 天地图 key is a browser key by design (it is sent with every tile request); no other setting is exposed.
      tianditu: ctx.config.tiandituKey ? { key: ctx.config.tiandituKey } : null,
    }),
  )
}
