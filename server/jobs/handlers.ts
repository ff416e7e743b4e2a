// What each kind of job does. Registered in every process that runs workers (npm start, npm run worker).
import type { Config } from '../config.ts'
import type { Database } from '../db/engine.ts'
import type { CityRegistry } from '../cities/store.ts'
import { failUploadsOfJob, importFraction, importLayer } from '../import/pipeline.ts'
import { readUploadBytes } from '../import/spool.ts'
import { computeYear } from '../indicators/service.ts'
import { site, type SitingRequest } from '../siting/service.ts'
import type { JobQueue } from './queue.ts'

export function registerHandlers(queue: JobQueue, db: Database, config: Config, cities: CityRegistry) {
  queue.handle('import', async (job) => {
    const p = job.payload as { uploadId: number; layer: string; fileName: string; options: Record<string, unknown> }
    const buffer = await readUploadBytes(db.knex, p.uploadId)
    return importLayer(
      db,
      {
        city: job.city,
        year: job.year!,
        layer: p.layer,
        fileName: p.fileName,
        buffer,
        uploader: job.by,
        options: p.options ?? {},
        uploadId: p.uploadId,
        jobId: job.id,
        retryable: job.attempt < 3,
      },
      config,
      (stage, done, total) => job.progress(importFraction(stage, done, total), stage, { stage, rows: done, total }),
    )
  })
  queue.handle('indicators', async (job) =>
    computeYear(db, config, await cities.get(job.city), job.year!, (p, m) => job.progress(p, m), job.id),
  )
  queue.handle('siting', async (job) =>
    site(db.knex, config, await cities.get(job.city), job.year!, job.payload.request as SitingRequest),
  )
  queue.onLost = async (id) => {
    await failUploadsOfJob(db.knex, id)
  }
}
