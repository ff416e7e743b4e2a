// The viewer in real Chromium on a generated city of ~1 million buildings: the time from opening the
// 问题地图 to the first coloured map (units drawn and the map idle), and from choosing another indicator to
// the map recoloured and idle, after the server is warm (one page load first). Goals (issue 13): first map
// under 2 s, switch under 500 ms. Same machine, same run; each figure is the median of `--runs` tries.
//   npm run bench:viewer [-- --buildings 1000000 --runs 5]
import fs from 'node:fs'
import { parseArgs } from 'node:util'
import { chromium } from 'playwright-core'
import { BENCH_CITY, benchCity, loadCity, scratchDb } from './bench-common.ts'
import { buildApp } from '../server/app.ts'
import { loadConfig } from '../server/config.ts'
import { openDatabase } from '../server/db/engine.ts'
import { computeYear } from '../server/indicators/service.ts'
import { openRuntime } from '../server/runtime.ts'

const { values: a } = parseArgs({
  options: { buildings: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '5' } },
})
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}`)
const { dir } = benchCity(Number(a.buildings))
const scratch = await scratchDb('citycheck_bench_viewer')
const config = loadConfig({ ...process.env, DATABASE_URL: scratch.url, CITYCHECK_DEMO: '0', LOG_LEVEL: 'warn' })
const db = await openDatabase({ databaseUrl: scratch.url, dataDir: '/tmp' })
await loadCity(db, dir)
const run = await computeYear(db, config, BENCH_CITY, 2025)
const rt = await openRuntime(config, { db, workers: 0 })
const app = await buildApp(rt)
await app.listen({ port: 0, host: '127.0.0.1' })
const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
})

type W = {
  __citycheck?: {
    ready?: boolean
    coloured?: string
    map: { loaded(): boolean; queryRenderedFeatures(o: object): unknown[] }
  }
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]

// What the first view asks for, by kind: tiles per layer and the other requests, with their bytes.
const asked = new Map<string, { n: number; bytes: number }>()

async function firstMap(record = false): Promise<number> {
  // A fresh context each time: no browser cache, as a user opening the page.
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } })
  const page = await ctx.newPage()
  if (record)
    page.on('response', async (r) => {
      const u = new URL(r.url())
      const tile = u.pathname.match(/^\/tiles\/(?:\d+\/)?\d+\/([\w-]+)\/(\d+)\//)
      const kind = tile
        ? `tiles ${tile[1]} z${tile[2]}`
        : u.pathname.startsWith('/api/')
          ? 'api'
          : 'page, scripts, fonts'
      const bytes = Number(
        (await r.allHeaders())['content-length'] ?? (await r.body().catch(() => Buffer.alloc(0))).length,
      )
      const e = asked.get(kind) ?? { n: 0, bytes: 0 }
      e.n++
      e.bytes += bytes
      asked.set(kind, e)
    })
  const t0 = Date.now()
  await page.goto(`${base}/map.html?year=2025&indicator=kindergarten_coverage&lang=zh`)
  await page.waitForFunction(
    () => {
      const c = (window as unknown as W).__citycheck
      return (
        !!c?.ready &&
        !!c.coloured?.startsWith('kindergarten_coverage|') &&
        c.map.loaded() &&
        c.map.queryRenderedFeatures({ layers: ['units-fill'] }).length > 0
      )
    },
    null,
    { timeout: 120_000, polling: 20 },
  )
  const ms = Date.now() - t0
  await ctx.close()
  return ms
}

/**
 * The baseline in the same run: bare MapLibre, no app code, drawing the same 社区 tiles from the same
 * server in the same viewport and extent (fitted to the TileJSON's bounds, as the viewer does), one fill
 * colour, from a fresh context. What is left between the two is the viewer's own work: its replies
 * (session, years, definitions, summary), the colours by feature state, outlines and labels.
 */
const tilejson = (await (await fetch(`${base}/tiles/${BENCH_CITY.code}/2025/tilejson.json`)).json()) as {
  bounds: [number, number, number, number]
}
const BARE = `<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="/vendor/maplibre-gl/maplibre-gl.css">
<style>html,body,#map{margin:0;height:100%}</style></head><body><div id="map"></div>
<script type="module">
const { Map } = await import('/vendor/maplibre-gl/maplibre-gl.mjs')
const b = ${JSON.stringify(tilejson.bounds)}
const map = new Map({ container: 'map', bounds: [[b[0], b[1]], [b[2], b[3]]], fitBoundsOptions: { padding: 20 },
  style: { version: 8, sources: { communities: { type: 'vector', maxzoom: 16,
    tiles: [location.origin + '/tiles/${BENCH_CITY.code}/2025/communities/{z}/{x}/{y}.pbf'] } },
    layers: [{ id: 'bg', type: 'background', paint: { 'background-color': '#f4f1ea' } },
      { id: 'units-fill', type: 'fill', source: 'communities', 'source-layer': 'communities',
        paint: { 'fill-color': '#d9534f', 'fill-opacity': 0.55, 'fill-antialias': false } }] } })
window.__bare = map
</script></body></html>`

async function bareMap(): Promise<number> {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } })
  const page = await ctx.newPage()
  await page.route(`${base}/__bare.html`, (r) => r.fulfill({ body: BARE, contentType: 'text/html' }))
  const t0 = Date.now()
  await page.goto(`${base}/__bare.html`)
  await page.waitForFunction(
    () => {
      const m = (window as unknown as { __bare?: { loaded(): boolean; queryRenderedFeatures(o: object): unknown[] } })
        .__bare
      return !!m && m.loaded() && m.queryRenderedFeatures({ layers: ['units-fill'] }).length > 0
    },
    null,
    { timeout: 120_000, polling: 20 },
  )
  const ms = Date.now() - t0
  await ctx.close()
  return ms
}

/**
 * Switches measured inside the page: from the select's change event to the map coloured for the new
 * indicator and idle (MapLibre has issued every draw). Timed in the page, so Playwright's own round trips
 * and actionability checks are not counted; the server replies are those of a warm server (each
 * indicator asked for once before the timed switches).
 */
async function switches(n: number): Promise<number[]> {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } })
  const page = await ctx.newPage()
  await page.goto(`${base}/map.html?year=2025&indicator=kindergarten_coverage&lang=zh`)
  await page.waitForFunction(() => (window as unknown as W).__citycheck?.ready, null, { timeout: 120_000 })
  // A string, not a function: tsx would wrap a named arrow in a helper the page does not have.
  await page.evaluate(`window.__switchTo = (code) => new Promise((done) => {
    const c = window.__citycheck
    const t0 = performance.now()
    const sel = document.querySelector('#indicator')
    sel.value = code
    sel.dispatchEvent(new Event('change'))
    const check = () => {
      if (c.coloured && c.coloured.startsWith(code + '|') && c.map.loaded()) done(performance.now() - t0)
      else c.map.once('idle', check)
    }
    c.map.once('idle', check)
  })`)
  const codes = ['nursery_coverage', 'elderly_station_coverage', 'park_service_coverage', 'primary_school_coverage']
  for (const code of codes) await page.evaluate(`window.__switchTo('${code}')`)
  const out: number[] = []
  for (let i = 0; i < n; i++)
    out.push(Math.round((await page.evaluate(`window.__switchTo('${codes[i % codes.length]}')`)) as number))
  await ctx.close()
  return out
}

const runs = Number(a.runs)
await firstMap() // warm the server: indexes and caches, as after the first user of the day
await firstMap(true) // and once more, counting what a first view asks for
await bareMap()
// The viewer and the bare map in alternation, so both see the same machine.
const first: number[] = [],
  bare: number[] = []
for (let i = 0; i < runs; i++) {
  first.push(await firstMap())
  bare.push(await bareMap())
}
const sw = await switches(runs * 4)
console.log(`viewer on ${run.buildings.toLocaleString()} buildings, Chromium (swiftshader), warm server`)
console.log(`  first coloured map: median ${median(first)} ms (runs ${first.join(', ')}) · goal 2000 ms`)
console.log(
  `  bare MapLibre, same 社区 tiles and view (baseline): median ${median(bare)} ms (runs ${bare.join(', ')}) · viewer ${(median(first) / median(bare)).toFixed(2)}× it`,
)
console.log(`  indicator switch:   median ${median(sw)} ms (runs ${sw.join(', ')}) · goal 500 ms (timed in the page)`)
console.log('  a first view asks for (bytes as sent, gzip where the server compresses):')
for (const [kind, e] of [...asked].sort((p, q) => q[1].bytes - p[1].bytes))
  console.log(`    ${kind}: ${e.n} requests, ${(e.bytes / 1024).toFixed(0)} KB`)
await browser.close()
await app.close()
await rt.close()
await db.close()
await scratch.drop()
