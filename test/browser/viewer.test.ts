// The 问题地图 in real Chromium (Debian's, driven by playwright-core): open the viewer, choose an
// indicator, check from pixels that units are coloured, click a unit and read its card.
import fs from 'node:fs'
import request from 'supertest'
import sharp from 'sharp'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AUTH, TOKEN, useTestApp } from '../helpers/app.ts'
import proj4 from 'proj4'
import { CRS, LOAD_ORDER, X0, Y0, fixture } from '../helpers/city-fixture.ts'
import { gaussKrugerEpsg } from '../../server/import/crs.ts'
import { get, upload } from '../helpers/upload.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
]

/** Counts pixels of the map canvas that are clearly red (a failing unit) and clearly green (a passing one). */
async function colours(page: Page) {
  const png = await page.locator('#map').screenshot()
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true })
  let red = 0,
    green = 0
  for (let i = 0; i < data.length; i += info.channels) {
    const [r, g, b] = [data[i], data[i + 1], data[i + 2]]
    // Fills are drawn at 55% over a light background: judge by hue, not by saturation.
    if (r > g + 50 && r > b + 50) red++
    if (g > r + 30 && g > b + 20) green++
  }
  return { red, green, total: info.width * info.height }
}

const idle = (page: Page) =>
  page.evaluate(
    // The units' colours arrive as feature state after their results: wait for them, then for the map to settle.
    async () => {
      await (window as unknown as { __citycheck: { colouring?: Promise<unknown> } }).__citycheck.colouring
      return new Promise<void>((resolve) => {
        const m = (
          window as unknown as {
            __citycheck: {
              map: {
                loaded(): boolean
                areTilesLoaded(): boolean
                once(e: string, f: () => void): void
                triggerRepaint(): void
              }
            }
          }
        ).__citycheck.map
        m.once('idle', () => resolve())
        m.triggerRepaint()
      })
    },
  )

describe('问题地图 viewer in Chromium', () => {
  const t = useTestApp()
  let browser: Browser
  let page: Page
  let base: string
  const csp: string[] = []

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM))
      throw new Error(
        `Chromium not found at ${CHROMIUM}: install it (apt-get install chromium; .ci/run does) or set CHROMIUM_PATH`,
      )
    for (const layer of LOAD_ORDER)
      expect((await upload(t.app, 2025, layer, fixture[layer], `${layer}.geojson`, CRS)).status).toBe(201)
    const job = await request(t.app.server).post('/api/years/2025/indicators/compute').set(AUTH)
    for (let i = 0; i < 200 && (await get(t.app, job.body.status)).body.state !== 'succeeded'; i++)
      await new Promise((r) => setTimeout(r, 50))
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    const addr = t.app.server.address() as { port: number }
    base = `http://127.0.0.1:${addr.port}`
    // playwright gives every launch a fresh, empty profile of its own.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    page.on('pageerror', (e) => console.error('page error:', e.message))
    page.on('console', (m) => {
      if (/Content.Security.Policy|Refused to/i.test(m.text())) csp.push(m.text())
    })
  }, 180_000)
  afterAll(async () => {
    await browser?.close()
  })

  it('opens in Chinese with units coloured by the chosen indicator', async () => {
    await page.goto(`${base}/map.html?year=2025&indicator=kindergarten_coverage&lang=zh`)
    await page.waitForFunction(
      () => (window as unknown as { __citycheck?: { ready?: boolean } }).__citycheck?.ready === true,
      null,
      { timeout: 60_000 },
    )
    await idle(page)
    expect(await page.locator('header h1 .long').textContent()).toBe('城市体检 · 问题地图')
    const c = await colours(page)
    expect(c.red / c.total).toBeGreaterThan(0.05) // every 社区 misses the kindergarten target
    expect(await page.locator('#legend').textContent()).toContain('目标')
    expect(await page.locator('#problem-list li').count()).toBeGreaterThan(0)
  })

  it('choosing another indicator recolours the units (C1 passes, C2 fails)', async () => {
    await page.selectOption('#indicator', 'tall_new_residential')
    await idle(page)
    const c = await colours(page)
    expect(c.green / c.total).toBeGreaterThan(0.02)
    expect(c.red / c.total).toBeGreaterThan(0.02)
  })

  it('clicking a unit opens its card with indicators, targets and statuses', async () => {
    const c2 = proj4(gaussKrugerEpsg(4548)!.proj!, 'EPSG:4326').forward([X0 + 1500, Y0 + 300]) // inside 二社区 (C2)
    const pt = await page.evaluate((ll) => {
      const w = window as unknown as {
        __citycheck: { map: { project(ll: [number, number]): { x: number; y: number } } }
      }
      return w.__citycheck.map.project(ll as [number, number])
    }, c2)
    const box = (await page.locator('#map').boundingBox())!
    await page.mouse.click(box.x + pt.x, box.y + pt.y)
    await page.waitForSelector('#card-title')
    expect(await page.locator('#card-title').textContent()).toContain('二社区')
    const card = await page.locator('#card').textContent()
    expect(card).toContain('幼儿园服务半径覆盖率')
    expect(card).toContain('未达标')
  })

  it('a problem row flies to its unit; English on the switch', async () => {
    await page.selectOption('#indicator', 'kindergarten_coverage')
    await page.waitForSelector('#problem-list[data-for="kindergarten_coverage|community"]')
    // The map settled first: a click while the list is redrawn (a late reply, under a loaded CI machine)
    // can land on the map beneath it and open the card of the 社区 there (seen once: 二社区's).
    await idle(page)
    await page.waitForSelector('#problem-list[data-for="kindergarten_coverage|community"]')
    // A 社区 row (a building row under 一社区 would open the building's card instead). Clicked again if
    // the card does not follow: under a loaded CI machine a click has still landed on the map beside
    // the list (the card stayed 二社区's: seen in a clean-clone CI run in session 14, after the wait for
    // the idle map above); the row's own handler is what is tested.
    const row = page.locator('#problem-list li[data-level="community"]', { hasText: '一社区' }).first()
    const opened = () =>
      page.waitForFunction(() => document.querySelector('#card-title')?.textContent?.includes('一社区'), null, {
        timeout: 5_000,
      })
    let tries = 0
    for (;;) {
      await row.click()
      try {
        await opened()
        break
      } catch (e) {
        if (++tries < 3) continue
        // What the page showed instead, for the log of a failure.
        const seen = await page.evaluate(() => ({
          card: document.querySelector('#card')?.textContent?.slice(0, 200),
          list: document.querySelector('#problem-list')?.textContent?.slice(0, 300),
        }))
        throw new Error(`${(e as Error).message}; the page showed ${JSON.stringify(seen)}`)
      }
    }
    await page.click('#lang')
    await page.waitForFunction(
      () => document.querySelector('header h1 .long')?.textContent === 'Urban health check · Problem map',
    )
    await page.waitForFunction(() => document.querySelector('#legend')?.textContent?.includes('Target'))
    expect(await page.locator('#indicator option:checked').textContent()).toBe('Kindergarten coverage (300 m)')
  })

  it('siting: three new kindergartens drawn on the map with the residents they reach (after signing in)', async () => {
    await page.selectOption('#indicator', 'kindergarten_coverage')
    await page.fill('#site-count', '3')
    await page.click('#site-run')
    // Siting needs a token: the page asks for one, keeps it for the session and retries.
    await page.waitForSelector('dialog.signin[open]')
    await page.fill('dialog.signin input', TOKEN)
    await page.click('dialog.signin button[value=ok]')
    await page.waitForSelector('#site-list li')
    expect(await page.evaluate(() => sessionStorage.getItem('citycheck-token'))).toBe(TOKEN)
    expect(await page.locator('#site-list li').count()).toBe(3)
    await idle(page)
    const drawn = await page.evaluate(
      () =>
        (
          window as unknown as { __citycheck: { map: { queryRenderedFeatures(o: object): unknown[] } } }
        ).__citycheck.map.queryRenderedFeatures({ layers: ['sites'] }).length,
    )
    expect(drawn).toBe(3)
    expect(await page.locator('#site-result').textContent()).toMatch(/\d/)
  })

  it('the leader page shows the headline indicators', async () => {
    await page.goto(`${base}/leader.html?year=2025`)
    await page.waitForSelector('.tile')
    expect(await page.locator('.tile').count()).toBeGreaterThanOrEqual(5)
  })

  it('every page and the API docs run under the Content-Security-Policy, and nothing was refused', async () => {
    const r = await get(t.app, '/map.html')
    expect(r.headers['content-security-policy']).toContain("script-src 'self'")
    expect(r.headers['x-content-type-options']).toBe('nosniff')
    expect(r.headers['content-security-policy']).toContain("frame-ancestors 'none'")
    await page.goto(`${base}/`)
    await page.waitForSelector('#layers tbody tr')
    await page.goto(`${base}/docs`)
    await page.waitForSelector('.swagger-ui .opblock', { timeout: 20_000 })
    expect(csp).toEqual([])
  })
})
