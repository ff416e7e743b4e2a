// The quick-start engine: embedded PostGIS (PGlite) in a worker thread behind pglite-socket,
// reached through the same knex/pg code path as PostgreSQL.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../server/app.ts'
import { loadConfig } from '../server/config.ts'
import { openDatabase, type Database } from '../server/db/engine.ts'
import { openRuntime, type Runtime } from '../server/runtime.ts'
import { computeYear } from '../server/indicators/service.ts'
import { AUTH, TEST_CITY, TOKEN } from './helpers/app.ts'
import { geojson, pointF, polygonF, rect, ll } from './helpers/fixtures.ts'
import { get, upload } from './helpers/upload.ts'

describe('embedded PostGIS engine', () => {
  let db: Database
  let rt: Runtime
  let app: FastifyInstance
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'citycheck-embedded-'))

  beforeAll(async () => {
    const config = loadConfig({ CITYCHECK_DATA_DIR: dir, CITYCHECK_UPLOAD_TOKENS: TOKEN, CITYCHECK_DEMO: '0' })
    db = await openDatabase({ dataDir: config.dataDir })
    await db.knex('cities').insert({ code: TEST_CITY, name: '测试市' })
    rt = await openRuntime(config, { db })
    app = await buildApp(rt)
    await app.ready()
  }, 180_000)
  afterAll(async () => {
    await app?.close()
    await rt?.close()
    await db?.close()
    fs.rmSync(dir, { recursive: true, force: true })
  })

  it('reports itself and PostGIS 3', async () => {
    const h = await get(app, '/api/health')
    expect(h.body).toMatchObject({ engine: 'embedded', postgis: expect.stringMatching(/^3\./) })
  })

  it('imports through the same pipeline (no COPY) with validation in PostGIS', async () => {
    const ok = await upload(
      app,
      2025,
      'streets',
      geojson([polygonF(rect(0, 0, 500, 500), { code: 'S1', name: '滨河街道' })]),
      's.geojson',
    )
    expect(ok.status).toBe(201)
    const c = await upload(
      app,
      2025,
      'communities',
      geojson([
        polygonF(rect(100, 100, 200, 200), { code: 'C1', name: '春晖社区' }),
        polygonF(rect(900, 900, 950, 950), { code: 'C2' }),
      ]),
      'c.geojson',
    )
    expect(c.status).toBe(422)
    expect(c.body.error.code).toBe('CC_COMMUNITY_OUTSIDE_STREET')
    const f = await upload(
      app,
      2025,
      'facilities',
      geojson([pointF(ll(50, 50), { name: '幼儿园', type: '幼儿园' })]),
      'f.geojson',
      {},
      AUTH,
    )
    expect(f.status).toBe(201)
    expect((await get(app, '/api/years/2025/layers/streets')).body.features[0].properties.name).toBe('滨河街道')
  })

  it('cuts vector tiles without ST_AsMVT (geojson-vt) and reports no 天地图 key', async () => {
    const z = 14,
      n = 2 ** z
    const [lon, lat] = ll(250, 250)
    const x = Math.floor(((lon + 180) / 360) * n)
    const y = Math.floor(
      ((1 - Math.log(Math.tan((lat * Math.PI) / 180) + 1 / Math.cos((lat * Math.PI) / 180)) / Math.PI) / 2) * n,
    )
    const r = await get(app, `/tiles/2025/streets/${z}/${x}/${y}.pbf`)
    expect(r.status).toBe(200)
    expect(r.headers['content-type']).toBe('application/vnd.mapbox-vector-tile')
    expect((await get(app, '/api/config')).body).toEqual({ tianditu: null })
  })

  it('stores a run as result sets (binary arrays through the socket) and reads them back through the view', async () => {
    const config = loadConfig({ CITYCHECK_DATA_DIR: dir, CITYCHECK_DEMO: '0' })
    const city = { code: TEST_CITY, name: '测试市', nameEn: null, zone: null, createdAt: '' }
    const run = await computeYear(db, config, city, 2025)
    expect(run.results).toBeGreaterThan(0)
    const sets = await db.knex('indicator_result_sets').where({ run_id: run.runId }).count('* as n')
    expect(Number(sets[0].n)).toBeGreaterThan(0)
    const rows = await db.knex('indicator_results').where({ run_id: run.runId })
    expect(rows.length).toBe(run.results)
    // The 街道 has no 社区 and no buildings: its kindergarten coverage is no-data, with the reason.
    const k = rows.find((r) => r.indicator === 'kindergarten_coverage' && r.level === 'street' && r.variant === 'area')
    expect(k).toMatchObject({ unit_code: 'S1', unit_name: '滨河街道', value: null, status: 'no-data' })
    expect(k.extra.noData.zh).toBeTruthy()
  })

  it('never freezes the main thread: timers keep firing during a slow query', async () => {
    let ticks = 0
    const iv = setInterval(() => ticks++, 10)
    await db.knex.raw('SELECT pg_sleep(0.6)')
    clearInterval(iv)
    // A frozen thread fires at most once; a free one ~60 times, fewer on a machine busy with the rest
    // of the suite (28 seen on two cores with the browser tests running).
    expect(ticks).toBeGreaterThan(15)
  })
})
