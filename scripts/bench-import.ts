// Import benchmark: a generated city of ~1 million building footprints, loaded by citycheck's import
// pipeline and by ogr2ogr (PG_USE_COPY=YES, GiST index) into the same PostgreSQL in the same run.
//   npm run bench:import [-- --buildings 1000000 --format geojson|shapefile]
// --format shapefile: the same footprints as a zipped Shapefile (made once from the GeoJSON by ogr2ogr,
// UTF-8 .dbf, deflated as users' zips are), read by both sides from the zip.
// BENCH_DATABASE_URL names the server (default postgres://postgres@127.0.0.1:5432/postgres); a scratch
// database citycheck_bench is created and dropped.
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { zipSync } from 'fflate'
import { BENCH_CITY, benchCity, ensureCity, scratchDb } from './bench-common.ts'
import { openDatabase } from '../server/db/engine.ts'
import { importLayer } from '../server/import/pipeline.ts'
import { PARALLEL_MIN_FEATURES } from '../server/import/readers/geojson.ts'
import { progressBar } from './progress.ts'

const { values: a } = parseArgs({
  options: {
    buildings: { type: 'string', default: '1000000' },
    // GeoJSON up to this size with under 50,000 features is parsed whole (the server's
    // CITYCHECK_GEOJSON_PARSE_WHOLE_MB); 0 = always from its bytes
    'parse-whole-mb': { type: 'string', default: '512' },
    'skip-ogr2ogr': { type: 'boolean', default: false },
    format: { type: 'string', default: 'geojson' },
  },
})
const shapefile = a.format === 'shapefile'
if (!shapefile && a.format !== 'geojson') throw new Error('--format is geojson or shapefile')
const { dir, side } = benchCity(Number(a.buildings))
const geojson = path.join(dir, 'buildings.geojson')
const file = shapefile ? path.join(dir, 'buildings-shp.zip') : geojson
if (shapefile && !fs.existsSync(file)) {
  const tmp = fs.mkdtempSync(path.join(dir, 'shp-'))
  execFileSync('ogr2ogr', ['-f', 'ESRI Shapefile', '-lco', 'ENCODING=UTF-8', path.join(tmp, 'buildings.shp'), geojson])
  const parts = Object.fromEntries(
    fs.readdirSync(tmp).map((f) => [f, new Uint8Array(fs.readFileSync(path.join(tmp, f)))]),
  )
  fs.writeFileSync(file, zipSync(parts, { level: 6 }))
  fs.rmSync(tmp, { recursive: true })
}
const bytes = fs.statSync(file).size
console.log(`city ${side}×${side} blocks → ${file} (${(bytes / 1048576).toFixed(0)} MB)`)
const dbName = 'citycheck_bench'
let scratch = await scratchDb(dbName)
const url = new URL(scratch.url)
let t = Date.now()
const bar = progressBar('citycheck')

// 1. citycheck (parse, CRS check, field mapping, COPY, GEOS validity, GiST, attach, version flip)
const db = await openDatabase({ databaseUrl: url.toString(), dataDir: '/tmp' })
await ensureCity(db)
// Memory: the peak resident size while importing, above the process before it read the file (so the
// file's own bytes count), sampled on a timer and at every progress step.
const rss0 = process.memoryUsage.rss()
let peak = rss0
const sample = () => {
  peak = Math.max(peak, process.memoryUsage.rss())
}
const timer = setInterval(sample, 50)
const buf = fs.readFileSync(file)
const keepParsedBytes = Number(a['parse-whole-mb']) * 1024 * 1024
t = Date.now()
const r = await importLayer(
  db,
  {
    city: BENCH_CITY.code,
    year: 2025,
    layer: 'buildings',
    fileName: shapefile ? 'buildings.zip' : 'buildings.geojson',
    buffer: buf,
    uploader: 'bench',
    options: {},
  },
  { maxUnpackedBytes: 8e9, maxFeatures: 1e8, keepVersions: 5, keepParsedBytes },
  (stage, done, total) => {
    sample()
    bar(stage, done, total)
  },
)
const ours = (Date.now() - t) / 1000
clearInterval(timer)
sample()
// The kernel's own count of the process's peak (node itself and the file included), as a check.
const maxRss = process.resourceUsage().maxRSS * 1024
const n = r.featureCount
await db.close()

// 2. ogr2ogr, the usual baseline, on the same file into the same server.
let ogr: number | undefined
let ogrPeak = 0
/** Runs a command; resolves with its peak resident size in bytes (VmHWM, read until it exits). */
function runWithPeak(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: 'inherit' })
    let hwm = 0
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))
        if (m) hwm = Math.max(hwm, Number(m[1]) * 1024)
      } catch {}
    }, 50)
    child.on('error', reject)
    child.on('exit', (code) => {
      clearInterval(poll)
      code === 0 ? resolve(hwm) : reject(new Error(`${cmd} exited with ${code}`))
    })
  })
}
const has = !a['skip-ogr2ogr'] && spawnSync('ogr2ogr', ['--version']).status === 0
if (has) {
  scratch = await scratchDb(dbName)
  t = Date.now()
  ogrPeak = await runWithPeak(
    'ogr2ogr',
    [
      '-f',
      'PostgreSQL',
      `PG:dbname=${dbName} host=${url.hostname} port=${url.port || 5432} user=${url.username || 'postgres'}`,
      shapefile ? `/vsizip/${file}/buildings.shp` : file,
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
    { ...process.env, PG_USE_COPY: 'YES' },
  )
  ogr = (Date.now() - t) / 1000
}
await scratch.drop()

const mb = (x: number) => (x / 1048576).toFixed(0)
const path_ = shapefile
  ? 'zipped Shapefile'
  : bytes <= keepParsedBytes && n < PARALLEL_MIN_FEATURES
    ? 'GeoJSON parsed whole'
    : 'GeoJSON read from bytes'
console.log(`\n${path_}, ${mb(bytes)} MB; memory = peak resident size above the process before the file was read`)
console.log(`(the process's whole peak, maxRSS: ${mb(maxRss)} MB, of which ${mb(rss0)} MB before the file was read)`)
console.log('\n| loader | features | seconds | features/s | peak memory | per building |')
console.log('|---|---|---|---|---|---|')
const perB = (x: number) => `${((x / n) * 1e-3).toFixed(2)} KB`
console.log(
  `| citycheck import pipeline | ${n} | ${ours.toFixed(1)} | ${(n / ours).toFixed(0)} | ${mb(peak - rss0)} MB | ${perB(peak - rss0)} |`,
)
if (ogr !== undefined) {
  console.log(
    `| ogr2ogr PG_USE_COPY=YES | ${n} | ${ogr.toFixed(1)} | ${(n / ogr).toFixed(0)} | ${mb(ogrPeak)} MB (whole process) | ${perB(ogrPeak)} |`,
  )
  console.log(`\nratio: citycheck is ${(ogr / ours).toFixed(2)}× the speed of ogr2ogr (>1 = faster)`)
} else if (!a['skip-ogr2ogr']) console.log('\n(ogr2ogr not installed: apt-get install gdal-bin for the baseline)')
