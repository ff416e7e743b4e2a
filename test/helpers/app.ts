import crypto from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll } from 'vitest'
import { buildApp } from '../../server/app.ts'
import { loadConfig, type Config } from '../../server/config.ts'
import { openDatabase, type Database } from '../../server/db/engine.ts'
import { TEMPLATE_DB, admin, urlFor } from './pg.ts'

export const TOKEN = 'test-token-0123456789'
export const AUTH = { Authorization: `Bearer ${TOKEN}` }

export interface TestEnv { app: FastifyInstance; db: Database; config: Config; dbName: string }

/** A fresh database (cloned from the migrated template) and an app on it, for one test file. */
export function useTestApp(env: Record<string, string> = {}): TestEnv {
  const t = {} as TestEnv
  beforeAll(async () => {
    t.dbName = `cc_test_${crypto.randomBytes(5).toString('hex')}`
    await admin((c) => c.query(`CREATE DATABASE ${t.dbName} TEMPLATE ${TEMPLATE_DB}`))
    t.config = loadConfig({ CITYCHECK_UPLOAD_TOKENS: `tester:${TOKEN}`, CITYCHECK_DEMO: '0', DATABASE_URL: urlFor(t.dbName), ...env })
    t.db = await openDatabase({ databaseUrl: t.config.databaseUrl, dataDir: '/tmp' })
    t.app = await buildApp({ config: t.config, db: t.db })
    await t.app.ready()
  })
  afterAll(async () => {
    await t.app?.close()
    await t.db?.close()
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${t.dbName} WITH (FORCE)`))
  })
  return t
}
