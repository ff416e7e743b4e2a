import type { FastifyInstance } from 'fastify'
import type { AppContext } from '../context.ts'
import { getJob } from './runner.ts'

export default async function jobRoutes(app: FastifyInstance, ctx: AppContext) {
  app.get('/api/jobs/:id', {
    schema: { summary: '任务状态与进度 / Job state and progress', tags: ['jobs'], params: { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] } },
  }, async (req) => getJob(ctx.db.knex, (req.params as { id: number }).id))
}
