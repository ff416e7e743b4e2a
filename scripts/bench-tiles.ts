// Tile benchmark: concurrent clients (autocannon) fetching z10–z16 problem-map tiles from citycheck,
// beside the same tiles (same attributes) made by a plain PostGIS ST_AsMVT query, behind an in-process
// byte cache (as Martin caches) and per request, on a generated city of ~1 million buildings, in the
// same run: warm against warm (every tile fetched once first) and cold against cold (first tiles).
//   npm run bench:tiles [-- --buildings 1000000 --seconds 10 --connections 16]
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import Fastify from 'fastify'
import pg from 'pg'
import zlib from 'node:zlib'
import { BENCH_CITY, benchCity, loadCity, scratchDb } from './bench-common.ts'
import { buildApp } from '../server/app.ts'
import { openRuntime } from '../server/runtime.ts'
import { loadConfig } from '../server/config.ts'
import { openDatabase } from '../server/db/engine.ts'
import { computeYear } from '../server/indicators/service.ts'

const { values: a } = parseArgs({
  options: {
    buildings: { type: 'string', default: '1000000' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '16' },
  },
})
const { dir } = benchCity(Number(a.buildings))
const scratch = await scratchDb('citycheck_bench_tiles')
const url = new URL(scratch.url)
const config = loadConfig({ ...process.env, DATABASE_URL: scratch.url, CITYCHECK_DEMO: '0', LOG_LEVEL: 'warn' })
const db = await openDatabase({ databaseUrl: scratch.url, dataDir: '/tmp' })
await loadCity(db, dir)
await computeYear(db, config, BENCH_CITY, 2025)
const INDICATOR = 'kindergarten_coverage'

// The tiles a planner looks at: around the city centre, z10–z16, 街道/社区 at every zoom, buildings from 13.
const v = Object.fromEntries((await db.knex('layer_current').where({ year: 2025 })).map((r) => [r.layer, r.upload_id]))
const ext = (
  await db.knex.raw(
    'SELECT ST_XMin(e) a, ST_YMin(e) b, ST_XMax(e) c, ST_YMax(e) d FROM (SELECT ST_Extent(geom) e FROM streets WHERE upload_id = ?) s',
    [v.streets],
  )
).rows[0]
const [clon, clat] = [(ext.a + ext.c) / 2, (ext.b + ext.d) / 2]
const tileOf = (lon: number, lat: number, z: number) => {
  const n = 2 ** z,
    r = (lat * Math.PI) / 180
  return [
    Math.floor(((lon + 180) / 360) * n),
    Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n),
  ]
}
const paths: string[] = []
for (let z = 10; z <= 16; z++) {
  const [cx, cy] = tileOf(clon, clat, z)
  for (let dx = -1; dx <= 1; dx++)
    for (let dy = -1; dy <= 1; dy++) {
      paths.push(`communities/${z}/${cx + dx}/${cy + dy}`)
      if (z >= 13) paths.push(`buildings/${z}/${cx + dx}/${cy + dy}`)
    }
}

// Cold against cold, first: a fresh runtime (no tile index, no tile cache) and a fresh pool; the
// first building and 社区 tiles at the centre, each side timed from the request to the last byte.
const [tx, ty] = tileOf(clon, clat, 14)
const coldPaths = [`buildings/14/${tx}/${ty}`, `communities/14/${tx}/${ty}`]

// citycheck
const rt = await openRuntime(config, { db, workers: 0 })
const app = await buildApp(rt)
await app.listen({ port: 0, host: '127.0.0.1' })
const ours = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
const oursPath = (p: string) => `/tiles/${BENCH_CITY.code}/2025/${p}.pbf?indicator=${INDICATOR}`

// baseline: one ST_AsMVT query per request, like Martin (GiST filter, ST_AsMVTGeom clipping), with
// the same attributes as citycheck's tiles: a 社区's value and status, a building's coverage flag.
// The flags come from a table made once before the timing (facility-driven ST_DWithin, as in
// bench:indicators): the fair counterpart of citycheck's run, which also computed them beforehand.
await db.knex.raw(`CREATE TABLE bench_covered AS
  SELECT DISTINCT h.fid FROM facilities f, LATERAL (
    SELECT b.fid FROM buildings b WHERE b.upload_id = ${v.buildings} AND b.geom && ST_Expand(f.geom, 0.006)
      AND ST_DWithin(ST_PointOnSurface(b.geom)::geography, f.geom::geography, 300) OFFSET 0) h
  WHERE f.upload_id = ${v.facilities} AND f.type = 'kindergarten'`)
await db.knex.raw('CREATE UNIQUE INDEX ON bench_covered (fid); ANALYZE bench_covered')
const pool = new pg.Pool({ connectionString: url.toString(), max: 8, options: '-c jit=off' })
const run = (await db.knex('indicator_runs').where({ year: 2025 }).orderBy('id', 'desc').first('id')).id
const base = Fastify()
async function stMvt(layer: string, z: string, x: string, y: string): Promise<Buffer> {
  const sql =
    layer === 'communities'
      ? `SELECT ST_AsMVT(q, 'communities') AS t FROM (SELECT c.code, c.name, r.value, r.status, ST_AsMVTGeom(ST_Transform(c.geom, 3857), ST_TileEnvelope($1, $2, $3)) AS geom
        FROM communities c LEFT JOIN indicator_results r ON r.run_id = $5 AND r.indicator = '${INDICATOR}' AND r.variant = 'area' AND r.level = 'community' AND r.unit_code = c.code
        WHERE c.upload_id = $4 AND c.geom && ST_Transform(ST_TileEnvelope($1, $2, $3), 4490)) q`
      : `SELECT ST_AsMVT(q, 'buildings') AS t FROM (SELECT b.fid, b.code, b.floors, (c.fid IS NOT NULL) AS covered,
          ST_AsMVTGeom(ST_Transform(b.geom, 3857), ST_TileEnvelope($1, $2, $3)) AS geom
        FROM buildings b LEFT JOIN bench_covered c ON c.fid = b.fid
        WHERE b.upload_id = $4 AND b.geom && ST_Transform(ST_TileEnvelope($1, $2, $3), 4490)) q`
  const r = await pool.query(sql, layer === 'communities' ? [z, x, y, v.communities, run] : [z, x, y, v.buildings])
  return r.rows[0].t as Buffer
}
const mvt = (req: { params: unknown }) => {
  const { layer, z, x, y } = req.params as { layer: string; z: string; x: string; y: string }
  return stMvt(layer, z, x, y)
}
base.get('/mvt/:layer/:z/:x/:y', async (req, reply) => {
  const body = zlib.gzipSync(await mvt(req))
  return reply
    .header('content-type', 'application/vnd.mapbox-vector-tile')
    .header('content-encoding', 'gzip')
    .send(body)
})
// The same query behind a plain in-process byte cache of gzipped tiles (as Martin caches by default).
const cache = new Map<string, Promise<Buffer>>()
base.get('/mvtc/:layer/:z/:x/:y', async (req, reply) => {
  const k = req.url
  let hit = cache.get(k)
  if (!hit) {
    hit = mvt(req).then((b) => zlib.gzipSync(b))
    cache.set(k, hit)
  }
  return reply
    .header('content-type', 'application/vnd.mapbox-vector-tile')
    .header('content-encoding', 'gzip')
    .send(await hit)
})
await base.listen({ port: 0, host: '127.0.0.1' })
const theirs = `http://127.0.0.1:${(base.server.address() as { port: number }).port}`

async function load(origin: string, toPath: (p: string) => string, label: string) {
  // Warm: every tile once (citycheck's cache; PostgreSQL's buffers for the baseline).
  for (const p of paths) await fetch(origin + toPath(p), { headers: { 'accept-encoding': 'gzip' } })
  const r = await autocannon({
    url: origin,
    connections: Number(a.connections),
    duration: Number(a.seconds),
    headers: { 'accept-encoding': 'gzip' },
    requests: paths.map((p) => ({ method: 'GET', path: toPath(p) })),
  })
  return {
    label,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.non2xx,
    bytes: r.throughput.average,
  }
}
const timed = async (u: string) => {
  const t0 = performance.now()
  const r = await fetch(u, { headers: { 'accept-encoding': 'gzip' } })
  await r.arrayBuffer()
  return performance.now() - t0
}
const rssMb = () => process.memoryUsage().rss / 2 ** 20
const cold: string[] = []
for (const p of coldPaths) {
  const before = rssMb()
  const oursMs = await timed(ours + oursPath(p))
  const grew = rssMb() - before
  const theirsMs = await timed(`${theirs}/mvt/${p}`)
  cold.push(
    `| first ${p.split('/')[0]} tile (z14, centre) | ${oursMs.toFixed(0)} ms (process RSS +${grew.toFixed(0)} MB) | ${theirsMs.toFixed(0)} ms | ${(theirsMs / oursMs).toFixed(2)}× |`,
  )
}
const results = [
  await load(ours, oursPath, 'citycheck (geojson-vt, cached, gzip)'),
  await load(theirs, (p) => `/mvtc/${p}`, 'plain PostGIS ST_AsMVT behind a byte cache (gzip)'),
  await load(theirs, (p) => `/mvt/${p}`, 'plain PostGIS ST_AsMVT per request (gzip)'),
]
console.log(
  `\n${paths.length} tiles (z10–z16, 街道/社区 + buildings from z13) around the centre of a city of ${(await db.knex('buildings').where({ upload_id: v.buildings }).count('* as n'))[0].n} buildings; ${a.connections} connections, ${a.seconds} s each`,
)
console.log('\n| server | tiles/s | p50 ms | p99 ms | non-2xx+errors | MB/s (gzip bytes) | KB per tile |')
console.log('|---|---|---|---|---|---|---|')
for (const r of results)
  console.log(
    `| ${r.label} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.errors} | ${(r.bytes / 2 ** 20).toFixed(1)} | ${(r.bytes / r.rps / 1024).toFixed(1)} |`,
  )
console.log(
  `\nratios (warm, every tile fetched once first): citycheck serves ${(results[0].rps / results[1].rps).toFixed(2)}× the tiles per second of the cached ST_AsMVT path and ${(results[0].rps / results[2].rps).toFixed(1)}× the uncached one`,
)
console.log('\ncold against cold (empty caches on both sides; PostgreSQL buffers warm from the load):')
console.log('| request | citycheck | ST_AsMVT | ratio |')
console.log('|---|---|---|---|')
for (const line of cold) console.log(line)
await app.close()
await base.close()
await pool.end()
await db.close()
await scratch.drop()
process.exit(0)
