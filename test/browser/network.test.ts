// The walking model in the 问题地图 (real Chromium): switch 直线/步行, see the legend follow, show the
// homes a straight line reaches but a walk does not, and click a facility for its walking service area.
import fs from 'node:fs'
import proj4 from 'proj4'
import request from 'supertest'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { gaussKrugerEpsg } from '../../server/import/crs.ts'
import { AUTH, useTestApp } from '../helpers/app.ts'
import { CRS, LOAD_ORDER, X0, Y0, fixture } from '../helpers/city-fixture.ts'
import { get, upload } from '../helpers/upload.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader']
const lonLat = (x: number, y: number) =>
  proj4(gaussKrugerEpsg(4548)!.proj!, 'EPSG:4326').forward([X0 + x, Y0 + y]) as [number, number]
type M = {
  queryRenderedFeatures(o: object): { properties: Record<string, unknown> }[]
  project(ll: [number, number]): { x: number; y: number }
  jumpTo(o: object): void
}
const rendered = (page: Page, layer: string) =>
  page.evaluate(
    (l) =>
      (window as unknown as { __citycheck: { map: M } }).__citycheck.map.queryRenderedFeatures({ layers: [l] }).length,
    layer,
  )

describe('walking model in the 问题地图', () => {
  const t = useTestApp()
  let browser: Browser
  let page: Page
  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}`)
    for (const layer of LOAD_ORDER)
      expect((await upload(t.app, 2025, layer, fixture[layer], `${layer}.geojson`, CRS)).status).toBe(201)
    const P = (x: number, y: number) => [X0 + x, Y0 + y]
    const roads = {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          geometry: { type: 'LineString', coordinates: [P(0, 500), P(1000, 500)] },
          properties: { highway: 'residential' },
        },
      ],
    }
    expect((await upload(t.app, 2025, 'roads', Buffer.from(JSON.stringify(roads)), 'roads.geojson', CRS)).status).toBe(
      201,
    )
    const job = await request(t.app.server).post('/api/years/2025/indicators/compute').set(AUTH)
    for (let i = 0; i < 200 && (await get(t.app, job.body.status)).body.state !== 'succeeded'; i++)
      await new Promise((r) => setTimeout(r, 50))
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    const base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    page.on('pageerror', (e) => console.error('page error:', e.message))
    await page.goto(`${base}/map.html?year=2025&indicator=kindergarten_coverage&lang=zh`)
    await page.waitForFunction(() => (window as unknown as { __citycheck?: { ready?: boolean } }).__citycheck?.ready)
  }, 180_000)
  afterAll(async () => {
    await browser?.close()
  })

  it('switching to 步行距离 shows the walking results and the homes only a straight line reaches', async () => {
    await page.selectOption('#model', 'network')
    await page.waitForFunction(() => document.querySelector('#legend')?.textContent?.includes('步行距离'))
    await page.waitForFunction(() => document.querySelector('#legend-city')?.textContent?.trim() === '0%')
    await page.check('#show-walk-only')
    await page.evaluate(
      (ll) => (window as unknown as { __citycheck: { map: M } }).__citycheck.map.jumpTo({ center: ll, zoom: 16 }),
      lonLat(200, 500),
    )
    await page.waitForFunction(
      () =>
        (window as unknown as { __citycheck: { map: M } }).__citycheck.map.queryRenderedFeatures({
          layers: ['walk-only'],
        }).length > 0,
      null,
      { timeout: 20_000 },
    )
    expect(await rendered(page, 'walk-only')).toBeGreaterThan(0)
  })

  it('clicking a facility draws its walking service area', async () => {
    await page.selectOption('#indicator', 'elderly_station_coverage')
    await page.evaluate(
      (ll) => (window as unknown as { __citycheck: { map: M } }).__citycheck.map.jumpTo({ center: ll, zoom: 16 }),
      lonLat(200, 520),
    )
    await page.waitForFunction(
      () =>
        (window as unknown as { __citycheck: { map: M } }).__citycheck.map.queryRenderedFeatures({
          layers: ['facilities'],
        }).length > 0,
      null,
      { timeout: 20_000 },
    )
    const pt = await page.evaluate(
      (ll) => (window as unknown as { __citycheck: { map: M } }).__citycheck.map.project(ll),
      lonLat(200, 520),
    )
    const box = (await page.locator('#map').boundingBox())!
    await page.mouse.click(box.x + pt.x, box.y + pt.y)
    await page.waitForFunction(() => document.querySelector('#card-title')?.textContent?.includes('步行服务范围'))
    await page.waitForFunction(
      () =>
        (window as unknown as { __citycheck: { map: M } }).__citycheck.map.queryRenderedFeatures({
          layers: ['area-segments'],
        }).length > 0,
    )
    expect(await page.locator('#card').textContent()).toMatch(/步行可达住宅: 1/)
  })
})
