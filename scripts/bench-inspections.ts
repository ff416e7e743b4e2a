// Inspection benchmark at city scale: an inspection table of N rows (default 300,000; two thirds
// naming the building code, one third only a point inside the footprint) matched to a city of ~1M
// footprints and imported, then every count indicator computed — beside the same matching done as
// plain PostGIS (COPY into a temp table, a hash join on code, a GiST point-in-polygon join for the
// rest) and the same counts per 社区 as one SQL GROUP BY, in the same run and on the same server.
//   npm run bench:inspections [-- --buildings 1000000 --rows 300000]
import { parseArgs } from 'node:util'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import { BENCH_CITY, benchCity, loadCity, scratchDb } from './bench-common.ts'
import { openDatabase } from '../server/db/engine.ts'
import { loadConfig } from '../server/config.ts'
import { computeAll } from '../server/indicators/compute.ts'
import { INDICATORS } from '../server/indicators/registry.ts'
import { modelFor, settingsFor } from '../server/indicators/service.ts'
import { importInspections } from '../server/inspections/import.ts'
import { loadInspectionFacts } from '../server/inspections/store.ts'
import { readTable } from '../server/inspections/table.ts'
import { NATIONAL_ITEMS } from '../server/inspections/vocabulary.ts'

const { values: a } = parseArgs({
  options: { buildings: { type: 'string', default: '1000000' }, rows: { type: 'string', default: '300000' } },
})
const N = Number(a.rows)
const { dir } = benchCity(Number(a.buildings))
const scratch = await scratchDb('citycheck_bench_insp')
const config = loadConfig({ ...process.env, DATABASE_URL: scratch.url })
const db = await openDatabase({ databaseUrl: scratch.url, dataDir: '/tmp' })
const sec = (t: number) => (Date.now() - t) / 1000
let t = Date.now()
const counts = await loadCity(db, dir)
console.log(`loaded ${counts.buildings} buildings in ${sec(t).toFixed(1)} s`)
await db.knex.raw('CHECKPOINT')
const upload = (await db.knex('layer_current').where({ city: BENCH_CITY.code, year: 2025, layer: 'buildings' }).first())
  .upload_id as number

// The table: N residential buildings, spread over the city; findings drawn from the vocabulary.
const picked = (
  await db.knex.raw(
    `SELECT code, ST_X(p) x, ST_Y(p) y FROM buildings, ST_PointOnSurface(geom) p
     WHERE upload_id = ? AND use = '住宅' ORDER BY hashtext(code) LIMIT ?`,
    [upload, N],
  )
).rows as { code: string; x: number; y: number }[]
const items = NATIONAL_ITEMS.filter((i) => i.indicator.startsWith('housing_'))
let seed = 1
const rnd = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31
  return seed / 2 ** 31
}
const lines = ['building_code,lon,lat,问题,检查人,检查日期']
for (const [k, b] of picked.entries()) {
  const f = items.filter(() => rnd() < 0.06).map((i) => i.code)
  lines.push(
    k % 3 === 2 ? `,${b.x},${b.y},${f.join('、')},张工,2025-05-01` : `${b.code},,,${f.join('、')},李工,2025-05-01`,
  )
}
const csv = Buffer.from(lines.join('\n'))
console.log(`inspection table: ${picked.length} rows, ${(csv.length / 1048576).toFixed(1)} MB`)

// --- citycheck: read, check, match (code → point → address), store, in one transaction
t = Date.now()
const table = await readTable(csv, 'bench.csv', { maxRows: 1e8 })
const read = sec(t)
t = Date.now()
const r = await importInspections(db, BENCH_CITY.code, 2025, {
  file: 'bench.csv',
  table,
  target: 'building',
  by: 'bench',
  items: NATIONAL_ITEMS,
  onStage: (() => {
    let last = Date.now(),
      name = ''
    return (stage: string) => {
      if (name) process.stdout.write(`  ${name} ${sec(last).toFixed(2)} s;`)
      name = stage
      last = Date.now()
    }
  })(),
})
const imported = sec(t)
console.log()
console.log(
  `citycheck import: read ${read.toFixed(2)} s + match and store ${imported.toFixed(2)} s — ${r.status}, matched`,
  r.report.matched,
  `unmatched ${r.report.unmatched.length}, ambiguous ${r.report.ambiguous.length}`,
)

// --- citycheck: every count indicator from the latest records (model cached in memory first)
const settings = settingsFor(config, {})
const model = await modelFor(db.knex, BENCH_CITY, 2025, settings)
t = Date.now()
model.inspections = await loadInspectionFacts(db.knex, BENCH_CITY.code, 2025, model)
const facts = sec(t)
t = Date.now()
const out = computeAll(
  model,
  INDICATORS.filter((d) => d.kind === 'inspection_count'),
)
const compute = sec(t)
console.log(
  `citycheck counts: latest records ${facts.toFixed(2)} s + ${out.rows.length} results ${compute.toFixed(2)} s = ${(facts + compute).toFixed(2)} s`,
)

// --- baseline: plain PostGIS as an expert would write it, same rows, same server
const c = new pg.Client({ connectionString: scratch.url })
await c.connect()
await c.query('SET work_mem = "256MB"')
t = Date.now()
await c.query('BEGIN')
await c.query('CREATE TEMP TABLE st (rn int, code text, lon float8, lat float8) ON COMMIT DROP')
await pipeline(
  Readable.from(
    (function* () {
      for (const [k, b] of picked.entries())
        yield k % 3 === 2 ? `${k}\t\\N\t${b.x}\t${b.y}\n` : `${k}\t${b.code}\t\\N\t\\N\n`
    })(),
  ),
  c.query(copyFrom('COPY st FROM STDIN')),
)
await c.query('ANALYZE st')
const base = await c.query(
  `SELECT count(*) n FROM (
     SELECT st.rn, b.code FROM st JOIN buildings b ON b.upload_id = $1 AND b.code = st.code
     UNION ALL
     SELECT st.rn, b.code FROM st JOIN buildings b
       ON b.upload_id = $1 AND ST_Intersects(b.geom, ST_SetSRID(ST_MakePoint(st.lon, st.lat), 4490))
     WHERE st.code IS NULL) m`,
  [upload],
)
await c.query('COMMIT')
const baseMatch = sec(t)
console.log(
  `PostGIS matching (COPY + code hash join + GiST point join): ${baseMatch.toFixed(2)} s, ${base.rows[0].n} pairs`,
)
const communities = (
  await db.knex('layer_current').where({ city: BENCH_CITY.code, year: 2025, layer: 'communities' }).first()
).upload_id as number
t = Date.now()
const sql = await c.query(
  `WITH latest AS (SELECT DISTINCT ON (unit_code) unit_code, findings FROM inspections
     WHERE city = $1 AND year = 2025 AND target = 'building' AND accepted ORDER BY unit_code, inspected_at DESC, id DESC)
   SELECT cm.code, count(*) inspected, count(*) FILTER (WHERE EXISTS (SELECT 1 FROM unnest(l.findings) f WHERE f LIKE 'housing_gas_hazard.%')) gas
   FROM latest l JOIN buildings b ON b.upload_id = $2 AND b.code = l.unit_code
   JOIN communities cm ON cm.upload_id = $3 AND ST_Intersects(cm.geom, ST_PointOnSurface(b.geom))
   GROUP BY cm.code`,
  [BENCH_CITY.code, upload, communities],
)
const baseCount = sec(t)
console.log(`PostGIS counts (one indicator, per 社区 only): ${baseCount.toFixed(2)} s, ${sql.rowCount} 社区`)
console.log(
  `ratios: import ${(baseMatch / (read + imported)).toFixed(2)}× the PostGIS matching (ours also reads, checks, reports and stores);` +
    ` counts ${(baseCount / (facts + compute)).toFixed(1)}× one SQL indicator at one level (ours: ${INDICATORS.filter((d) => d.kind === 'inspection_count').length} indicators × every level)`,
)
await c.end()
await db.close()
await scratch.drop()
