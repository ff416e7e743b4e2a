// Stateless API processes and workers sharing one database, as docker-compose runs them: two API
// processes (no workers of their own) and one worker process, all started with `tsx` as `npm start`
// and `npm run worker` would. An upload through one API changes the tile served by the other within
// 2 s (LISTEN/NOTIFY); a large upload is queued and imported by the worker; a worker killed during
// an indicator run leaves the job to a restarted worker, which completes it.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import request from 'supertest'
import { VectorTile } from '@mapbox/vector-tile'
import { PbfReader } from 'pbf'
import zlib from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateCity, DEMO_LAYERS } from '../server/demo/generate.ts'
import { TEST_CITY, TOKEN } from './helpers/app.ts'
import { admin, scratchName, templateDb, urlFor } from './helpers/pg.ts'

const ROOT = path.resolve(import.meta.dirname, '..')
const AUTH = { Authorization: `Bearer ${TOKEN}` }

describe('two API processes and a worker on one database', () => {
  const procs: ChildProcess[] = []
  let dbName = ''
  let env: NodeJS.ProcessEnv
  let api1 = '',
    api2 = ''
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'citycheck-mp-'))

  const start = (script: string, extra: Record<string, string> = {}) => {
    const p = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: ROOT,
      env: { ...env, ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    p.stdout!.on('data', (d) => {
      out += d
    })
    p.stderr!.on('data', (d) => {
      out += d
    })
    ;(p as ChildProcess & { log: () => string }).log = () => out
    procs.push(p)
    return p as ChildProcess & { log: () => string }
  }
  // Waits for the server's own "is running … http://host:port/" line (it binds PORT=0, so no two
  // processes or test files can race for a port) and fails at once, with its log, if it exits.
  const up = (
    p: ChildProcess & { log: () => string },
    ms = 120_000,
    ready = /is running .*?(http:\/\/127\.0\.0\.1:\d+)\//,
  ): Promise<string> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`did not start in ${ms} ms:\n${p.log()}`)), ms)
      const onData = () => {
        const m = ready.exec(p.log())
        if (m) done(null, m[1] ?? m[0])
      }
      const onExit = (code: number | null) => done(new Error(`exited (${code}) before starting:\n${p.log()}`))
      const done = (err: Error | null, base = '') => {
        clearTimeout(timer)
        p.stdout!.off('data', onData)
        p.off('exit', onExit)
        if (err) reject(err)
        else resolve(base)
      }
      p.stdout!.on('data', onData)
      p.on('exit', onExit)
      onData()
    })
  const waitJob = async (base: string, status: string, until: (j: Record<string, any>) => boolean, ms = 60_000) => {
    const t0 = Date.now()
    for (;;) {
      const j = (await request(base).get(status)).body
      if (until(j)) return j
      if (Date.now() - t0 > ms)
        throw new Error(
          `job never reached the state: ${JSON.stringify(j)}\n${procs.map((p, i) => `--- process ${i} (exit ${p.exitCode}):\n${(p as ChildProcess & { log: () => string }).log().slice(-3000)}`).join('\n')}`,
        )
      await new Promise((r) => setTimeout(r, 20))
    }
  }

  beforeAll(async () => {
    dbName = scratchName('mp')
    await admin((c) => c.query(`CREATE DATABASE ${dbName} TEMPLATE ${templateDb()}`))
    await admin(async (c) => {
      const d = new (c.constructor as typeof import('pg').Client)({ connectionString: urlFor(dbName) })
      await d.connect()
      await d.query(`INSERT INTO cities (code, name) VALUES ($1, '测试市')`, [TEST_CITY])
      await d.end()
    })
    generateCity(dir, { cols: 30, rows: 30, seed: 11 })
    env = {
      ...process.env,
      DATABASE_URL: urlFor(dbName),
      HOST: '127.0.0.1',
      CITYCHECK_DEMO: '0',
      CITYCHECK_ADMIN_TOKEN: TOKEN,
      LOG_LEVEL: 'warn',
      CITYCHECK_JOB_STALE_S: '3',
      CITYCHECK_INLINE_UPLOAD_MB: '1',
    }
    const a1 = start('server/main.ts', { PORT: '0', CITYCHECK_WORKERS: '0' })
    const a2 = start('server/main.ts', { PORT: '0', CITYCHECK_WORKERS: '0' })
    const worker = start('server/worker.ts')
    ;[api1, api2] = await Promise.all([up(a1), up(a2), up(worker, 120_000, /worker \d+: \d+ worker/)])
  }, 150_000)

  afterAll(async () => {
    for (const p of procs) p.kill('SIGKILL')
    fs.rmSync(dir, { recursive: true, force: true })
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`))
  })

  it('loads a city: small files inline through API 1, large ones queued for the worker (202, then polled)', async () => {
    for (const layer of DEMO_LAYERS) {
      const file = fs.readFileSync(path.join(dir, `${layer}.geojson`))
      const r = await request(api1)
        .post(`/api/years/2025/layers/${layer}`)
        .set(AUTH)
        .attach('file', file, `${layer}.geojson`)
      if (file.length <= 1024 * 1024) {
        expect(r.status, `${layer} ${JSON.stringify(r.body).slice(0, 300)}`).toBe(201)
        continue
      }
      expect(r.status, layer).toBe(202)
      const j = await waitJob(api2, r.body.status, (x) => x.state === 'succeeded' || x.state === 'failed')
      expect(j.state, JSON.stringify(j.error)).toBe('succeeded')
      expect(j.result.featureCount).toBeGreaterThan(0)
    }
    const layers = (await request(api2).get('/api/years/2025/layers')).body.layers
    expect(layers.find((l: { layer: string }) => l.layer === 'buildings').featureCount).toBeGreaterThan(40_000)
    const uploads = (await request(api2).get('/api/uploads')).body.uploads
    expect(uploads.every((u: { status: string }) => u.status === 'succeeded')).toBe(true)
    expect(
      (await admin(async (c) => c.query(`SELECT count(*)::int n FROM pg_database WHERE datname = $1`, [dbName])))
        .rows[0].n,
    ).toBe(1)
  }, 180_000)

  it('an upload through API 1 changes the tile API 2 serves within 2 s', async () => {
    const c = JSON.parse(fs.readFileSync(path.join(dir, 'communities.geojson'), 'utf8'))
    const [lon, lat] = c.features[0].geometry.coordinates[0][0]
    const z = 14,
      n = 2 ** z,
      rr = (lat * Math.PI) / 180
    const x = Math.floor(((lon + 0.0005 + 180) / 360) * n),
      y = Math.floor(((1 - Math.log(Math.tan(rr) + 1 / Math.cos(rr)) / Math.PI) / 2) * n)
    const names = async () => {
      const r = await fetch(`${api2}/tiles/${TEST_CITY}/2025/communities/${z}/${x}/${y}.pbf`, {
        headers: { 'accept-encoding': 'gzip' },
      })
      if (r.status !== 200) return []
      const buf = Buffer.from(await r.arrayBuffer())
      const raw = buf[0] === 0x1f ? zlib.gunzipSync(buf) : buf
      const layer = new VectorTile(new PbfReader(raw)).layers.communities
      return Array.from({ length: layer?.length ?? 0 }, (_, i) => String(layer.feature(i).properties.name))
    }
    const before = await names()
    expect(before.length).toBeGreaterThan(0) // API 2 has this tile cached now
    c.features[0].properties.name = '改名社区'
    const r = await request(api1)
      .post('/api/years/2025/layers/communities')
      .set(AUTH)
      .attach('file', Buffer.from(JSON.stringify(c)), 'communities.geojson')
    expect(r.status).toBe(201)
    const t0 = Date.now()
    while (!(await names()).includes('改名社区')) {
      if (Date.now() - t0 > 2000) throw new Error('API 2 still serves the old tile after 2 s')
      await new Promise((res) => setTimeout(res, 50))
    }
    const ms = Date.now() - t0
    console.log(`tile on API 2 changed ${ms} ms after the upload through API 1 answered`)
    expect(ms).toBeLessThan(2000)
  })

  it('a worker killed during an indicator run: the job completes on a restarted worker', async () => {
    const worker = procs[2]
    const r = await request(api2).post('/api/years/2025/indicators/compute').set(AUTH)
    expect(r.status).toBe(202)
    const running = await waitJob(api1, r.body.status, (j) => j.state === 'running' || j.state === 'succeeded')
    expect(running.state, 'the run finished before it could be interrupted').toBe('running')
    worker.kill('SIGKILL')
    await new Promise((res) => setTimeout(res, 500))
    expect((await request(api1).get(r.body.status)).body.state).not.toBe('succeeded')
    start('server/worker.ts')
    const done = await waitJob(api1, r.body.status, (j) => j.state === 'succeeded' || j.state === 'failed', 90_000)
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded')
    expect(done.attempts).toBe(2)
    expect(done.result.results).toBeGreaterThan(1000)
    // One run stored: the killed attempt never committed.
    const runs = (await request(api2).get('/api/years/2025/indicators')).body.run
    expect(runs.id).toBe(done.result.runId)
  }, 120_000)
})
