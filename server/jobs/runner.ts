// Long work (indicator computation) runs as a job (table background_jobs: `jobs` is the employment layer): POST answers 202 with the job id at once, the
// work runs in this process, and GET /api/jobs/:id reports state and progress from the jobs table.
import type { Knex } from 'knex'
import { AppError } from '../errors.ts'

export type JobFn = (progress: (p: number, message: string) => void) => Promise<unknown>

const running = new Map<number, Promise<void>>()

export async function startJob(knex: Knex, kind: string, year: number | null, by: string, fn: JobFn): Promise<{ id: number; existing: boolean }> {
  // One job of a kind per year at a time: a second request joins the first.
  const active = await knex('background_jobs').where({ kind, year }).whereIn('state', ['queued', 'running']).orderBy('id', 'desc').first('id')
  if (active && running.has(active.id)) return { id: active.id, existing: true }
  const [{ id }] = await knex('background_jobs').insert({ kind, year, state: 'queued', created_by: by }).returning('id')
  let last = 0
  const progress = (p: number, message: string) => {
    const now = Date.now()
    if (now - last < 250 && p < 1) return // throttle writes
    last = now
    knex('background_jobs').where({ id }).update({ progress: Math.min(1, p), message }).catch(() => {})
  }
  const work = (async () => {
    await new Promise((r) => setImmediate(r))
    await knex('background_jobs').where({ id }).update({ state: 'running', started_at: knex.fn.now() })
    try {
      const result = await fn(progress)
      await knex('background_jobs').where({ id }).update({ state: 'succeeded', progress: 1, message: 'done', result: JSON.stringify(result ?? null), finished_at: knex.fn.now() })
    } catch (e) {
      const error = e instanceof AppError ? e.toJSON().error : { code: 'CC_INTERNAL', message: (e as Error).message }
      await knex('background_jobs').where({ id }).update({ state: 'failed', error: JSON.stringify(error), finished_at: knex.fn.now() })
    } finally {
      running.delete(id)
    }
  })()
  running.set(id, work)
  return { id, existing: false }
}

export async function getJob(knex: Knex, id: number) {
  const j = await knex('background_jobs').where({ id }).first()
  if (!j) throw new AppError('CC_NOT_FOUND', { what: `job ${id}` })
  return j
}

/** Jobs left queued/running by a process that stopped are marked failed at start-up. */
export async function markInterruptedJobs(knex: Knex): Promise<number> {
  return knex('background_jobs').whereIn('state', ['queued', 'running']).update({ state: 'failed', error: JSON.stringify({ code: 'CC_INTERNAL', message: '服务重启，任务中断 / interrupted by a restart' }), finished_at: knex.fn.now() })
}
