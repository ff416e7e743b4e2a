import type { FastifyInstance } from 'fastify'
import type { AppContext } from '../context.ts'

export default async function healthRoutes(app: FastifyInstance, ctx: AppContext) {
  app.get('/api/health', { config: { public: true }, schema: { summary: '引擎与 PostGIS 版本 / Engine and PostGIS version', tags: ['health'] } }, async () => {
    const r = await ctx.db.knex.raw('SELECT version() AS pg, postgis_lib_version() AS postgis, postgis_geos_version() AS geos, postgis_proj_version() AS proj')
    const row = r.rows[0]
    return { status: 'ok', engine: ctx.db.engine, postgresql: row.pg, postgis: row.postgis, geos: row.geos, proj: row.proj }
  })
  app.get('/api/config', { config: { public: true }, schema: { summary: '浏览器端配置（天地图密钥等）/ Settings the web pages need', tags: ['health'] } }, async () => ({
    // A 天地图 key is a browser key by design (it is sent with every tile request); no other setting is exposed.
    tianditu: ctx.config.tiandituKey ? { key: ctx.config.tiandituKey } : null,
  }))
}
