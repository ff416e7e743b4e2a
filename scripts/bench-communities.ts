// The 社区 layer's checks at growing counts: every 社区 inside a 街道 and no two overlapping. The
// overlap check joins the upload with itself; with the GiST index built first it grows as n log n
// (4× the 社区 ≈ 3–4× the time), where comparing every pair's boxes grew with the square. Measured here:
// 14,400 社区 1.18 s with the index first, 13.77 s without (3,600: 0.39 s against 1.17 s); 57,600 in 3.28 s.
// Each grid is uploaded whole through the import pipeline into a scratch database.
//   npm run bench:communities [-- --sides 60,120,240]
import { parseArgs } from 'node:util'
import { BENCH_CITY, ensureCity, scratchDb } from './bench-common.ts'
import { openDatabase } from '../server/db/engine.ts'
import { importLayer } from '../server/import/pipeline.ts'

const { values: a } = parseArgs({ options: { sides: { type: 'string', default: '60,120,240' } } })
const scratch = await scratchDb('citycheck_bench_communities')
const db = await openDatabase({ databaseUrl: scratch.url, dataDir: '/tmp' })
await ensureCity(db, BENCH_CITY)
const LON0 = 116.3
const LAT0 = 39.9
const STEP = 0.004 // ~340 m × 445 m per 社区
const square = (x: number, y: number, w: number) => [
  [
    [LON0 + x * STEP, LAT0 + y * STEP],
    [LON0 + x * STEP + w, LAT0 + y * STEP],
    [LON0 + x * STEP + w, LAT0 + y * STEP + w],
    [LON0 + x * STEP, LAT0 + y * STEP + w],
    [LON0 + x * STEP, LAT0 + y * STEP],
  ],
]
const upload = (layer: string, features: unknown[], year: number) =>
  importLayer(
    db,
    {
      city: BENCH_CITY.code,
      year,
      layer,
      fileName: `${layer}.geojson`,
      buffer: Buffer.from(JSON.stringify({ type: 'FeatureCollection', features })),
      uploader: 'bench',
      options: {},
    },
    { maxUnpackedBytes: 8e9, maxFeatures: 1e8, keepVersions: 1 },
  )
console.log('| 社区 | upload with both checks, s | per 社区, µs |')
console.log('|---|---|---|')
let year = 2020
for (const side of a.sides.split(',').map(Number)) {
  year++
  // One 街道 holding the whole grid, then the grid of 社区 sharing edges (touching is not overlapping).
  await upload(
    'streets',
    [
      {
        type: 'Feature',
        properties: { code: 'S1', name: '一街道' },
        geometry: { type: 'Polygon', coordinates: square(-1, -1, (side + 2) * STEP) },
      },
    ],
    year,
  )
  const features = []
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++)
      features.push({
        type: 'Feature',
        properties: { code: `C${x}_${y}`, name: `社区${x}_${y}`, street_code: 'S1' },
        geometry: { type: 'Polygon', coordinates: square(x, y, STEP) },
      })
  const t0 = performance.now()
  const r = await upload('communities', features, year)
  const s = (performance.now() - t0) / 1000
  console.log(`| ${r.featureCount.toLocaleString()} | ${s.toFixed(2)} | ${((s * 1e6) / r.featureCount).toFixed(0)} |`)
}
await db.close()
await scratch.drop()
