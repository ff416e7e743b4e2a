// Replicas started together on an empty database (docker-compose `up --scale api=3`): every one
// opens, exactly one applies the migrations, and each migration is recorded once. Without the
// advisory lock around knex's migrator, 5 of 6 failed creating knex's own tables.
import { afterAll, expect, it } from 'vitest'
import { openDatabase } from '../server/db/engine.ts'
import { migrations } from '../migrations/index.ts'
import { admin, scratchName, urlFor } from './helpers/pg.ts'

const name = scratchName('migrate')

afterAll(() => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)))

it('four processes opening one empty database at once all start; each migration is applied once', async () => {
  await admin((c) => c.query(`CREATE DATABASE ${name}`))
  const opened = await Promise.allSettled(
    Array.from({ length: 4 }, () => openDatabase({ databaseUrl: urlFor(name), dataDir: '' })),
  )
  const failures = opened.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []))
  expect(failures).toEqual([])
  const dbs = opened.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
  const rows = await dbs[0].knex('knex_migrations').select('name')
  expect(rows.map((r) => r.name).sort()).toEqual(Object.keys(migrations).sort())
  await Promise.all(dbs.map((d) => d.close()))
}, 60_000)
