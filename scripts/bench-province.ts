// A province on one platform: N generated cities of ~B buildings each (default 10 × 300k) uploaded
// and computed through the job queue by 1 and then 2 worker processes, each city's staff uploading
// their layers in order (as the API route does: bytes into upload_chunks, a job on pg-boss) and
// asking for the indicators once the last layer is in. Printed: per-city time, the total, and the
// total against N × the single-city time measured in this same run (the same work in one process,
// no queue), so "linear" reads as a ratio near 1 for one worker.
//   npm run bench:province [-- --cities 10 --buildings 300000 --workers 1,2]
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { benchCity, scratchDb, ensureCity } from './bench-common.ts'
import { loadConfig } from '../server/config.ts'
import { openDatabase, type Database } from '../server/db/engine.ts'
import { DEMO_LAYERS } from '../server/demo/generate.ts'
import { beginUpload, importLayer } from '../server/import/pipeline.ts'
import { storeUploadBytes } from '../server/import/spool.ts'
import { computeYear } from '../server/indicators/service.ts'
import { PgBossQueue } from '../server/jobs/queue.ts'
import type { City } from '../server/cities/store.ts'

const { values: a } = parseArgs({
  options: {
    cities: { type: 'string', default: '10' },
    buildings: { type: 'string', default: '300000' },
    workers: { type: 'string', default: '1,2' },
  },
})
const N = Number(a.cities),
  per = Number(a.buildings)
const ROOT = path.resolve(import.meta.dirname, '..')
const cities: City[] = Array.from({ length: N }, (_, k) => ({
  code: `99${String(k + 1).padStart(2, '0')}00`,
  name: `基准${k + 1}市`,
  nameEn: null,
  zone: null,
  createdAt: '',
}))
const sec = (t: number) => (Date.now() - t) / 1000

console.log(`generating ${N} cities of ~${per} buildings (cached in bench-out/)…`)
const dirs = cities.map((c, k) => benchCity(per, c.code, 100 + k).dir)
const files = dirs.map((d) =>
  Object.fromEntries(DEMO_LAYERS.map((l) => [l, fs.readFileSync(path.join(d, `${l}.geojson`))])),
)

// --- baseline: one city, the same pipeline, in this process, no queue
const base = await scratchDb('citycheck_bench_prov_base')
const config = loadConfig({ ...process.env, DATABASE_URL: base.url, CITYCHECK_DEMO: '0', LOG_LEVEL: 'warn' })
let db: Database = await openDatabase({ databaseUrl: base.url, dataDir: '/tmp' })
await ensureCity(db, cities[0])
let t = Date.now()
let buildings = 0
for (const layer of DEMO_LAYERS) {
  const r = await importLayer(
    db,
    {
      city: cities[0].code,
      year: 2025,
      layer,
      fileName: `${layer}.geojson`,
      buffer: files[0][layer],
      uploader: 'bench',
      options: {},
    },
    { ...config, maxUnpackedBytes: 8e9 },
  )
  if (layer === 'buildings') buildings = r.featureCount
}
await computeYear(db, config, cities[0], 2025)
const single = sec(t)
await db.close()
await base.drop()
console.log(`single city, in process: ${buildings} buildings imported and computed in ${single.toFixed(1)} s`)

const rows: string[] = []
for (const W of a.workers.split(',').map(Number)) {
  const scratch = await scratchDb(`citycheck_bench_prov_${W}`)
  db = await openDatabase({ databaseUrl: scratch.url, dataDir: '/tmp' })
  for (const c of cities) await ensureCity(db, c)
  const queue = new PgBossQueue(db)
  await queue.start(0) // this process only sends
  const env = {
    ...process.env,
    DATABASE_URL: scratch.url,
    CITYCHECK_DEMO: '0',
    LOG_LEVEL: 'warn',
    CITYCHECK_WORKERS: '1',
    NODE_OPTIONS: '--max-old-space-size=8192',
  }
  const workers: ChildProcess[] = Array.from({ length: W }, () =>
    spawn(process.execPath, ['--import', 'tsx', 'server/worker.ts'], { cwd: ROOT, env, stdio: 'ignore' }),
  )
  await new Promise((r) => setTimeout(r, 3000)) // workers up and polling

  const wait = async (id: number) => {
    for (;;) {
      const j = await db.knex('background_jobs').where({ id }).first('state', 'error')
      if (j.state === 'succeeded') return
      if (j.state === 'failed') throw new Error(`job ${id} failed: ${JSON.stringify(j.error)}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  t = Date.now()
  const perCity = await Promise.all(
    cities.map(async (c, k) => {
      const t0 = Date.now()
      for (const layer of DEMO_LAYERS) {
        const req = { city: c.code, year: 2025, layer, fileName: `${layer}.geojson`, uploader: 'bench', options: {} }
        const uploadId = await beginUpload(db.knex, { ...req, bytes: files[k][layer].length }, 'queued')
        await storeUploadBytes(db.knex, uploadId, files[k][layer])
        const job = await queue.enqueue('import', {
          city: c.code,
          year: 2025,
          by: 'bench',
          payload: { uploadId, layer, fileName: req.fileName, options: {} },
        })
        await db.knex('uploads').where({ id: uploadId }).update({ job_id: job.id })
        await wait(job.id)
      }
      const job = await queue.enqueue('indicators', { city: c.code, year: 2025, by: 'bench' })
      await wait(job.id)
      return sec(t0)
    }),
  )
  const total = sec(t)
  // Nothing lost: every city has every layer, all its buildings and one stored run.
  const check =
    await db.knex.raw(`SELECT c.code, (SELECT count(*) FROM layer_current l WHERE l.city = c.code)::int layers,
      (SELECT building_count FROM indicator_runs r WHERE r.city = c.code ORDER BY id DESC LIMIT 1) b FROM cities c ORDER BY c.code`)
  const lost = check.rows.filter((r: { layers: number; b: number | null }) => r.layers !== DEMO_LAYERS.length || !r.b)
  for (const w of workers) w.kill('SIGTERM')
  await queue.stop()
  await db.close()
  await scratch.drop()
  const line =
    `${W} worker(s): ${N} cities in ${total.toFixed(1)} s; per city ${Math.min(...perCity).toFixed(1)}–${Math.max(...perCity).toFixed(1)} s (each waits its turn in the queue); ` +
    `total vs ${N} × single city (${(N * single).toFixed(1)} s): ${(total / (N * single)).toFixed(2)}; buildings per city ${check.rows.map((r: { b: number }) => r.b).join(', ')}; ${lost.length ? `LOST: ${JSON.stringify(lost)}` : 'nothing lost'}`
  console.log(line)
  rows.push(line)
}
console.log('\n' + rows.join('\n'))
process.exit(0)
