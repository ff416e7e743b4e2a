// load the 1M city into a persistent DB once; then time the cold run's parts
import pg from 'pg'
import { BENCH_CITY, benchCity, loadCity, BENCH_ADMIN_URL } from './bench-common.ts'
import { openDatabase } from '../server/db/engine.ts'
import { loadConfig } from '../server/config.ts'
import { computeYear, settingsFor } from '../server/indicators/service.ts'
import { loadCityModel } from '../server/indicators/model.ts'
import { computeAll } from '../server/indicators/compute.ts'
import { INDICATORS } from '../server/indicators/registry.ts'
const name = process.env.PROBE_DB ?? 'cc_probe'
const admin = new pg.Client({ connectionString: BENCH_ADMIN_URL })
await admin.connect()
const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount
if (!exists) await admin.query(`CREATE DATABASE ${name}`)
await admin.end()
const u = new URL(BENCH_ADMIN_URL); u.pathname = `/${name}`
const config = loadConfig({ ...process.env, DATABASE_URL: u.toString() })
const db = await openDatabase({ databaseUrl: u.toString(), dataDir: '/tmp' })
const has = await db.knex('layer_current').count('* as n').first().catch(() => ({ n: 0 }))
if (!Number(has?.n)) {
  const { dir } = benchCity(Number(process.env.N ?? 1000000))
  const t = Date.now(); console.log(await loadCity(db, dir), (Date.now() - t) / 1000)
  await db.knex.raw('CHECKPOINT')
}
const mode = process.argv[2] ?? 'run'
const settings = settingsFor(config, {})
for (let k = 0; k < Number(process.argv[3] ?? 1); k++) {
  let t = Date.now()
  if (mode === 'run') {
    const r = await computeYear(db, config, BENCH_CITY, 2025)
    console.log('full', (Date.now() - t) / 1000, r.results)
  } else {
    const m = await loadCityModel(db.knex, BENCH_CITY, 2025, settings, (p, msg) => console.log('  ', p, msg, (Date.now() - t) / 1000))
    console.log('model', (Date.now() - t) / 1000)
    t = Date.now()
    computeAll(m, INDICATORS)
    console.log('compute', (Date.now() - t) / 1000)
  }
}
await db.close()
