// Background work: imports, indicator runs and siting run as jobs.
//
// On PostgreSQL the queue is pg-boss (durable, in the same database): any number of API and worker
// processes share it, a job is taken by one worker, and a failed attempt is retried. What users
// see of a job — state, stage, progress, rows, result — lives in background_jobs.
//
// pg-boss notices a dead worker only when the job's expiry passes (hours, for a long import). So
// a running job beats a heartbeat into background_jobs every 2 s, and every worker process sweeps
// for jobs whose heartbeat stopped for 15 s: it hands them back to pg-boss with `fail`, which
// schedules the retry (retryLimit) on whichever worker fetches next.
//
// On the embedded engine (one process by construction) fastq — the queue under Fastify's own
// plugin loader — runs jobs in this process: the in-process stand-in the design allows.
import os from 'node:os'
import fastq from 'fastq'
import PgBoss from 'pg-boss'
import type { Knex } from 'knex'
import type { Database } from '../db/engine.ts'
import { AppError } from '../errors.ts'
import { withStartupLock } from '../db/client.ts'

export const JOB_KINDS = ['import', 'indicators', 'siting'] as const
export type JobKind = (typeof JOB_KINDS)[number]

export interface JobContext {
  id: number
  city: string
  year: number | null
  payload: Record<string, any>
  by: string
  attempt: number
  /** p in 0..1; `stage` and `rows` are shown as they are */
  progress(p: number, message: string, extra?: { stage?: string; rows?: number; total?: number }): void
}
export type Handler = (job: JobContext) => Promise<unknown>

export interface EnqueueRequest {
  city: string
  year: number | null
  by: string
  payload?: Record<string, unknown>
  /** join a queued or running job of the same kind, city and year instead of adding one */
  joinActive?: boolean
}

const WORKER_ID = `${os.hostname()}:${process.pid}`
const HEARTBEAT_MS = 2000
const MAX_ATTEMPTS = 3

export abstract class JobQueue {
  protected handlers = new Map<JobKind, Handler>()
  protected running = new Set<number>()
  private sweeper: NodeJS.Timeout | null = null

  /** seconds without a heartbeat after which a running job counts as lost */
  staleAfterS = 15

  constructor(protected db: Database) {}

  handle(kind: JobKind, fn: Handler) {
    this.handlers.set(kind, fn)
  }

  protected abstract dispatch(kind: JobKind, id: number): Promise<string | null>
  abstract start(workers: number): Promise<void>
  abstract stop(): Promise<void>

  async enqueue(kind: JobKind, r: EnqueueRequest): Promise<{ id: number; existing: boolean }> {
    const { knex } = this.db
    if (r.joinActive) {
      const active = await knex('background_jobs')
        .where({ kind, city: r.city, year: r.year })
        .whereIn('state', ['queued', 'running'])
        .orderBy('id', 'desc')
        .first('id')
      if (active) return { id: active.id, existing: true }
    }
    const [{ id }] = await knex('background_jobs')
      .insert({
        kind,
        city: r.city,
        year: r.year,
        state: 'queued',
        created_by: r.by,
        payload: JSON.stringify(r.payload ?? {}),
        message: 'queued',
      })
      .returning('id')
    const queueId = await this.dispatch(kind, id)
    if (queueId) await knex('background_jobs').where({ id }).update({ queue_id: queueId })
    return { id, existing: false }
  }

  /**
   * Runs one attempt of job `id` in this process. Returns normally when the job is finished either
   * way; throws only to ask the queue for another attempt (an unexpected failure, attempts left).
   */
  async run(id: number, inline?: Handler): Promise<void> {
    const { knex } = this.db
    const claimed = await knex('background_jobs')
      .where({ id })
      .whereIn('state', ['queued', 'running'])
      .update({
        state: 'running',
        started_at: knex.fn.now(),
        heartbeat_at: knex.fn.now(),
        worker: WORKER_ID,
        attempts: knex.raw('attempts + 1'),
        error: null,
      })
      .returning(['kind', 'city', 'year', 'payload', 'created_by', 'attempts'])
    if (!claimed.length) return // finished meanwhile, or the city was dropped
    const j = claimed[0]
    const handler = inline ?? this.handlers.get(j.kind)
    this.running.add(id)
    const beat = setInterval(
      () => {
        knex('background_jobs')
          .where({ id, state: 'running' })
          .update({ heartbeat_at: knex.fn.now() })
          .catch(() => {})
      },
      Math.min(HEARTBEAT_MS, (this.staleAfterS * 1000) / 3),
    )
    beat.unref()
    let last = 0
    const progress: JobContext['progress'] = (p, message, extra = {}) => {
      const now = Date.now()
      if (now - last < 250 && p < 1) return // throttle writes
      last = now
      // Only while running: a late progress write must never overwrite a finished job.
      knex('background_jobs')
        .where({ id, state: 'running' })
        .update({
          progress: Math.min(1, p),
          message,
          stage: extra.stage ?? message,
          rows: extra.rows,
          total: extra.total,
        })
        .catch(() => {})
    }
    try {
      if (!handler) throw new AppError('CC_INTERNAL')
      const result = await handler({
        id,
        city: j.city,
        year: j.year,
        payload: j.payload ?? {},
        by: j.created_by,
        attempt: j.attempts,
        progress,
      })
      await knex('background_jobs')
        .where({ id })
        .update({
          state: 'succeeded',
          progress: 1,
          message: 'done',
          stage: 'done',
          result: JSON.stringify(result ?? null),
          finished_at: knex.fn.now(),
        })
    } catch (e) {
      // A user's error (bad file, no data) will not get better by trying again.
      const retry = !inline && !(e instanceof AppError) && j.attempts < MAX_ATTEMPTS
      const error =
        e instanceof AppError
          ? e.toJSON().error
          : {
              code: 'CC_INTERNAL',
              message: '任务失败 / the job failed',
              detail: String((e as Error).message).slice(0, 500),
            }
      await knex('background_jobs')
        .where({ id })
        .update(
          retry
            ? {
                state: 'queued',
                message: `重试 / retrying (attempt ${j.attempts} failed)`,
                error: JSON.stringify(error),
              }
            : { state: 'failed', error: JSON.stringify(error), finished_at: knex.fn.now() },
        )
        .catch(() => {})
      if (retry || inline) throw e
    } finally {
      clearInterval(beat)
      this.running.delete(id)
    }
  }

  /** Hands jobs whose worker stopped beating back to the queue (or fails them when they cannot be retried). */
  async sweep(): Promise<number> {
    const { knex } = this.db
    const lost = await knex('background_jobs')
      .where('state', 'running')
      .where('heartbeat_at', '<', knex.raw(`now() - make_interval(secs => ?)`, [this.staleAfterS]))
      .whereNotIn('id', [...this.running])
      .update({ state: 'queued', message: '执行进程已停止，重新排队 / the worker stopped; queued again' })
      .returning(['id', 'kind', 'queue_id', 'attempts', 'payload'])
    for (const j of lost) {
      const again = j.attempts < MAX_ATTEMPTS && this.retryable(j.kind, j.payload)
      if (!again) {
        await knex('background_jobs')
          .where({ id: j.id })
          .update({
            state: 'failed',
            finished_at: knex.fn.now(),
            error: JSON.stringify({
              code: 'CC_INTERNAL',
              message: '执行进程中断，任务未完成 / the process running this job stopped before it finished',
            }),
          })
        await this.onLost(j.id)
      }
      await this.requeue(j.kind, j.id, j.queue_id, again)
    }
    return lost.length
  }

  /** An inline job (run inside a request) cannot be retried: its bytes were never stored. */
  protected retryable(_kind: string, payload: Record<string, unknown> | null): boolean {
    return !payload?.inline
  }

  /** Called for a job that was lost and will not run again (uploads mark their row failed). */
  onLost: (id: number) => Promise<void> = async () => {}

  protected abstract requeue(kind: JobKind, id: number, queueId: string | null, again: boolean): Promise<void>

  protected startSweeper() {
    if (this.sweeper) return
    this.sweeper = setInterval(
      () => {
        this.sweep().catch(() => {})
      },
      Math.min(5000, (this.staleAfterS * 1000) / 3),
    )
    this.sweeper.unref()
  }

  protected stopSweeper() {
    if (this.sweeper) clearInterval(this.sweeper)
    this.sweeper = null
  }

  /**
   * Runs `fn` as a job inside the current request (a small upload): the job is logged and beats
   * like any other, but needs no queue round trip, and its error reaches the caller as it is.
   */
  async runHere<T>(
    kind: JobKind,
    r: EnqueueRequest,
    fn: (job: JobContext) => Promise<T>,
  ): Promise<{ id: number; result: T }> {
    const [{ id }] = await this.db
      .knex('background_jobs')
      .insert({
        kind,
        city: r.city,
        year: r.year,
        state: 'queued',
        created_by: r.by,
        payload: JSON.stringify({ ...(r.payload ?? {}), inline: true }),
      })
      .returning('id')
    let result: T | undefined
    await this.run(id, async (job) => (result = await fn(job)))
    return { id, result: result as T }
  }
}

/** pg-boss on PostgreSQL. */
export class PgBossQueue extends JobQueue {
  private boss: PgBoss
  private workerIds = new Map<string, string[]>()
  private started = false
  private unlisten: (() => void) | null = null

  constructor(db: Database) {
    super(db)
    // pg-boss keeps its own small pool and schema (pgboss) in the same database.
    this.boss = new PgBoss({
      connectionString: db.url!,
      schema: 'pgboss',
      max: 3,
      application_name: 'citycheck-queue',
      supervise: true,
    })
    this.boss.on('error', () => {
      /* connection trouble: the pool reconnects; jobs keep their state */
    })
  }

  async start(workers: number) {
    if (!this.started) {
      // Processes starting together (API replicas, workers) must not create the queues at once: pg-boss's
      // createQueue from three processes deadlocked in 15 of 15 tries on a new database, and the start of
      // all but one failed (CI saw it as an API or worker process that never came up). One at a time,
      // under a session advisory lock, each creating only what is missing.
      await withStartupLock(
        this.db,
        async () => {
          await this.boss.start()
          for (const kind of JOB_KINDS) {
            if (await this.boss.getQueue(kind)) continue
            // retryLimit counts retries after the first attempt; expiry is a last resort (the sweeper acts first).
            await this.boss.createQueue(kind, {
              name: kind,
              retryLimit: MAX_ATTEMPTS - 1,
              retryDelay: 1,
              expireInSeconds: 6 * 3600,
            })
          }
        },
        'citycheck:queues',
      )
      this.started = true
    }
    for (let w = 0; w < workers; w++) {
      for (const kind of JOB_KINDS) {
        const id = await this.boss.work<{ jobId: number }>(
          kind,
          { pollingIntervalSeconds: 2, batchSize: 1 },
          async ([job]) => {
            await this.run(job.data.jobId)
          },
        )
        this.workerIds.set(kind, [...(this.workerIds.get(kind) ?? []), id])
      }
    }
    if (workers > 0) {
      // A NOTIFY from whichever process queued the job wakes the fetch loop at once; the 2 s poll
      // only covers a notice lost in a reconnect.
      this.unlisten ??= this.db.events.onJobs((kind) => {
        for (const w of this.workerIds.get(kind) ?? []) this.boss.notifyWorker(w)
      })
      this.startSweeper()
    }
  }

  protected async dispatch(kind: JobKind, id: number) {
    if (!this.started) await this.start(0)
    const qid = await this.boss.send(kind, { jobId: id }, { retryLimit: MAX_ATTEMPTS - 1, retryDelay: 1 })
    await this.db.events.jobQueued(kind)
    return qid
  }

  protected async requeue(kind: JobKind, _id: number, queueId: string | null, again: boolean) {
    if (!queueId) return
    // fail → pg-boss moves the job to `retry` while attempts remain; `complete` ends it otherwise.
    if (again) await this.boss.fail(kind, queueId, { reason: 'worker lost' })
    else await this.boss.complete(kind, queueId).catch(() => {})
  }

  async stop() {
    this.stopSweeper()
    this.unlisten?.()
    this.unlisten = null
    if (this.started) await this.boss.stop({ graceful: false, wait: true, timeout: 2000 }).catch(() => {})
    this.started = false
  }
}

/** fastq in this process (embedded engine, or a test that wants no pg-boss). */
export class InProcessQueue extends JobQueue {
  private q = fastq.promise((id: number) => this.runWithRetry(id), 1)

  private async runWithRetry(id: number) {
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      try {
        await this.run(id)
        return
      } catch {
        /* run() recorded it; try again */
      }
    }
  }

  async start() {
    // One process owns this engine: whatever was running when it stopped is queued again.
    const left = await this.db
      .knex('background_jobs')
      .whereIn('state', ['queued', 'running'])
      .select('id', 'kind', 'payload')
    for (const j of left) {
      if (this.retryable(j.kind, j.payload)) {
        await this.db.knex('background_jobs').where({ id: j.id }).update({ state: 'queued' })
        this.q.push(j.id).catch(() => {})
      } else {
        await this.db
          .knex('background_jobs')
          .where({ id: j.id })
          .update({
            state: 'failed',
            finished_at: this.db.knex.fn.now(),
            error: JSON.stringify({ code: 'CC_INTERNAL', message: '服务重启，任务中断 / interrupted by a restart' }),
          })
        await this.onLost(j.id)
      }
    }
  }

  protected async dispatch(_kind: JobKind, id: number) {
    this.q.push(id).catch(() => {})
    return null
  }

  protected async requeue(_kind: JobKind, id: number, _q: string | null, again: boolean) {
    if (again) this.q.push(id).catch(() => {})
  }

  async stop() {
    this.q.kill()
  }
}

/** Waits for a job to end (up to `ms`); its row, or null when it is still going. */
export async function waitForJob(knex: Knex, id: number, ms: number): Promise<Record<string, any> | null> {
  const t0 = Date.now()
  for (let wait = 20; Date.now() - t0 < ms; wait = Math.min(500, wait * 2)) {
    const j = await knex('background_jobs').where({ id }).first('state', 'result', 'error')
    if (j && (j.state === 'succeeded' || j.state === 'failed')) return j
    await new Promise((r) => setTimeout(r, wait))
  }
  return null
}

export function openQueue(db: Database, opts: { staleAfterS?: number } = {}): JobQueue {
  const q = db.engine === 'postgresql' ? new PgBossQueue(db) : new InProcessQueue(db)
  if (opts.staleAfterS) q.staleAfterS = opts.staleAfterS
  return q
}

export async function getJob(knex: Knex, city: string, id: number) {
  if (!Number.isSafeInteger(id) || id < 1) throw new AppError('CC_NOT_FOUND', { what: `job ${id}` })
  const j = await knex('background_jobs').where({ id, city }).first()
  if (!j) throw new AppError('CC_NOT_FOUND', { what: `job ${id}` })
  const { payload: _p, queue_id: _q, ...rest } = j
  return rest
}
