// The inspector's field page (collect.html) in real Chromium at a phone's viewport: find a building
// by code, by GPS and by tapping the map, tick a finding, attach a photo, sign in when asked, save.
import fs from 'node:fs'
import proj4 from 'proj4'
import request from 'supertest'
import sharp from 'sharp'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { gaussKrugerEpsg } from '../../server/import/crs.ts'
import { AUTH, TOKEN, useTestApp } from '../helpers/app.ts'
import { CRS, LOAD_ORDER, X0, Y0, fixture } from '../helpers/city-fixture.ts'
import { get, upload } from '../helpers/upload.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader']
const lonLat = (x: number, y: number) =>
  proj4(gaussKrugerEpsg(4548)!.proj!, 'EPSG:4326').forward([X0 + x, Y0 + y]) as [number, number]

describe('入户采集 field page on a phone', () => {
  const t = useTestApp()
  let browser: Browser
  let ctx: BrowserContext
  let page: Page
  let base: string

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}`)
    for (const layer of LOAD_ORDER)
      expect((await upload(t.app, 2025, layer, fixture[layer], `${layer}.geojson`, CRS)).status).toBe(201)
    const job = await request(t.app.server).post('/api/years/2025/indicators/compute').set(AUTH)
    for (let i = 0; i < 200 && (await get(t.app, job.body.status)).body.state !== 'succeeded'; i++)
      await new Promise((r) => setTimeout(r, 50))
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
    const [lon, lat] = lonLat(1500, 500) // B5
    ctx = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      geolocation: { longitude: lon, latitude: lat, accuracy: 5 },
      permissions: ['geolocation'],
    })
    page = await ctx.newPage()
    page.on('pageerror', (e) => console.error('page error:', e.message))
    await page.goto(`${base}/collect.html?year=2025&lang=zh`)
    await page.waitForFunction(() => (window as unknown as { __citycheck?: { ready?: boolean } }).__citycheck?.ready)
  }, 180_000)
  afterAll(async () => {
    await browser?.close()
  })

  it('fits a phone: nothing wider than the screen, controls large enough to tap', async () => {
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
    const h = (await page.locator('#by-code').boundingBox())!.height
    expect(h).toBeGreaterThanOrEqual(44)
    expect(await page.locator('header h1').textContent()).toBe('城市体检 · 入户采集')
  })

  it('finds a building by code, records a finding with a photo after signing in', async () => {
    await page.fill('#code', 'B1')
    await page.click('#by-code')
    await page.waitForSelector('#record:not([hidden])')
    expect(await page.locator('#unit-title').textContent()).toContain('B1')
    await page.check('input[value="housing_gas_hazard.riser_corroded"]')
    await page.fill('#note', '<img src=x onerror=alert(1)> 立管锈蚀')
    const png = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#888' } })
      .png()
      .toBuffer()
    await page.setInputFiles('#photos', { name: 'riser.png', mimeType: 'image/png', buffer: png })
    await page.click('#save')
    // Writing needs a token: the page asks, keeps it for the session and retries.
    await page.waitForSelector('dialog.signin[open]')
    await page.fill('dialog.signin input', TOKEN)
    await page.click('dialog.signin button[value=ok]')
    await page.waitForSelector('#status.ok')
    const rec = await t.db.knex('inspections').where({ unit_code: 'B1', source: 'field' }).first()
    expect(rec).toMatchObject({
      findings: ['housing_gas_hazard.riser_corroded'],
      inspector: 'tester',
      target: 'building',
    })
    const photos = await t.db.knex('inspection_photos').where({ inspection_id: rec.id })
    expect(photos).toHaveLength(1)
    // The note comes back as text in the history, never as markup.
    await page.waitForSelector('#history li')
    expect(await page.locator('#history img').count()).toBe(0)
    expect(await page.locator('#history').textContent()).toContain('<img src=x onerror=alert(1)>')
  })

  it('a second save of the same building is a new record', async () => {
    await page.check('input[value="housing_corridor_hazard.clutter"]')
    await page.click('#save')
    await page.waitForFunction(() => document.querySelectorAll('#history li').length === 2)
    const [{ n }] = await t.db.knex('inspections').where({ unit_code: 'B1' }).count<{ n: string }[]>('* as n')
    expect(Number(n)).toBe(2)
  })

  it('finds the building under the phone’s position', async () => {
    await page.click('#by-gps')
    await page.waitForFunction(() => document.querySelector('#unit-title')?.textContent?.includes('B5'))
  })

  it('finds the building tapped on the map', async () => {
    await page.locator('#map').scrollIntoViewIfNeeded()
    const pt = await page.evaluate(
      (ll) => {
        type M = { jumpTo(o: object): void; project(ll: [number, number]): { x: number; y: number } }
        const m = (window as unknown as { __citycheck: { map: M } }).__citycheck.map
        m.jumpTo({ center: ll, zoom: 16 })
        return m.project(ll as [number, number])
      },
      lonLat(500, 500),
    )
    const box = (await page.locator('#map').boundingBox())!
    await page.mouse.click(box.x + pt.x, box.y + pt.y)
    await page.waitForFunction(() => document.querySelector('#unit-title')?.textContent?.includes('B2'))
  })

  it('the 问题地图 shows the recorded building as a problem point and opens its file', async () => {
    const job = await request(t.app.server).post('/api/years/2025/indicators/compute').set(AUTH)
    for (let i = 0; i < 200 && (await get(t.app, job.body.status)).body.state !== 'succeeded'; i++)
      await new Promise((r) => setTimeout(r, 50))
    const desk = await ctx.browser()!.newPage({ viewport: { width: 1280, height: 800 } })
    await desk.goto(`${base}/map.html?year=2025&indicator=housing_gas_hazard&lang=zh`)
    await desk.waitForFunction(() => (window as unknown as { __citycheck?: { ready?: boolean } }).__citycheck?.ready)
    type M = {
      queryRenderedFeatures(o: object): { properties: { code: string } }[]
      once(e: string, f: () => void): void
    }
    await desk.waitForFunction(
      () => {
        const m = (window as unknown as { __citycheck: { map: M } }).__citycheck.map
        return m.queryRenderedFeatures({ layers: ['ledger'] }).length > 0
      },
      null,
      { timeout: 30_000 },
    )
    const codes = await desk.evaluate(() =>
      (window as unknown as { __citycheck: { map: M } }).__citycheck.map
        .queryRenderedFeatures({ layers: ['ledger'] })
        .map((f) => f.properties.code),
    )
    expect(codes).toContain('B1')
    await desk.locator('#problem-list li[data-level=building]', { hasText: 'B1' }).first().click()
    await desk.waitForFunction(() => document.querySelector('#card-title')?.textContent?.includes('B1'))
    expect(await desk.locator('#card .records li').count()).toBe(2)
    await desk.waitForFunction(() =>
      (document.querySelector('#card .photos img') as HTMLImageElement | null)?.src?.startsWith('blob:'),
    )
    await desk.close()
  })

  it('switches to English entirely', async () => {
    await page.click('#lang')
    await page.waitForFunction(() => document.querySelector('header h1')?.textContent?.includes('Field inspection'))
    expect(await page.locator('#items legend').first().textContent()).toMatch(/^[A-Za-z]/)
    expect(await page.locator('#save').textContent()).toBe('Save record')
  })
})
