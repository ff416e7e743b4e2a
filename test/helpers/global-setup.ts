import { openDatabase } from '../../server/db/engine.ts'
import { ADMIN_URL, TEMPLATE_DB, admin, urlFor } from './pg.ts'

export async function setup() {
  try {
    await admin(async (c) => {
      await c.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`)
      await c.query(`CREATE DATABASE ${TEMPLATE_DB}`)
    })
  } catch (e) {
    throw new Error(`Tests need PostgreSQL + PostGIS at ${ADMIN_URL} (set TEST_DATABASE_URL): ${(e as Error).message}. Run bash .ci/run to install and start it.`)
  }
  const db = await openDatabase({ databaseUrl: urlFor(TEMPLATE_DB), dataDir: '/tmp' })
  await db.close()
}

export async function teardown() {
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`))
}
