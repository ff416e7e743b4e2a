// Tile benchmark: concurrent clients (autocannon) fetching z10–z16 problem-map tiles from citycheck,
// beside the same tiles (same attributes) made by a plain PostGIS ST_AsMVT query, behind an in-process
// byte cache (as Martin caches) and per request, on a generated city of ~1 million buildings, in the
// same run: warm against warm (every tile fetched once first) and cold against cold (first tiles).
//   npm run bench:tiles [-- --buildings 1000000 --seconds 10 --connections 16 --turns 3]
import http from 'node:http'
import path from 'node:path'
import { performance as perf } from 'node:perf_hooks'
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
    turns: { type: 'string', default: '3' },
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

// baseline: one ST_AsMVT query per request, like Martin (GiST filter on the tile grown by the buffer,
// ST_AsMVTGeom clipping; extent 4096 and buffer 64, Martin's defaults and citycheck's), with
// the same attributes as citycheck's tiles: a 社区's population, value, status and target; a
// building's fid, code, floors, residential flag and, for a residential building, its coverage flag
// and estimated residents. Those two come from a table made once before the timing, holding the
// values of citycheck's own run (so both sides' tiles carry the same data; the per-building flags
// are what an indicator run computes either way, and bench:indicators times that against SQL).
const run = (await db.knex('indicator_runs').where({ year: 2025 }).orderBy('id', 'desc').first('id')).id
const arr = Object.fromEntries(
  (
    await db
      .knex('indicator_arrays')
      .where({ run_id: run })
      .whereIn('name', ['fid', 'residential', 'residents', `covered:${INDICATOR}`])
      .select('name', 'data')
  ).map((r) => [r.name, Buffer.from(r.data)]),
)
const bit = (b: Buffer, i: number) => (b[i >> 3] & (1 << (i & 7))) !== 0
const cols: [number[], boolean[], number[]] = [[], [], []]
for (let i = 0; i < arr.fid.length / 4; i++)
  if (bit(arr.residential, i)) {
    cols[0].push(arr.fid.readInt32LE(4 * i))
    cols[1].push(bit(arr[`covered:${INDICATOR}`], i))
    cols[2].push(Math.round(arr.residents.readFloatLE(4 * i)))
  }
await db.knex.raw('CREATE TABLE bench_attrs (fid integer PRIMARY KEY, covered boolean, residents integer)')
await db.knex.raw(
  'INSERT INTO bench_attrs SELECT * FROM unnest(?::int[], ?::bool[], ?::int[])',
  cols.map((c) => `{${c.join(',')}}`),
)
await db.knex.raw('ANALYZE bench_attrs')
const pool = new pg.Pool({ connectionString: url.toString(), max: 8, options: '-c jit=off' })
const base = Fastify()
async function stMvt(layer: string, z: string, x: string, y: string): Promise<Buffer> {
  const sql =
    layer === 'communities'
      ? `SELECT ST_AsMVT(q, 'communities') AS t FROM (SELECT c.code, c.name, c.population, round(r.value::numeric, 2)::float8 AS value, coalesce(r.status, 'no-data') AS status, r.target, ST_AsMVTGeom(ST_Transform(c.geom, 3857), ST_TileEnvelope($1, $2, $3), 4096, 64) AS geom
        FROM communities c LEFT JOIN indicator_results r ON r.run_id = $5 AND r.indicator = '${INDICATOR}' AND r.variant = 'area' AND r.level = 'community' AND r.unit_code = c.code
        WHERE c.upload_id = $4 AND c.geom && ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096), 4490)) q`
      : `SELECT ST_AsMVT(q, 'buildings') AS t FROM (SELECT b.fid, b.code, b.floors, b.residential, a.covered, a.residents,
          ST_AsMVTGeom(ST_Transform(b.geom, 3857), ST_TileEnvelope($1, $2, $3), 4096, 64) AS geom
        FROM buildings b LEFT JOIN bench_attrs a ON a.fid = b.fid
        WHERE b.upload_id = $4 AND b.geom && ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096), 4490)) q`
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
// The same byte cache without a framework: node:http alone, the least a JavaScript server can do per
// cached tile (citycheck answers cached tiles before its router, server/tiles/fastpath.ts).
const rawCache = new Map<string, Promise<Buffer>>()
const raw = http.createServer((req, res) => {
  const m = /^\/raw\/(\w+)\/(\d+)\/(\d+)\/(\d+)$/.exec(req.url ?? '')
  if (!m) return res.writeHead(404).end()
  let hit = rawCache.get(req.url!)
  if (!hit) {
    hit = stMvt(m[1], m[2], m[3], m[4]).then((b) => zlib.gzipSync(b))
    rawCache.set(req.url!, hit)
  }
  hit.then((body) =>
    res
      .writeHead(200, {
        'content-type': 'application/vnd.mapbox-vector-tile',
        'content-encoding': 'gzip',
        'content-length': body.length,
      })
      .end(body),
  )
})
await new Promise<void>((done) => raw.listen(0, '127.0.0.1', done))
const rawOrigin = `http://127.0.0.1:${(raw.address() as { port: number }).port}`

async function load(origin: string, toPath: (p: string) => string, label: string) {
  // Warm: every tile once (citycheck's cache; PostgreSQL's buffers for the baseline).
  // (the gzipped bytes of the 99 tiles counted on the way, as the tiles' size for the table)
  let gz = 0
  for (const p of paths) {
    const res = await fetch(origin + toPath(p), { headers: { 'accept-encoding': 'gzip' } })
    gz += Number(res.headers.get('content-length') ?? 0)
    await res.arrayBuffer()
  }
  // The load comes from a worker thread of its own (the other core), bodies not kept: with autocannon on
  // the servers' thread and keeping every body as a string, the client was the bottleneck (64 % of its
  // CPU in that string, growing with the tile's size) and both servers were mostly idle.
  // The servers run on this thread and the load on another: the main thread's busy time per tile
  // (event-loop utilisation) is each server's own cost, whatever the load generator managed.
  const e0 = perf.eventLoopUtilization()
  const r = await autocannon({
    url: origin,
    workers: 1,
    // In workers mode autocannon takes the setup function as a file to require (its README, "workers").
    setupClient: path.join(import.meta.dirname, 'autocannon-no-body.cjs') as unknown as (c: autocannon.Client) => void,
    connections: Number(a.connections),
    duration: Number(a.seconds),
    headers: { 'accept-encoding': 'gzip' },
    requests: paths.map((p) => ({ method: 'GET', path: toPath(p) })),
  })
  const elu = perf.eventLoopUtilization(e0)
  return {
    label,
    usPerTile: (elu.active * 1000) / r.requests.total,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.non2xx,
    bytes: r.throughput.average,
    tileKb: gz / paths.length / 1024,
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
// The two cached servers in turns (citycheck, byte cache, citycheck, byte cache, …): a 2-core machine
// drifts by tens of per cent over a minute (autovacuum after the load, CPU clocks), so one turn each
// could favour whichever ran in the quieter moment. The table shows each turn; the ratio their medians.
await db.knex.raw('VACUUM ANALYZE')
const turns = Number(a.turns)
const oursRuns: Awaited<ReturnType<typeof load>>[] = []
const cachedRuns: Awaited<ReturnType<typeof load>>[] = []
const rawRuns: Awaited<ReturnType<typeof load>>[] = []
for (let i = 0; i < turns; i++) {
  oursRuns.push(await load(ours, oursPath, `citycheck (geojson-vt, cached, gzip), turn ${i + 1}`))
  cachedRuns.push(
    await load(theirs, (p) => `/mvtc/${p}`, `plain PostGIS ST_AsMVT behind a byte cache (gzip), turn ${i + 1}`),
  )
  rawRuns.push(await load(rawOrigin, (p) => `/raw/${p}`, `the same byte cache on bare node:http (gzip), turn ${i + 1}`))
}
const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)]
const results = [
  ...oursRuns.flatMap((r, i) => [r, cachedRuns[i], rawRuns[i]]),
  await load(theirs, (p) => `/mvt/${p}`, 'plain PostGIS ST_AsMVT per request (gzip)'),
]
const oursRps = median(oursRuns.map((r) => r.rps))
const cachedRps = median(cachedRuns.map((r) => r.rps))
const oursUs = median(oursRuns.map((r) => r.usPerTile))
const cachedUs = median(cachedRuns.map((r) => r.usPerTile))
const rawRps = median(rawRuns.map((r) => r.rps))
const rawUs = median(rawRuns.map((r) => r.usPerTile))
console.log(
  `\n${paths.length} tiles (z10–z16, 街道/社区 + buildings from z13) around the centre of a city of ${(await db.knex('buildings').where({ upload_id: v.buildings }).count('* as n'))[0].n} buildings; ${a.connections} connections, ${a.seconds} s each`,
)
console.log(
  '\n| server | tiles/s | server thread µs per tile | p50 ms | p99 ms | non-2xx+errors | MB/s (gzip bytes) | KB per tile (gzip) |',
)
console.log('|---|---|---|---|---|---|---|---|')
for (const r of results)
  console.log(
    `| ${r.label} | ${r.rps.toFixed(0)} | ${r.usPerTile.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.errors} | ${(r.bytes / 2 ** 20).toFixed(1)} | ${r.tileKb.toFixed(1)} |`,
  )
console.log(
  `\nratios (warm, every tile fetched once first; medians of ${turns} turns): citycheck serves ${(oursRps / cachedRps).toFixed(2)}× the tiles per second of the cached ST_AsMVT path and ${(oursRps / results[results.length - 1].rps).toFixed(1)}× the uncached one; per tile it costs the server thread ${(cachedUs / oursUs).toFixed(2)}× as little as the cached path (>1 = citycheck cheaper)`,
)
console.log(
  `against the same byte cache on bare node:http (no framework): ${(oursRps / rawRps).toFixed(2)}× the tiles per second, ${(rawUs / oursUs).toFixed(2)}× as little server-thread time per tile`,
)
console.log('\ncold against cold (empty caches on both sides; PostgreSQL buffers warm from the load):')
console.log('| request | citycheck | ST_AsMVT | ratio |')
console.log('|---|---|---|---|')
for (const line of cold) console.log(line)
await app.close()
await base.close()
raw.close()
await pool.end()
await db.close()
await scratch.drop()
process.exit(0)
