// Siting benchmark: 1,000 candidate sites against a city of ~1 million buildings (lazy greedy), and
// greedy against the exact optimum on instances the branch and bound finishes.
//   npm run bench:siting [-- --buildings 1000000]
import { parseArgs } from 'node:util'
import proj4 from 'proj4'
import { BENCH_CITY, benchCity, loadCity, scratchDb } from './bench-common.ts'
import { loadConfig } from '../server/config.ts'
import { openDatabase } from '../server/db/engine.ts'
import { gaussKrugerEpsg } from '../server/import/crs.ts'
import { site } from '../server/siting/service.ts'

const { values: a } = parseArgs({ options: { buildings: { type: 'string', default: '1000000' } } })
const { dir, side } = benchCity(Number(a.buildings))
const scratch = await scratchDb('citycheck_bench_siting')
const config = loadConfig({ ...process.env, DATABASE_URL: scratch.url })
const db = await openDatabase({ databaseUrl: scratch.url, dataDir: '/tmp' })
await loadCity(db, dir)

// Candidates: 1,000 seeded random points over the city (the demo city sits at lon 117.2, lat 31.8).
let seed = 42
const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647
const toLonLat = proj4(gaussKrugerEpsg(4548)!.proj!, 'EPSG:4326')
const fromLonLat = proj4('EPSG:4326', gaussKrugerEpsg(4548)!.proj!)
const [x0, y0] = fromLonLat.forward([117.2, 31.8])
const W = side * 400
const points = (n: number, cx: number, cy: number, w: number) => ({
  type: 'FeatureCollection' as const,
  features: Array.from({ length: n }, () => ({
    type: 'Feature',
    properties: {},
    geometry: { type: 'Point', coordinates: toLonLat.forward([cx + rnd() * w, cy + rnd() * w]) },
  })),
})

let t = Date.now()
const cold = await site(db.knex, config, BENCH_CITY, 2025, {
  indicator: 'kindergarten_coverage',
  count: 50,
  candidates: points(1000, x0, y0, W),
  method: 'auto',
})
const coldMs = Date.now() - t
t = Date.now()
const warm = await site(db.knex, config, BENCH_CITY, 2025, {
  indicator: 'kindergarten_coverage',
  count: 50,
  candidates: points(1000, x0, y0, W),
  method: 'auto',
})
const warmMs = Date.now() - t
console.log(`\n1,000 candidates, 50 new kindergartens (300 m), city of ${side}×${side} blocks:`)
console.log(
  '| run | demand buildings | candidates | objective (residents) | proven upper bound | max gap to optimum | solve ms | total ms |',
)
console.log('|---|---|---|---|---|---|---|---|')
for (const [label, r, ms] of [
  ['cold (loads the model)', cold, coldMs],
  ['warm (model cached)', warm, warmMs],
] as const) {
  console.log(
    `| ${label} | ${r.demand.buildings} | ${r.candidates.count} | ${Math.round(r.solution.objective)} | ${Math.round(r.solution.upperBound)} | ${(r.solution.maxGapToOptimum * 100).toFixed(2)}% | ${r.solution.solveMs} | ${ms} |`,
  )
}

// Greedy vs exact on small windows (30–60 candidates in a 1.5 km square, p = 2–5).
const gaps: number[] = [],
  pureGaps: number[] = []
let solved = 0
for (let k = 0; k < 30; k++) {
  const cx = x0 + rnd() * (W - 1500),
    cy = y0 + rnd() * (W - 1500)
  const r = await site(db.knex, config, BENCH_CITY, 2025, {
    indicator: 'kindergarten_coverage',
    count: 2 + (k % 4),
    candidates: points(30 + (k % 4) * 10, cx, cy, 1500),
    method: 'exact',
  })
  if (!r.solution.exact || !r.solution.exactObjective) continue
  solved++
  gaps.push(r.solution.heuristicGapToOptimum ?? 0)
  pureGaps.push(r.solution.greedyGapToOptimum ?? 0)
}
const stats = (xs: number[]) =>
  `mean gap ${((xs.reduce((s, g) => s + g, 0) / Math.max(1, xs.length)) * 100).toFixed(3)}%, worst ${(Math.max(0, ...xs) * 100).toFixed(3)}%, optimal in ${xs.filter((g) => g < 1e-12).length}`
console.log(`\nagainst the exact optimum on ${solved} instances solved exactly:`)
console.log(`- lazy greedy + 1-swap (the city-scale method): ${stats(gaps)}`)
console.log(`- lazy greedy alone: ${stats(pureGaps)}`)
await db.close()
await scratch.drop()
