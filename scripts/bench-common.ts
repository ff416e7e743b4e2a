// What the benchmarks share: the generated city of ~N buildings (cached in bench-out/), a scratch
// database on the benchmark server, and loading the city through the import pipeline.
import fs from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import { DEMO_LAYERS, generateCity } from '../server/demo/generate.ts'
import type { Database } from '../server/db/engine.ts'
import { importLayer } from '../server/import/pipeline.ts'
import type { City } from '../server/cities/store.ts'

/** The city the single-city benchmarks load (a 99xxxx code: never a real place). */
export const BENCH_CITY: City = { code: '990100', name: '基准市', nameEn: 'Bench City', zone: null, createdAt: '' }

/** Makes the city row when it is missing. */
export async function ensureCity(db: Database, city: City = BENCH_CITY): Promise<City> {
  await db
    .knex('cities')
    .insert({ code: city.code, name: city.name, name_en: city.nameEn, zone: city.zone })
    .onConflict('code')
    .ignore()
  return city
}

export const BENCH_ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

/** The folder of a generated city of about `buildings` buildings (the demo city has ~52 per block). */
export function benchCity(buildings: number, city = BENCH_CITY.code, seed = 7): { dir: string; side: number } {
  const side = Math.ceil(Math.sqrt(buildings / 52.5))
  const dir = path.resolve(
    import.meta.dirname,
    `../bench-out/city-${side}x${side}${city === BENCH_CITY.code ? '' : `-${city}`}`,
  )
  if (!DEMO_LAYERS.every((l) => fs.existsSync(path.join(dir, `${l}.geojson`))))
    generateCity(dir, { cols: side, rows: side, seed, city })
  return { dir, side }
}

async function admin(sql: string) {
  const c = new pg.Client({ connectionString: BENCH_ADMIN_URL })
  await c.connect()
  try {
    await c.query(sql)
  } finally {
    await c.end()
  }
}

/** A fresh scratch database; returns its URL and a function that drops it. */
export async function scratchDb(name: string): Promise<{ url: string; drop: () => Promise<void> }> {
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  await admin(`CREATE DATABASE ${name}`)
  const u = new URL(BENCH_ADMIN_URL)
  u.pathname = `/${name}`
  return { url: u.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) }
}

/** Every layer of the city as the 2025 edition, through the import pipeline. */
export async function loadCity(db: Database, dir: string, city: City = BENCH_CITY): Promise<Record<string, number>> {
  await ensureCity(db, city)
  const counts: Record<string, number> = {}
  for (const layer of DEMO_LAYERS) {
    const r = await importLayer(
      db,
      {
        city: city.code,
        year: 2025,
        layer,
        fileName: `${layer}.geojson`,
        buffer: fs.readFileSync(path.join(dir, `${layer}.geojson`)),
        uploader: 'bench',
        options: {},
      },
      { maxUnpackedBytes: 8e9, maxFeatures: 1e8, keepVersions: 5 },
    )
    counts[layer] = r.featureCount
  }
  return counts
}
