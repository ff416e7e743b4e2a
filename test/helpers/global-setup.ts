import crypto from 'node:crypto'
import PgBoss from 'pg-boss'
import type { TestProject } from 'vitest/node'
import { openDatabase } from '../../server/db/engine.ts'
import { ADMIN_URL, admin, urlFor } from './pg.ts'

let template = ''

export async function setup(project: TestProject) {
  const runId = crypto.randomBytes(4).toString('hex')
  template = `cc_${runId}_template`
  try {
    await admin((c) => c.query(`CREATE DATABASE ${template}`))
  } catch (e) {
    throw new Error(
      `Tests need PostgreSQL + PostGIS at ${ADMIN_URL} (set TEST_DATABASE_URL): ${(e as Error).message}. Run bash .ci/run to install and start it.`,
    )
  }
  const db = await openDatabase({ databaseUrl: urlFor(template), dataDir: '/tmp' })
  await db.close()
  // The queue's own schema too, so no test file waits for pg-boss to create it.
  const boss = new PgBoss({
    connectionString: urlFor(template),
    schema: 'pgboss',
    max: 1,
    supervise: false,
    schedule: false,
  })
  await boss.start()
  await boss.stop({ graceful: false, wait: true })
  project.provide('templateDb', template)
  project.provide('runId', runId)
}

export async function teardown() {
  if (template) await admin((c) => c.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`))
}
