// Walking-network benchmark: a generated city of ~1M buildings with its street network (the demo
// generator's grid with vertices every 25 m, a river with bridges, a railway, lanes in each 小区:
// ≥ 500k edges). citycheck: build the graph, join every home, and compute every network-distance
// indicator (coverage, green reach, life circles, 完整社区) for all units. Baseline in the same run:
// pgRouting (pgr_withPointsDD from every facility, buildings as points on the edges, access legs
// added) for three coverage indicators, with the uncovered homes compared one by one.
//   npm run bench:network [-- --buildings 1000000 --baseline 3]
import { parseArgs } from 'node:util'
import pg from 'pg'
import { BENCH_CITY, benchCity, loadCity, scratchDb } from './bench-common.ts'
import { openDatabase } from '../server/db/engine.ts'
import { loadConfig } from '../server/config.ts'
import { computeAll } from '../server/indicators/compute.ts'
import { INDICATORS } from '../server/indicators/registry.ts'
import { modelFor, settingsFor } from '../server/indicators/service.ts'
import { DEFAULT_NETWORK, readNetwork } from '../server/network/load.ts'
import { graphOf, joinNetwork } from '../server/network/join.ts'
import { keptHomes } from '../server/network/cache.ts'
import { graphKey, homesKey } from '../server/network/packed.ts'

const { values: a } = parseArgs({
  options: {
    buildings: { type: 'string', default: '1000000' },
    // how many of the three pgRouting comparisons to run (each takes minutes at a million homes)
    baseline: { type: 'string', default: '3' },
  },
})
const { dir } = benchCity(Number(a.buildings))
const scratch = await scratchDb('citycheck_bench_net')
const config = loadConfig({ ...process.env, DATABASE_URL: scratch.url })
const db = await openDatabase({ databaseUrl: scratch.url, dataDir: '/tmp' })
const sec = (t: number) => (Date.now() - t) / 1000
let t = Date.now()
const counts = await loadCity(db, dir)
console.log(`loaded in ${sec(t).toFixed(1)} s: ${counts.buildings} buildings, ${counts.roads} roads`)
await db.knex.raw('CHECKPOINT')

const settings = settingsFor(config, {})
const model = await modelFor(db.knex, BENCH_CITY, 2025, settings)
const net = model.network!
// --- citycheck: graph + joins, measured on their own: from the roads (as modelFor did once, cold, before
// it kept them), then from the rows it kept (network/cache.ts), as every later load reads them
const points = { residential: model.residentialPoints, areas: model.areaPoints }
t = Date.now()
const roadsInput = (await readNetwork(db.knex, model.versions, model.srid))! // (no settings: no kept graph)
joinNetwork(roadsInput, graphOf(roadsInput, DEFAULT_NETWORK), DEFAULT_NETWORK, points)
const build = sec(t)
t = Date.now()
const keptInput = (await readNetwork(db.knex, model.versions, model.srid, DEFAULT_NETWORK))!
const gk = graphKey(model.versions.roads!, model.srid, DEFAULT_NETWORK)
const rp = model.residentialPoints
const snapped = await keptHomes(db.knex, homesKey(gk, DEFAULT_NETWORK.accessCapM, rp.ids, rp.x, rp.y), rp.ids.length)
const fromKept = joinNetwork(keptInput, graphOf(keptInput, DEFAULT_NETWORK), DEFAULT_NETWORK, {
  ...points,
  residential: { ...points.residential, snapped },
})
const kept = sec(t)
if (!fromKept.kept.graph || !fromKept.kept.homes) throw new Error('bench-network: the kept rows were not read')
const g = net.graph
console.log(
  `network: ${g.nodes} nodes, ${g.segA.length} edges, ${g.componentSize.length} components, noding ${net.noding}; read + build + join ${model.residentialPoints.ids.length} homes: ${build.toFixed(2)} s from the roads, ${kept.toFixed(2)} s from the kept rows`,
)
const spatial = INDICATORS.filter((d) => ['coverage', 'life_circle', 'complete_community'].includes(d.kind))
t = Date.now()
computeAll({ ...model, network: null }, spatial)
const straight = sec(t)
t = Date.now()
const out = computeAll(model, spatial)
const both = sec(t)
console.log(
  `citycheck: ${spatial.length} indicators × every level: straight line ${straight.toFixed(2)} s; both models ${both.toFixed(2)} s → network part ${(both - straight).toFixed(2)} s; with the graph build ${(both - straight + build).toFixed(2)} s`,
)

// --- baseline: pgRouting on the same segments and the same joins
const c = new pg.Client({ connectionString: scratch.url })
await c.connect()
await c.query('CREATE EXTENSION IF NOT EXISTS pgrouting')
await c.query('SET work_mem = "256MB"')
t = Date.now()
// The graph exactly as citycheck built it (same segments, same node numbering), so the comparison is of
// the search, not of the noding; building and facility joins computed in SQL (KNN on the segments).
await c.query('CREATE TABLE e (id int, source int, target int, cost float8, geom geometry(LineString, 0))')
{
  const rows: string[] = []
  for (let s = 0; s < g.segA.length; s++) {
    const A = g.segA[s],
      B = g.segB[s]
    rows.push(`(${s},${A},${B},${g.segLen[s]},'LINESTRING(${g.x[A]} ${g.y[A]},${g.x[B]} ${g.y[B]})')`)
    if (rows.length === 5000 || s === g.segA.length - 1) {
      await c.query(`INSERT INTO e VALUES ${rows.join(',')}`)
      rows.length = 0
    }
  }
}
await c.query('CREATE INDEX ON e USING gist (geom)')
await c.query('CREATE TABLE home (k int, x float8, y float8)')
{
  const ids = model.residentialPoints
  const rows: string[] = []
  for (let k = 0; k < ids.ids.length; k++) {
    rows.push(`(${k},${ids.x[k]},${ids.y[k]})`)
    if (rows.length === 10000 || k === ids.ids.length - 1) {
      await c.query(`INSERT INTO home VALUES ${rows.join(',')}`)
      rows.length = 0
    }
  }
}
await c.query(`CREATE TABLE home_pt AS SELECT h.k, s.id edge_id, ST_LineLocatePoint(s.geom, p) fraction, ST_Distance(s.geom, p) leg
  FROM home h, ST_MakePoint(h.x, h.y) p CROSS JOIN LATERAL (SELECT id, geom FROM e ORDER BY geom <-> p LIMIT 1) s
  WHERE ST_Distance(s.geom, p) <= ${DEFAULT_NETWORK.accessCapM}`)
const prep = sec(t)
console.log(
  `pgRouting preparation (edges, KNN joins of ${model.residentialPoints.ids.length} homes): ${prep.toFixed(1)} s`,
)

const picks = ['kindergarten_coverage', 'health_station_coverage', 'bus_stop_coverage']
  .slice(0, Number(a.baseline))
  .map((code) => INDICATORS.find((d) => d.code === code)!)
let pgrTotal = 0,
  oursTotal = 0
for (const d of picks) {
  const fac = model.facilities.filter((f) => d.params.facilityTypes!.includes(f.type) && !f.geom)
  await c.query('DROP TABLE IF EXISTS site, pts')
  await c.query('CREATE TABLE site (k int, x float8, y float8)')
  await c.query(`INSERT INTO site VALUES ${fac.map((f, k) => `(${k},${f.x},${f.y})`).join(',')}`)
  t = Date.now()
  await c.query(`CREATE TABLE pts AS
    SELECT -1 - k pid, kind, k, edge_id, least(greatest(fraction, 1e-7), 1 - 1e-7) fraction, leg FROM (
      SELECT 'home' kind, k, edge_id, fraction, leg FROM home_pt
      UNION ALL
      SELECT 'site', s.k + 10000000, e2.id, ST_LineLocatePoint(e2.geom, p), ST_Distance(e2.geom, p)
      FROM site s, ST_MakePoint(s.x, s.y) p CROSS JOIN LATERAL (SELECT id, geom FROM e ORDER BY geom <-> p LIMIT 1) e2
      WHERE ST_Distance(e2.geom, p) <= ${DEFAULT_NETWORK.accessCapM}) u`)
  const r = await c.query(
    `WITH dd AS (
       SELECT * FROM pgr_withPointsDD(
         'SELECT id, source, target, cost, cost AS reverse_cost FROM e',
         'SELECT -pid AS pid, edge_id, fraction, ''b''::char AS side FROM pts',
         (SELECT array_agg(pid) FROM pts WHERE kind = 'site'), ${d.params.radius}, directed => false, details => true))
     SELECT h.k FROM dd JOIN pts s ON s.pid = dd.start_vid JOIN pts h ON h.pid = dd.node AND h.kind = 'home'
     GROUP BY h.k, h.leg HAVING min(s.leg + dd.agg_cost) + h.leg <= ${d.params.radius! + 0.01}`,
  )
  const pgr = sec(t)
  pgrTotal += pgr
  const theirs = new Set(r.rows.map((x) => x.k as number))
  // Ours, the same indicator alone (graph already built).
  t = Date.now()
  const one = computeAll(model, [d])
  const ours = sec(t)
  oursTotal += ours
  const flags = one.covered.get(`${d.code}@network`)!
  let differ = 0,
    covered = 0
  model.residentialPoints.ids.forEach((id, k) => {
    if (flags[id]) covered++
    if (!!flags[id] !== theirs.has(k)) differ++
  })
  console.log(
    `${d.code}: pgRouting ${pgr.toFixed(2)} s, ${theirs.size} homes covered; citycheck (both models) ${ours.toFixed(2)} s, ${covered} covered; homes that differ: ${differ}`,
  )
}
console.log(
  `ratio on these ${picks.length} indicators: citycheck ${(pgrTotal / oursTotal).toFixed(1)}× faster than pgRouting (pgRouting preparation not counted)`,
)
void out
await c.end()
await db.close()
await scratch.drop()
