// Indicator benchmark at city scale: every indicator for the city, each 街道 and each 社区 on a
// generated city of ~1 million buildings and tens of thousands of facilities, beside the same
// coverage indicators done as plain PostGIS queries (one facility-driven ST_DWithin query per
// indicator, on projected, GiST-indexed tables prepared once, work_mem 64 MB) in the same run.
//   npm run bench:indicators [-- --buildings 1000000]
import { parseArgs } from 'node:util'
import pg from 'pg'
import { BENCH_CITY, benchCity, loadCity, scratchDb } from './bench-common.ts'
import { openDatabase } from '../server/db/engine.ts'
import { loadConfig } from '../server/config.ts'
import { computeAll } from '../server/indicators/compute.ts'
import { loadCityModel } from '../server/indicators/model.ts'
import { INDICATORS } from '../server/indicators/registry.ts'
import { computeYear, forgetModels, settingsFor } from '../server/indicators/service.ts'

const { values: a } = parseArgs({ options: { buildings: { type: 'string', default: '1000000' } } })
const { dir } = benchCity(Number(a.buildings))
const scratch = await scratchDb('citycheck_bench_ind')
const url = new URL(scratch.url)
const config = loadConfig({ ...process.env, DATABASE_URL: scratch.url })
const db = await openDatabase({ databaseUrl: scratch.url, dataDir: '/tmp' })
const sec = (t: number) => (Date.now() - t) / 1000
let t = Date.now()
const counts = await loadCity(db, dir)
console.log(`loaded in ${sec(t).toFixed(1)} s:`, counts)
// Flush the import's ~1 GB of WAL first, so a checkpoint does not land inside the timed run.
await db.knex.raw('CHECKPOINT')

// --- citycheck: the whole run (model from the database, every indicator, results and problems stored;
// nothing kept yet: the walking graph is built from the roads and the homes joined to it)
t = Date.now()
const run = await computeYear(db, config, BENCH_CITY, 2025)
const full = sec(t)
t = Date.now()
await computeYear(db, config, BENCH_CITY, 2025) // again: the model is cached in memory now
const warmFull = sec(t)
// Again with the model read afresh from PostgreSQL, as after a facilities upload or in a new process,
// but with what the first run kept (db/derived.ts): the buildings with their units, the walking graph
// and the homes' join; the first run above had to read and build them (the city was just imported).
forgetModels()
t = Date.now()
await computeYear(db, config, BENCH_CITY, 2025)
const keptFull = sec(t)
// the parts, measured separately
const settings = settingsFor(config, {})
t = Date.now()
const model = await loadCityModel(db.knex, BENCH_CITY, 2025, settings)
const load = sec(t)
t = Date.now()
const out = computeAll(model, INDICATORS)
const compute = sec(t)
const coverageDefs = INDICATORS.filter((d) => d.kind === 'coverage')
// Like for like with the SQL below: the coverage indicators by straight-line distance only (the model
// without its walking network; the network variants are bench:network's).
t = Date.now()
computeAll({ ...model, network: null }, coverageDefs)
const coverageOnly = sec(t)
t = Date.now()
computeAll(model, coverageDefs)
const coverageBoth = sec(t)

// --- baseline: plain PostGIS. Prepare projected, indexed tables once, then one query per indicator.
const c = new pg.Client({ connectionString: url.toString() })
await c.connect()
await c.query('SET jit = off')
const v = Object.fromEntries(
  (await c.query('SELECT layer, upload_id FROM layer_current WHERE year = 2025')).rows.map((r) => [
    r.layer,
    r.upload_id,
  ]),
)
t = Date.now()
await c.query(`CREATE TABLE bp AS SELECT b.fid, ST_Transform(ST_PointOnSurface(b.geom), 4548) p, ST_Area(b.geom::geography) a, cm.code community
  FROM buildings b LEFT JOIN communities cm ON cm.upload_id = ${v.communities} AND ST_Intersects(cm.geom, ST_PointOnSurface(b.geom))
  WHERE b.upload_id = ${v.buildings} AND b.residential`)
await c.query('CREATE INDEX ON bp USING gist (p)')
await c.query(
  `CREATE TABLE fp AS SELECT type, ST_Transform(geom, 4548) g FROM facilities WHERE upload_id = ${v.facilities}`,
)
await c.query('CREATE INDEX ON fp USING gist (g)')
await c.query(
  `CREATE TABLE gp AS SELECT kind, area_m2, ST_Transform(geom, 4548) g FROM green_spaces WHERE upload_id = ${v['green-spaces']}`,
)
await c.query('CREATE INDEX ON gp USING gist (g)')
await c.query('ANALYZE bp; ANALYZE fp; ANALYZE gp')
const prep = sec(t)
// The query is written facility-driven, as an expert would: from each facility, the homes within the
// radius by the GiST index on the homes (OFFSET 0 keeps the LATERAL from being flattened), then
// DISTINCT and one per-unit sum. (An `EXISTS` inside `sum(...) FILTER (WHERE …)` cannot become a join:
// one core then probes the facilities' index once per home, ~10× slower; the README's earlier figures
// used that form.)
await c.query("SET work_mem = '64MB'")
const perIndicator: [string, number, number | null][] = []
for (const d of coverageDefs) {
  const p = d.params
  const bands = p.bands ?? [{ minArea: p.minArea ?? 0, radius: p.radius!, maxArea: undefined as number | undefined }]
  const reach = (from: string, where: string, radius: number) =>
    `SELECT h.fid FROM ${from} f, LATERAL (SELECT bp.fid FROM bp WHERE ST_DWithin(bp.p, f.g, ${radius}) OFFSET 0) h WHERE ${where}`
  const covered = p.facilityTypes
    ? reach('fp', 'f.type = ANY($1)', p.radius!)
    : bands
        .map((b) =>
          reach(
            'gp',
            `f.area_m2 >= ${b.minArea}${b.maxArea ? ` AND f.area_m2 < ${b.maxArea}` : ''}${p.greenKinds === 'park' ? ` AND f.kind ~* '公园|游园|口袋|park|garden'` : ''}`,
            b.radius,
          ),
        )
        .join(' UNION ')
  const tq = Date.now()
  const r = await c.query(
    `WITH covered AS (SELECT DISTINCT fid FROM (${covered}) x)
     SELECT community, GROUPING(community) AS total, 100 * sum(a) FILTER (WHERE covered.fid IS NOT NULL) / sum(a) v
     FROM bp LEFT JOIN covered USING (fid) GROUP BY ROLLUP (community)`,
    p.facilityTypes ? [p.facilityTypes] : [],
  )
  const cityRow = r.rows.find((x) => x.total === 1)
  perIndicator.push([d.code, sec(tq), cityRow ? Number(cityRow.v) : null])
}
const baseline = perIndicator.reduce((s, x) => s + x[1], 0)
await c.end()

console.log(
  `\ncity: ${model.b.n} buildings (${model.residentialPoints.ids.length} residential), ${model.facilities.length} facilities, ${model.green.length} green spaces, ${model.streets.length} 街道, ${model.communities.length} 社区`,
)
console.log('\n| step | seconds |')
console.log('|---|---|')
console.log(
  `| citycheck full run: load model + all ${INDICATORS.length} indicators × every level + store results and 问题清单 (${run.results} results, ${run.problems} problems) | ${full.toFixed(2)} |`,
)
console.log(
  `| citycheck full run again, model read again from PostgreSQL, the buildings with their units, the walking graph and the homes' join as kept by the first run (code already warm) | ${keptFull.toFixed(2)} |`,
)
console.log(
  `| citycheck full run again, model cached in memory (as after any earlier run or what-if) | ${warmFull.toFixed(2)} |`,
)
console.log(
  `| — load model from PostGIS (points in EPSG:${model.srid}, unit assignment, population allocation) | ${load.toFixed(2)} |`,
)
console.log(`| — compute all ${INDICATORS.length} indicators in memory | ${compute.toFixed(2)} |`)
console.log(
  `| — compute the ${coverageDefs.length} coverage indicators only, straight line (as the SQL) | ${coverageOnly.toFixed(2)} |`,
)
console.log(
  `| — the same with their walking-network variants too (${model.network ? 'roads loaded' : 'no roads'}) | ${coverageBoth.toFixed(2)} |`,
)
console.log(`| plain PostGIS: prepare projected, indexed tables | ${prep.toFixed(2)} |`)
console.log(
  `| plain PostGIS: ${coverageDefs.length} coverage indicators, one facility-driven ST_DWithin query each (per 社区 + city) | ${baseline.toFixed(2)} |`,
)
console.log(
  `\nratios: coverage in memory ${(baseline / coverageOnly).toFixed(1)}× faster than the SQL queries alone; the full run (all ${INDICATORS.length} indicators, stored) is ${((prep + baseline) / full).toFixed(2)}× the speed of SQL prep + coverage queries (${((prep + baseline) / keptFull).toFixed(2)}× read with what the first run kept)`,
)
console.log('\n| indicator | SQL s | SQL city % | citycheck city % (area) |')
console.log('|---|---|---|---|')
for (const [code, s, val] of perIndicator) {
  const ours = out.rows.find((r) => r.indicator === code && r.level === 'city' && r.variant === 'area')?.value
  console.log(`| ${code} | ${s.toFixed(2)} | ${val?.toFixed(2)} | ${ours?.toFixed(2)} |`)
}
await db.close()
await scratch.drop()
