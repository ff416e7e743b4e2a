// Cities from the shell (the same as the admin API):
//   npm run city -- add <code> <name> [--zone 4549] [--en "Nanjing"]
//   npm run city -- list
//   npm run city -- drop <code>
//   npm run city -- export <code> <file.ndjson.gz>
//   npm run city -- restore <file.ndjson.gz> [--as <code>]
// Uses DATABASE_URL, else the embedded database in CITYCHECK_DATA_DIR (stop the server first).
import fs from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import { loadConfig } from '../server/config.ts'
import { openDatabase } from '../server/db/engine.ts'
import { AppError } from '../server/errors.ts'
import { addCity, checkCityCode, checkNewCity, dropCity, listCities } from '../server/cities/store.ts'
import { exportCity, restoreCity } from '../server/cities/archive.ts'

const {
  values: o,
  positionals: [cmd, a1, a2],
} = parseArgs({
  allowPositionals: true,
  options: { zone: { type: 'string' }, en: { type: 'string' }, as: { type: 'string' } },
})
const usage =
  'usage: npm run city -- add <code> <name> [--zone EPSG] [--en name] | list | drop <code> | export <code> <file> | restore <file> [--as <code>]'
const config = loadConfig()
const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir })
try {
  if (cmd === 'add' && a1 && a2) {
    const c = await addCity(
      db,
      checkNewCity({ code: a1, name: a2, zone: o.zone, nameEn: o.en }),
      process.env.USER ?? 'cli',
    )
    console.log(`✓ ${c.code} ${c.name}  API: /api/cities/${c.code}/…  tiles: /tiles/${c.code}/…`)
  } else if (cmd === 'list') {
    console.table(
      (await listCities(db.knex)).map((c) => ({ code: c.code, name: c.name, zone: c.zone ?? '(from data)' })),
    )
  } else if (cmd === 'drop' && a1) {
    const r = await dropCity(db, checkCityCode(a1))
    console.log(`✓ dropped ${r.city} (${r.uploads} uploads)`)
  } else if (cmd === 'export' && a1 && a2) {
    await pipeline(exportCity(db, checkCityCode(a1)), fs.createWriteStream(a2))
    console.log(`✓ ${a1} → ${a2} (${fs.statSync(a2).size} bytes)`)
  } else if (cmd === 'restore' && a1) {
    const r = await restoreCity(db, fs.readFileSync(a1), a1, {
      as: o.as ? checkCityCode(o.as) : undefined,
      by: process.env.USER ?? 'cli',
    })
    console.log(
      `✓ restored ${r.city}: ${r.uploads} layer versions, ${r.features} features; recompute its indicators (years ${r.years.join(', ')})`,
    )
  } else {
    console.error(usage)
    process.exitCode = 2
  }
} catch (e) {
  console.error(e instanceof AppError ? `${e.code}: ${e.message}` : e)
  process.exitCode = 1
} finally {
  await db.close()
}
