import type { FastifyInstance } from 'fastify'
import type { AppContext } from '../context.ts'
import { checkYear } from '../import/pipeline.ts'
import { renderIndicatorMap } from './render.ts'

export default async function mapRoutes(app: FastifyInstance, ctx: AppContext) {
  app.get(
    '/years/:year/maps/:indicator.png',
    {
      schema: {
        summary: '报告用专题图（PNG）/ A finished map figure for the report (PNG)',
        tags: ['maps'],
        params: {
          type: 'object',
          properties: { year: { type: 'integer' }, indicator: { type: 'string' } },
          required: ['year', 'indicator'],
        },
        querystring: {
          type: 'object',
          properties: {
            level: { type: 'string', enum: ['street', 'community'], default: 'community' },
            unit: { type: 'string', description: 'a 街道 code: that 街道 and its 社区 only' },
            width: { type: 'integer', minimum: 400, maximum: 6000, default: 1600 },
            height: { type: 'integer', minimum: 300, maximum: 6000, default: 1200 },
            lang: { type: 'string', enum: ['zh', 'en'], default: 'zh' },
          },
        },
      },
    },
    async (req, reply) => {
      const { year, indicator } = req.params as { year: number; indicator: string }
      const q = req.query as {
        level: 'street' | 'community'
        unit?: string
        width: number
        height: number
        lang: 'zh' | 'en'
      }
      const png = await renderIndicatorMap(ctx.db.knex, req.city.code, checkYear(year), indicator, q)
      return reply
        .header('content-type', 'image/png')
        .header('cache-control', 'no-cache')
        .header('content-disposition', `inline; filename*=UTF-8''${encodeURIComponent(`${year}-${indicator}.png`)}`)
        .send(png)
    },
  )
}
