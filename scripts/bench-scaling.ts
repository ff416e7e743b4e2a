// Scaling: the same generated city at several sizes, each in a process of its own (so its peak memory is
// its own): every layer imported through the pipeline, the cold indicator run (model read from the
// database, every indicator at every level, results and 问题清单 stored), the first building tile from a
// fresh server, and the process's peak resident size over all of it.
//   npm run bench:scaling [-- --sizes 100000,300000,1000000,3000000]
import { spawnSync } from 'node:child_process'
import { parseArgs } from 'node:util'
import { BENCH_CITY, benchCity, loadCity, scratchDb } from './bench-common.ts'

const { values: a } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100000,300000,1000000,3000000' },
    one: { type: 'string' },
  },
})

if (a.one) {
  const { buildApp } = await import('../server/app.ts')
  const { loadConfig } = await import('../server/config.ts')
  const { openDatabase } = await import('../server/db/engine.ts')
  const { computeYear, forgetModels } = await import('../server/indicators/service.ts')
  const { openRuntime } = await import('../server/runtime.ts')
  const n = Number(a.one)
  const { dir } = benchCity(n)
  const scratch = await scratchDb(`citycheck_bench_scale_${n}`)
  const config = loadConfig({ ...process.env, DATABASE_URL: scratch.url, CITYCHECK_DEMO: '0', LOG_LEVEL: 'warn' })
  const db = await openDatabase({ databaseUrl: scratch.url, dataDir: '/tmp' })
  let t = Date.now()
  const counts = await loadCity(db, dir)
  const importS = (Date.now() - t) / 1000
  await db.knex.raw('CHECKPOINT') // the import's WAL flushed before the timed run
  t = Date.now()
  const run = await computeYear(db, config, BENCH_CITY, 2025)
  const runS = (Date.now() - t) / 1000
  // Again with the model read afresh, as after a facilities upload: the buildings with their units, the
  // park areas, the walking graph and the homes' join as the first run kept them (db/derived.ts).
  forgetModels()
  t = Date.now()
  await computeYear(db, config, BENCH_CITY, 2025)
  const keptS = (Date.now() - t) / 1000
  // The first building tile at the city's centre, z14, from a server that has cut no tile yet.
  const ext = (
    await db.knex.raw(
      `SELECT (ST_XMin(e) + ST_XMax(e)) / 2 x, (ST_YMin(e) + ST_YMax(e)) / 2 y FROM (SELECT ST_Extent(geom) e FROM streets
       WHERE upload_id = (SELECT upload_id FROM layer_current WHERE layer = 'streets' AND year = 2025)) s`,
    )
  ).rows[0]
  const z = 14
  const r = (ext.y * Math.PI) / 180
  const tx = Math.floor(((ext.x + 180) / 360) * 2 ** z)
  const ty = Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * 2 ** z)
  const rt = await openRuntime(config, { db, workers: 0 })
  const app = await buildApp(rt)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = (app.server.address() as { port: number }).port
  t = performance.now()
  const tile = await fetch(
    `http://127.0.0.1:${port}/tiles/${BENCH_CITY.code}/2025/buildings/${z}/${tx}/${ty}.pbf?indicator=kindergarten_coverage`,
  )
  const bytes = (await tile.arrayBuffer()).byteLength
  const tileMs = performance.now() - t
  await app.close()
  await rt.close()
  await db.close()
  await scratch.drop()
  const peakMb = (process.resourceUsage().maxRSS * 1024) / 2 ** 20
  console.log(
    `SCALING ${JSON.stringify({ buildings: counts.buildings, importS, runS, keptS, results: run.results, tileMs, tileStatus: tile.status, bytes, peakMb })}`,
  )
  process.exit(0)
}

const rows: string[] = []
for (const size of a.sizes.split(',').map(Number)) {
  console.log(`— ${size.toLocaleString()} buildings …`)
  const child = spawnSync(process.execPath, [...process.execArgv, import.meta.filename, '--one', String(size)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  })
  const line = child.stdout.split('\n').find((l) => l.startsWith('SCALING '))
  if (!line) throw new Error(`size ${size} failed (exit ${child.status}):\n${child.stdout}`)
  const m = JSON.parse(line.slice(8))
  rows.push(
    `| ${m.buildings.toLocaleString()} | ${m.importS.toFixed(1)} s | ${m.runS.toFixed(1)} s (${m.results.toLocaleString()} results) | ${m.keptS.toFixed(1)} s | ${m.tileMs.toFixed(0)} ms (${m.tileStatus}, ${(m.bytes / 1024).toFixed(0)} KB) | ${(m.peakMb / 1024).toFixed(2)} GB |`,
  )
}
console.log(
  '\n| buildings | import, every layer | cold indicator run | again, model read with what the first run kept | first building tile (z14, fresh server) | peak memory (process) |',
)
console.log('|---|---|---|---|---|---|')
for (const r of rows) console.log(r)
