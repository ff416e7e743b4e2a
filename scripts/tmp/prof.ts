import fs from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import { DEMO_LAYERS } from '../demo-city/generate.ts'
import { openDatabase } from '../../server/db/engine.ts'
import { importLayer } from '../../server/import/pipeline.ts'
import { loadConfig } from '../../server/config.ts'
import { computeAll } from '../../server/indicators/compute.ts'
import { loadCityModel } from '../../server/indicators/model.ts'
import { INDICATORS } from '../../server/indicators/registry.ts'
import { settingsFor } from '../../server/indicators/service.ts'
const url = 'postgres://postgres@127.0.0.1/citycheck_prof'
const dir = path.resolve(import.meta.dirname, '../../bench-out/city-132x132')
const fresh = process.argv[2] === 'load'
if (fresh) {
  const c0 = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1/postgres' }); await c0.connect()
  await c0.query(`DROP DATABASE IF EXISTS citycheck_prof WITH (FORCE)`); await c0.query(`CREATE DATABASE citycheck_prof`); await c0.end()
}
const config = loadConfig({ ...process.env, DATABASE_URL: url })
const db = await openDatabase({ databaseUrl: url, dataDir: '/tmp' })
if (fresh) for (const layer of DEMO_LAYERS) await importLayer(db, { year: 2025, layer, fileName: `${layer}.geojson`, buffer: fs.readFileSync(path.join(dir, `${layer}.geojson`)), uploader: 'bench', options: {} }, { maxUnpackedBytes: 8e9, maxFeatures: 1e8, keepVersions: 5 })
let t = Date.now()
const model = await loadCityModel(db.knex, 2025, settingsFor(config, {}), (p, m) => { console.log('load', Date.now() - t, m) })
t = Date.now()
let last = t
computeAll(model, INDICATORS, (p, m) => { const now = Date.now(); console.log(now - last, 'ms before', m); last = now })
await db.close()
