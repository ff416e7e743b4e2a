// Bulk loads from the command line through the same pipeline as POST /api/years/:year/layers/:layer.
//   npm run import -- [--city 320100] --year 2025 --layer buildings --file buildings.zip [--crs EPSG:4548] [--encoding GBK]
//                     [--fields '{"floors":"CS"}'] [--types '{"儿童之家":"nursery"}'] [--repair] [--uploader 名称]
//   npm run import -- --year 2025 --dir geodata/demo-city     (every <layer>.geojson|.zip|.csv found there)
// Uses DATABASE_URL, else the embedded database in CITYCHECK_DATA_DIR (stop the server first: an
// embedded database has one owner at a time).
import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { loadConfig } from '../server/config.ts'
import { openDatabase } from '../server/db/engine.ts'
import { AppError } from '../server/errors.ts'
import { importLayer } from '../server/import/pipeline.ts'
import { LAYER_NAMES } from '../server/layers/definitions.ts'
import { progressBar } from './progress.ts'

const { values: a } = parseArgs({
  options: {
    city: { type: 'string' },
    year: { type: 'string' },
    layer: { type: 'string' },
    file: { type: 'string' },
    dir: { type: 'string' },
    crs: { type: 'string' },
    encoding: { type: 'string' },
    fields: { type: 'string' },
    types: { type: 'string' },
    repair: { type: 'boolean', default: false },
    uploader: { type: 'string', default: process.env.USER ?? 'cli' },
  },
})
const usage =
  'usage: npm run import -- --year 2025 (--layer <layer> --file <path> | --dir <folder>) [--crs …] [--encoding …] [--fields JSON] [--types JSON] [--repair]'
if (!a.year || (!a.dir && (!a.layer || !a.file))) {
  console.error(usage)
  process.exit(2)
}

const jobs: { layer: string; file: string }[] = []
if (a.dir) {
  for (const layer of LAYER_NAMES) {
    for (const ext of ['.geojson', '.json', '.zip', '.csv']) {
      const f = path.join(a.dir, layer + ext)
      if (fs.existsSync(f)) {
        jobs.push({ layer, file: f })
        break
      }
    }
  }
} else jobs.push({ layer: a.layer!, file: a.file! })

const config = loadConfig()
const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir })
let failed = 0
try {
  // The city: --city, else CITYCHECK_DEFAULT_CITY, else the only one.
  const cities = await db.knex('cities').select('code')
  const city = a.city ?? config.defaultCity ?? (cities.length === 1 ? cities[0].code : undefined)
  if (!city || !cities.some((c) => c.code === city)) {
    console.error(
      city
        ? `城市 ${city} 不存在（npm run city -- add）/ no city ${city}`
        : '请用 --city 指明城市 / name the city with --city',
    )
    process.exit(2)
  }
  for (const j of jobs) {
    try {
      const r = await importLayer(
        db,
        {
          city,
          year: Number(a.year),
          layer: j.layer,
          fileName: path.basename(j.file),
          buffer: fs.readFileSync(j.file),
          uploader: a.uploader!,
          options: {
            crs: a.crs,
            encoding: a.encoding,
            fields: a.fields ? JSON.parse(a.fields) : undefined,
            types: a.types ? JSON.parse(a.types) : undefined,
            onInvalid: a.repair ? 'repair' : 'reject',
          },
        },
        config,
        progressBar(`${a.year} ${j.layer}`),
      )
      console.log(
        `✓ ${j.layer}: ${r.featureCount} features, ${r.crs} (${r.crsSource}), ${r.encoding}, ${r.durationMs} ms, ${(r.featureCount / (r.durationMs / 1000)).toFixed(0)} features/s${r.warnings.length ? `, ${r.warnings.length} warnings` : ''}`,
      )
      for (const w of r.warnings.slice(0, 10)) console.log(`  ! ${w.message}`)
    } catch (e) {
      failed++
      console.error(`\n✗ ${j.layer}: ${e instanceof AppError ? `${e.code} ${e.message}` : (e as Error).message}`)
      for (const i of (e instanceof AppError && e.issues) || []) console.error(`  - ${i.message}`)
    }
  }
} finally {
  await db.close()
}
process.exit(failed ? 1 : 0)
