import type { FastifyInstance } from 'fastify'
import type { AppContext } from '../context.ts'
import { getJob } from './queue.ts'

export default async function jobRoutes(app: FastifyInstance, ctx: AppContext) {
  app.get(
    '/jobs/:id',
    {
      schema: {
        summary: '任务状态与进度（阶段、行数）/ Job state and progress (stage, rows)',
        tags: ['jobs'],
        params: {
          type: 'object',
          properties: { id: { type: 'integer', minimum: 1, maximum: 9007199254740991 } },
          required: ['id'],
        },
      },
    },
    async (req) => getJob(ctx.db.knex, req.city.code, (req.params as { id: number }).id),
  )
}
