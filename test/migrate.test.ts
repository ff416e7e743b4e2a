// Replicas started together on an empty database (docker-compose `up --scale api=3`): every one
// opens, exactly one applies the migrations, and each migration is recorded once. Without the
// advisory lock around knex's migrator, 5 of 6 failed creating knex's own tables. Their job queues
// too: pg-boss's createQueue from several processes at once deadlocked.
import { afterAll, expect, it } from 'vitest'
import { openDatabase } from '../server/db/engine.ts'
import { migrations } from '../migrations/index.ts'
import { openQueue } from '../server/jobs/queue.ts'
import { admin, scratchName, templateDb, urlFor } from './helpers/pg.ts'

const name = scratchName('migrate')
const queues = scratchName('queues')

afterAll(() =>
  admin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await c.query(`DROP DATABASE IF EXISTS ${queues} WITH (FORCE)`)
  }),
)

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

it('three processes starting their job queues at once on a new database all start (pg-boss deadlocked without the lock)', async () => {
  await admin((c) => c.query(`CREATE DATABASE ${queues} TEMPLATE ${templateDb()}`))
  const dbs = await Promise.all(
    Array.from({ length: 3 }, () => openDatabase({ databaseUrl: urlFor(queues), dataDir: '' })),
  )
  const qs = dbs.map((db) => openQueue(db, { staleAfterS: 15 }))
  const started = await Promise.allSettled(qs.map((q, i) => q.start(i === 0 ? 1 : 0)))
  expect(started.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []))).toEqual([])
  await Promise.all(qs.map((q) => q.stop()))
  await Promise.all(dbs.map((d) => d.close()))
}, 60_000)
