// Replicas started together on an empty database (docker-compose `up --scale api=3`): every one
// opens, exactly one applies the migrations, and each migration is recorded once. Without the
// advisory lock around knex's migrator, 5 of 6 failed creating knex's own tables. Their job queues
// too: pg-boss's createQueue from several processes at once deadlocked.
// And an upgrade: results stored as rows (007) read back the same once they are sets (008), and after down.
import knexFactory from 'knex'
import { afterAll, expect, it } from 'vitest'
import { openDatabase } from '../server/db/engine.ts'
import { migrations } from '../migrations/index.ts'
import { openQueue } from '../server/jobs/queue.ts'
import { admin, scratchName, templateDb, urlFor } from './helpers/pg.ts'

const name = scratchName('migrate')
const queues = scratchName('queues')
const upgrade = scratchName('upgrade')

afterAll(() =>
  admin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await c.query(`DROP DATABASE IF EXISTS ${queues} WITH (FORCE)`)
    await c.query(`DROP DATABASE IF EXISTS ${upgrade} WITH (FORCE)`)
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
  // A run's arrays and result sets are compressed by lz4 (this server is built with it: 008, 009).
  const lz4 = await dbs[0].knex.raw(
    `SELECT attrelid::regclass::text AS t, attname, attcompression FROM pg_attribute
     WHERE attrelid IN ('indicator_arrays'::regclass, 'indicator_result_sets'::regclass) AND attname IN ('data', 'unit_codes')`,
  )
  expect(lz4.rows.map((r: { attcompression: string }) => r.attcompression)).toEqual(['l', 'l'])
  // A building's footprint area and southern latitude are computed as it is stored (010), as pos is.
  const generated = await dbs[0].knex.raw(
    `SELECT column_name, generation_expression FROM information_schema.columns
     WHERE table_name = 'buildings' AND is_generated = 'ALWAYS' ORDER BY column_name`,
  )
  expect(generated.rows.map((r: { column_name: string }) => r.column_name)).toEqual([
    'footprint_deg2',
    'footprint_ymin',
    'pos',
  ])
  expect(generated.rows[0].generation_expression).toMatch(/st_area\(geom\)/)
  expect(generated.rows[1].generation_expression).toMatch(/st_ymin\(/)
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

it('results stored as rows per run (007) become sets (008) and read back the same through the view; down restores them', async () => {
  await admin((c) => c.query(`CREATE DATABASE ${upgrade}`))
  const knex = knexFactory({ client: 'pg', connection: urlFor(upgrade) })
  const names = Object.keys(migrations).sort()
  const source = {
    getMigrations: async () => names,
    getMigrationName: (n: string) => n,
    getMigration: async (n: string) => migrations[n],
  }
  try {
    for (const n of names.slice(0, names.indexOf('007_result_partitions') + 1))
      await knex.migrate.up({ migrationSource: source, name: n })
    await knex.raw(`INSERT INTO cities (code, name) VALUES ('990800', '升级市')`)
    const runs: number[] = []
    for (let k = 0; k < 2; k++) {
      const r =
        await knex.raw(`INSERT INTO indicator_runs (city, year, data_versions, definitions, settings, distance_model)
        VALUES ('990800', 2025, '{}', '[]', '{}', 'test') RETURNING id`)
      runs.push(Number(r.rows[0].id))
      await knex.raw(
        `CREATE TABLE indicator_results_r${runs[k]} (LIKE indicator_results INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`,
      )
      await knex.raw(
        `ALTER TABLE indicator_results ATTACH PARTITION indicator_results_r${runs[k]} FOR VALUES IN (${runs[k]})`,
      )
    }
    const rows = runs.flatMap((run) =>
      ['city', 'street', 'community'].flatMap((level) =>
        Array.from({ length: level === 'city' ? 1 : 7 }, (_, i) => ({
          city: '990800',
          run_id: run,
          indicator: i % 2 ? 'kindergarten_coverage' : 'park_500m',
          variant: 'area',
          level,
          unit_code: `${level}-${String(i).padStart(2, '0')}`,
          unit_name: i === 3 ? null : `单元 "${i}"`,
          value: i === 2 ? null : run + i / 7,
          numerator: i,
          denominator: 7,
          target: 85,
          status: i % 3 ? 'pass' : 'fail',
          extra: i === 4 ? null : { i, note: 'a\\b' },
        })),
      ),
    )
    await knex('indicator_results').insert(rows.map((r) => ({ ...r, extra: r.extra && JSON.stringify(r.extra) })))
    const read = async () =>
      (await knex('indicator_results').orderBy(['run_id', 'indicator', 'level', 'unit_code'])).map((r) => ({
        ...r,
        run_id: Number(r.run_id),
      }))
    const before = await read()
    expect(before.length).toBe(rows.length)
    await knex.migrate.latest({ migrationSource: source })
    const sets = await knex.raw('SELECT count(*)::int n FROM indicator_result_sets')
    expect(sets.rows[0].n).toBe(2 * (1 + 2 + 2)) // per run: the city has one indicator, 街道 and 社区 two
    expect(await read()).toEqual(before)
    // A pruned run takes its sets with it.
    await knex('indicator_runs').where({ id: runs[0] }).delete()
    expect((await read()).length).toBe(rows.length / 2)
    await knex.migrate.down({ migrationSource: source })
    expect(await read()).toEqual(before.filter((r) => r.run_id === runs[1]))
  } finally {
    await knex.destroy()
  }
}, 60_000)
