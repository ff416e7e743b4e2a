// Import benchmark: a generated city of ~1 million building footprints, loaded by citycheck's import
// pipeline and by ogr2ogr (PG_USE_COPY=YES, GiST index) into the same PostgreSQL in the same run.
//   npm run bench:import [-- --buildings 1000000]
// BENCH_DATABASE_URL names the server (default postgres://postgres@127.0.0.1:5432/postgres); a scratch
// database citycheck_bench is created and dropped.
import { execFileSync, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { BENCH_CITY, benchCity, ensureCity, scratchDb } from './bench-common.ts'
import { openDatabase } from '../server/db/engine.ts'
import { importLayer } from '../server/import/pipeline.ts'
import { progressBar } from './progress.ts'

const { values: a } = parseArgs({ options: { buildings: { type: 'string', default: '1000000' } } })
const { dir, side } = benchCity(Number(a.buildings))
const file = path.join(dir, 'buildings.geojson')
const bytes = fs.statSync(file).size
console.log(`city ${side}×${side} blocks → ${file} (${(bytes / 1048576).toFixed(0)} MB)`)
const dbName = 'citycheck_bench'
let scratch = await scratchDb(dbName)
const url = new URL(scratch.url)
let t = Date.now()

// 1. citycheck (parse, CRS check, field mapping, COPY, GEOS validity, GiST, attach, version flip)
const db = await openDatabase({ databaseUrl: url.toString(), dataDir: '/tmp' })
await ensureCity(db)
const buf = fs.readFileSync(file)
t = Date.now()
const r = await importLayer(
  db,
  {
    city: BENCH_CITY.code,
    year: 2025,
    layer: 'buildings',
    fileName: 'buildings.geojson',
    buffer: buf,
    uploader: 'bench',
    options: {},
  },
  { maxUnpackedBytes: 8e9, maxFeatures: 1e8, keepVersions: 5 },
  progressBar('citycheck'),
)
const ours = (Date.now() - t) / 1000
const n = r.featureCount
await db.close()

// 2. ogr2ogr, the usual baseline, on the same file into the same server.
let ogr: number | undefined
const has = spawnSync('ogr2ogr', ['--version']).status === 0
if (has) {
  scratch = await scratchDb(dbName)
  t = Date.now()
  execFileSync(
    'ogr2ogr',
    [
      '-f',
      'PostgreSQL',
      `PG:dbname=${dbName} host=${url.hostname} port=${url.port || 5432} user=${url.username || 'postgres'}`,
      file,
      '-nln',
      'ogr_buildings',
      '-nlt',
      'PROMOTE_TO_MULTI',
      '-lco',
      'GEOMETRY_NAME=geom',
      '-lco',
      'SPATIAL_INDEX=GIST',
      '-a_srs',
      'EPSG:4490',
    ],
    { env: { ...process.env, PG_USE_COPY: 'YES' }, stdio: 'inherit' },
  )
  ogr = (Date.now() - t) / 1000
}
await scratch.drop()

console.log('\n| loader | features | seconds | features/s |')
console.log('|---|---|---|---|')
console.log(`| citycheck import pipeline | ${n} | ${ours.toFixed(1)} | ${(n / ours).toFixed(0)} |`)
if (ogr !== undefined) {
  console.log(`| ogr2ogr PG_USE_COPY=YES | ${n} | ${ogr.toFixed(1)} | ${(n / ogr).toFixed(0)} |`)
  console.log(`\nratio: citycheck is ${(ogr / ours).toFixed(2)}× the speed of ogr2ogr (>1 = faster)`)
} else console.log('\n(ogr2ogr not installed: apt-get install gdal-bin for the baseline)')
