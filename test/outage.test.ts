// A database outage, made real: the app reaches PostgreSQL through a TCP proxy that the test cuts
// (existing connections dropped, new ones refused) and restores. While it is cut every request that
// needs the database answers 503 CC_DB_UNAVAILABLE with Retry-After, health says what is down, the
// log has one line for the outage (not one per request), and the service recovers without a restart.
import net from 'node:net'
import { Writable } from 'node:stream'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildApp } from '../server/app.ts'
import { loadConfig } from '../server/config.ts'
import { openDatabase, type Database } from '../server/db/engine.ts'
import { openRuntime, type Runtime } from '../server/runtime.ts'
import { AUTH, TEST_CITY, TOKEN } from './helpers/app.ts'
import { geojson, polygonF, rect } from './helpers/fixtures.ts'
import { ADMIN_URL, admin, scratchName, templateDb } from './helpers/pg.ts'
import type { FastifyInstance } from 'fastify'

/** A TCP proxy to PostgreSQL that can be cut and restored. */
function proxy(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>()
  let server: net.Server | null = null
  let port = 0
  const open = () =>
    new Promise<void>((resolve) => {
      if (server?.listening) return resolve()
      server = net.createServer((c) => {
        const u = net.connect(target.port, target.host)
        sockets.add(c)
        sockets.add(u)
        c.pipe(u)
        u.pipe(c)
        const end = () => {
          c.destroy()
          u.destroy()
          sockets.delete(c)
          sockets.delete(u)
        }
        c.on('error', end)
        u.on('error', end)
        c.on('close', end)
        u.on('close', end)
      })
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as net.AddressInfo).port
        resolve()
      })
    })
  const cut = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy()
      sockets.clear()
      server?.close(() => resolve())
    })
  return {
    open,
    cut,
    get port() {
      return port
    },
  }
}

describe('database outage', () => {
  const pg = new URL(ADMIN_URL)
  const px = proxy({ host: pg.hostname, port: Number(pg.port || 5432) })
  let dbName = ''
  let db: Database, rt: Runtime, app: FastifyInstance
  const logLines: string[] = []

  beforeAll(async () => {
    dbName = scratchName('out')
    await admin((c) => c.query(`CREATE DATABASE ${dbName} TEMPLATE ${templateDb()}`))
    await px.open()
    const u = new URL(ADMIN_URL)
    u.host = `127.0.0.1:${px.port}`
    u.pathname = `/${dbName}`
    const config = loadConfig({
      CITYCHECK_UPLOAD_TOKENS: `tester:${TOKEN}`,
      CITYCHECK_DEMO: '0',
      DATABASE_URL: u.toString(),
      LOG_LEVEL: 'info',
    })
    db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: '/tmp' })
    await db.knex('cities').insert({ code: TEST_CITY, name: '测试市' })
    rt = await openRuntime(config, { db })
    const stream = new Writable({
      write(chunk, _e, cb) {
        logLines.push(String(chunk))
        cb()
      },
    })
    app = await buildApp(rt, { logger: true, logStream: stream })
    await app.ready()
    const up = await request(app.server)
      .post('/api/years/2025/layers/streets')
      .set(AUTH)
      .attach('file', geojson([polygonF(rect(0, 0, 500, 500), { code: 'S1', name: '街道' })]), 's.geojson')
    expect(up.status).toBe(201)
  })
  afterAll(async () => {
    await px.open().catch(() => {})
    await app?.close()
    await rt?.close()
    await db?.close()
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`))
  })

  it('answers 503 with Retry-After while the database is gone, logs it once, and recovers by itself', async () => {
    await px.cut()
    const before = logLines.length
    const routes = [
      '/api/years',
      '/api/years/2025/layers/streets',
      '/api/years/2025/indicators',
      '/tiles/2025/streets/10/0/0.pbf',
      '/api/uploads',
    ]
    for (let i = 0; i < 4; i++) {
      for (const url of routes) {
        const r = await request(app.server).get(url)
        expect(r.status, url).toBe(503)
        expect(r.headers['retry-after']).toBe('5')
        expect(r.body.error.code).toBe('CC_DB_UNAVAILABLE')
        expect(r.body.error.message).toMatch(/^数据库暂时不可用.* \/ The database is unavailable/)
      }
    }
    const up = await request(app.server)
      .post('/api/years/2025/layers/streets')
      .set(AUTH)
      .attach('file', geojson([polygonF(rect(0, 0, 500, 500), { code: 'S2', name: '新街道' })]), 's.geojson')
    expect(up.status).toBe(503)
    const h = await request(app.server).get('/api/health')
    expect(h.status).toBe(503)
    expect(h.body).toMatchObject({ status: 'unavailable', database: 'unavailable' })
    const outageLines = logLines.slice(before).filter((l) => l.includes('database unavailable'))
    expect(outageLines).toHaveLength(1)
    expect(logLines.slice(before).filter((l) => /"level":50/.test(l) && !l.includes('database unavailable'))).toEqual(
      [],
    )

    await px.open()
    let back = 0
    for (let i = 0; i < 100 && back !== 200; i++) {
      back = (await request(app.server).get('/api/years/2025/layers/streets')).status
      if (back !== 200) await new Promise((r) => setTimeout(r, 100))
    }
    expect(back).toBe(200)
    expect((await request(app.server).get('/api/health')).body.database).toBe('ok')
    expect(logLines.some((l) => l.includes('database available again'))).toBe(true)
    // Nothing of the refused upload was kept; the earlier version is still current.
    const f = (await request(app.server).get('/api/years/2025/layers/streets')).body.features
    expect(f.map((x: { properties: { code: string } }) => x.properties.code)).toEqual(['S1'])
  })
})
