// Load on a running server, as a city's users make it: vector tiles of 5 indicators at z12–z16
// (社区 with values, buildings with coverage, facilities, problems) mixed with API reads (the
// 问题清单 with limit=50, the indicator summary, a unit's card, one indicator per 社区). The server
// is its own process (`npm start` with the city already loaded and computed); autocannon drives it
// from this one. First a cold pass (caches empty), then the warm run. Prints errors, latency
// percentiles per kind of request, throughput and the server's RSS over time.
//   npm run bench:load [-- --buildings 250000 --seconds 60 --connections 64]
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { BENCH_CITY, benchCity, loadCity, scratchDb } from './bench-common.ts'
import { loadConfig } from '../server/config.ts'
import { openDatabase } from '../server/db/engine.ts'
import { computeYear } from '../server/indicators/service.ts'

const { values: a } = parseArgs({
  options: {
    buildings: { type: 'string', default: '250000' },
    seconds: { type: 'string', default: '60' },
    cold: { type: 'string', default: '15' },
    connections: { type: 'string', default: '64' },
  },
})
const ROOT = path.resolve(import.meta.dirname, '..')
const { dir } = benchCity(Number(a.buildings))
const scratch = await scratchDb('citycheck_bench_load')
const config = loadConfig({ ...process.env, DATABASE_URL: scratch.url, CITYCHECK_DEMO: '0', LOG_LEVEL: 'warn' })
const db = await openDatabase({ databaseUrl: scratch.url, dataDir: '/tmp' })
const counts = await loadCity(db, dir)
await computeYear(db, config, BENCH_CITY, 2025)
const communities = (
  await db
    .knex('indicator_results')
    .where({ level: 'community', indicator: 'kindergarten_coverage', variant: 'area' })
    .select('unit_code')
).map((r) => r.unit_code as string)
const v = Object.fromEntries(
  (await db.knex('layer_current').where({ city: BENCH_CITY.code, year: 2025 })).map((r) => [r.layer, r.upload_id]),
)
const ext = (
  await db.knex.raw(
    'SELECT ST_XMin(e) a, ST_YMin(e) b, ST_XMax(e) c, ST_YMax(e) d FROM (SELECT ST_Extent(geom) e FROM streets WHERE upload_id = ?) s',
    [v.streets],
  )
).rows[0]
await db.close()
console.log(`city: ${counts.buildings} buildings, ${communities.length} 社区`)

const port = await new Promise<number>((resolve) => {
  const s = net.createServer().listen(0, () => {
    const p = (s.address() as net.AddressInfo).port
    s.close(() => resolve(p))
  })
})
const server = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
  cwd: ROOT,
  stdio: ['ignore', 'ignore', 'inherit'],
  env: {
    ...process.env,
    DATABASE_URL: scratch.url,
    CITYCHECK_DEMO: '0',
    CITYCHECK_WORKERS: '0',
    LOG_LEVEL: 'warn',
    PORT: String(port),
    HOST: '127.0.0.1',
    NODE_OPTIONS: '--max-old-space-size=8192',
  },
})
const base = `http://127.0.0.1:${port}`
for (let i = 0; i < 300; i++) {
  try {
    if ((await fetch(`${base}/api/health`)).ok) break
  } catch {
    /* starting */
  }
  await new Promise((r) => setTimeout(r, 100))
}
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${server.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024

// The requests: tiles around the centre and the quarters of the city, for five indicators.
const INDICATORS = [
  'kindergarten_coverage',
  'primary_school_coverage',
  'elderly_station_coverage',
  'park_500m',
  'life_circle_15',
]
const tileOf = (lon: number, lat: number, z: number) => {
  const n = 2 ** z,
    r = (lat * Math.PI) / 180
  return [
    Math.floor(((lon + 180) / 360) * n),
    Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n),
  ]
}
const city = `/tiles/${BENCH_CITY.code}/2025`
const paths: { kind: string; path: string }[] = []
for (const [fx, fy] of [
  [0.5, 0.5],
  [0.25, 0.25],
  [0.75, 0.75],
  [0.25, 0.75],
  [0.75, 0.25],
]) {
  const lon = ext.a + (ext.c - ext.a) * fx,
    lat = ext.b + (ext.d - ext.b) * fy
  for (let z = 12; z <= 16; z++) {
    const [x, y] = tileOf(lon, lat, z)
    for (const ind of INDICATORS) {
      paths.push({ kind: 'tile:communities', path: `${city}/communities/${z}/${x}/${y}.pbf?indicator=${ind}` })
      if (z >= 13) paths.push({ kind: 'tile:buildings', path: `${city}/buildings/${z}/${x}/${y}.pbf?indicator=${ind}` })
      if (z >= 14)
        paths.push({ kind: 'tile:facilities', path: `${city}/facilities/${z}/${x}/${y}.pbf?indicator=${ind}` })
      paths.push({ kind: 'tile:problems', path: `${city}/problems/${z}/${x}/${y}.pbf?indicator=${ind}` })
    }
  }
}
const api = `/api/cities/${BENCH_CITY.code}/years/2025`
for (let k = 0; k < 40; k++) {
  const c = communities[(k * 7919) % communities.length]
  const ind = INDICATORS[k % INDICATORS.length]
  paths.push({ kind: 'api:problems', path: `${api}/problems?indicator=${ind}&limit=50` })
  paths.push({ kind: 'api:summary', path: `${api}/indicators` })
  paths.push({ kind: 'api:unit', path: `${api}/units/${c}` })
  paths.push({ kind: 'api:indicator', path: `${api}/indicators/${ind}?level=community` })
}
// A fixed shuffle, so every run sends the same mix.
for (let i = paths.length - 1, s = 42; i > 0; i--) {
  s = (s * 1103515245 + 12345) % 2 ** 31
  const j = s % (i + 1)
  ;[paths[i], paths[j]] = [paths[j], paths[i]]
}
const mix: Record<string, number> = {}
for (const p of paths) mix[p.kind] = (mix[p.kind] ?? 0) + 1
console.log(
  `${paths.length} distinct requests: ${Object.entries(mix)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ')}`,
)

async function pass(label: string, seconds: number) {
  let next = 0
  const byKind = new Map<string, number[]>()
  const samples: number[] = []
  const sampler = setInterval(() => samples.push(rss()), 1000)
  const record = (kind: string, ms: number) => {
    const list = byKind.get(kind) ?? []
    list.push(ms)
    byKind.set(kind, list)
  }
  // autocannon keeps one context per connection and sends one request at a time on it (no
  // pipelining), so the context can carry the kind and the start time of the request in flight.
  const r = await autocannon({
    url: base,
    connections: Number(a.connections),
    duration: seconds,
    headers: { 'accept-encoding': 'gzip' },
    requests: [
      {
        setupRequest: (req: Record<string, unknown>, ctx: Record<string, unknown>) => {
          const p = paths[next++ % paths.length]
          ctx.kind = p.kind
          ctx.t = performance.now()
          return { ...req, path: p.path }
        },
        onResponse: (_status: number, _body: string, ctx: Record<string, unknown>) =>
          record(String(ctx.kind), performance.now() - Number(ctx.t)),
      },
    ],
  } as never)
  clearInterval(sampler)
  const pct = (xs: number[], q: number) =>
    xs.sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN
  console.log(
    `\n${label}: ${seconds} s, ${a.connections} connections: ${r.requests.total} requests, ${r.requests.average.toFixed(0)} req/s, ` +
      `errors ${r.errors}, timeouts ${r.timeouts}, non-2xx ${r.non2xx}; latency p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, max ${r.latency.max} ms; ` +
      `server RSS ${Math.min(...samples).toFixed(0)}–${Math.max(...samples).toFixed(0)} MB`,
  )
  for (const [kind, xs] of [...byKind].sort())
    console.log(
      `  ${kind.padEnd(18)} n ${String(xs.length).padStart(7)}  p50 ${pct(xs, 0.5).toFixed(1).padStart(7)} ms  p99 ${pct(xs, 0.99).toFixed(1).padStart(7)} ms`,
    )
}

await pass('cold (caches empty)', Number(a.cold))
await pass('warm', Number(a.seconds))
server.kill('SIGTERM')
await scratch.drop()
process.exit(0)
