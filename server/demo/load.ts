// Loads the generated demo city into the demo year when that year has no data yet, through the
// same import pipeline as an upload (so the quick start exercises the real path).
import fs from 'node:fs'
import path from 'node:path'
import type { Config } from '../config.ts'
import type { Database } from '../db/engine.ts'
import { importLayer } from '../import/pipeline.ts'
import { addCity } from '../cities/store.ts'
import { DEMO_LAYERS, generateCity } from './generate.ts'
import { importInspections } from '../inspections/import.ts'
import { readTable } from '../inspections/table.ts'
import { vocabularyFor } from '../inspections/vocabulary.ts'
import { facilitiesBefore } from './work.ts'

export const DEMO_DIR = path.resolve(import.meta.dirname, '../../geodata/demo-city')

/** Creates the demo city when the platform has no city yet, and loads it when its demo year is empty. */
export async function loadDemoCity(
  db: Database,
  config: Config,
  log: (m: string) => void = () => {},
): Promise<boolean> {
  const { code, name } = config.demoCity
  const city = await db.knex('cities').where({ code }).first('code')
  if (!city) {
    if (await db.knex('cities').first('code')) return false // the platform has real cities: leave them alone
    await addCity(db, { code, name, nameEn: 'Demo City' }, 'demo')
  }
  const existing = await db.knex('layer_current').where({ city: code, year: config.demoYear }).first()
  if (existing) return false
  const files = [...DEMO_LAYERS.map((l) => `${l}.geojson`), 'inspections.csv', 'area-inspections.csv']
  if (!files.every((f) => fs.existsSync(path.join(DEMO_DIR, f)))) {
    log('生成示范城市 / generating the demo city…')
    generateCity(DEMO_DIR, { year: config.demoYear })
  }
  // Two editions, so the scorecard has last year's values and the 成效 view has closed problems to judge:
  // the year before is the same city with one facility in seven not yet opened.
  for (const year of [config.demoYear - 1, config.demoYear])
    for (const layer of DEMO_LAYERS) {
      const file = path.join(DEMO_DIR, `${layer}.geojson`)
      const buffer =
        year < config.demoYear && layer === 'facilities'
          ? facilitiesBefore(fs.readFileSync(file))
          : fs.readFileSync(file)
      const r = await importLayer(
        db,
        { city: code, year, layer, fileName: `demo-city/${layer}.geojson`, buffer, uploader: 'demo', options: {} },
        config,
      )
      log(`  ${year} ${layer}: ${r.featureCount} 个要素 / features (${r.durationMs} ms)`)
    }
  // Inspection records through the same import as a department's table.
  for (const [file, target] of [
    ['inspections.csv', 'building'],
    ['area-inspections.csv', 'area'],
  ] as const) {
    const buf = fs.readFileSync(path.join(DEMO_DIR, file))
    const r = await importInspections(db, code, config.demoYear, {
      file: `demo-city/${file}`,
      table: await readTable(buf, file, { maxRows: config.maxFeatures }),
      target,
      by: 'demo',
      items: vocabularyFor(undefined),
    })
    log(`  ${config.demoYear} ${file}: ${r.stored} 条检查记录 / inspection records (${r.status})`)
  }
  return true
}
