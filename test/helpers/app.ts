import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll } from 'vitest'
import { buildApp } from '../../server/app.ts'
import { loadConfig, type Config } from '../../server/config.ts'
import { openDatabase, type Database } from '../../server/db/engine.ts'
import { openRuntime, type Runtime } from '../../server/runtime.ts'
import { admin, scratchName, templateDb, urlFor } from './pg.ts'

export const TOKEN = 'test-token-0123456789'
export const AUTH = { Authorization: `Bearer ${TOKEN}` }
/** The city a test app starts with (the routes without a city act on it). */
export const TEST_CITY = '990100'

export interface TestEnv {
  app: FastifyInstance
  db: Database
  config: Config
  dbName: string
  rt: Runtime
}

/** A fresh database (cloned from the migrated template) with one city, and an app on it, for one test file. */
export function useTestApp(env: Record<string, string> = {}, opts: { city?: boolean } = {}): TestEnv {
  const t = {} as TestEnv
  beforeAll(async () => {
    t.dbName = scratchName('t')
    await admin((c) => c.query(`CREATE DATABASE ${t.dbName} TEMPLATE ${templateDb()}`))
    t.config = loadConfig({
      CITYCHECK_UPLOAD_TOKENS: `tester:${TOKEN}`,
      CITYCHECK_DEMO: '0',
      DATABASE_URL: urlFor(t.dbName),
      ...env,
    })
    t.db = await openDatabase({ databaseUrl: t.config.databaseUrl, dataDir: '/tmp' })
    if (opts.city !== false) await t.db.knex('cities').insert({ code: TEST_CITY, name: '测试市' })
    t.rt = await openRuntime(t.config, { db: t.db })
    t.app = await buildApp(t.rt)
    await t.app.ready()
  })
  afterAll(async () => {
    await t.app?.close()
    await t.rt?.close()
    await t.db?.close()
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${t.dbName} WITH (FORCE)`))
  })
  return t
}
