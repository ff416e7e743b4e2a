// The 问题地图 with reading closed (CITYCHECK_READ_REQUIRES_TOKEN=1), in real Chromium: the page's
// first replies are asked for together, are all refused, and one sign-in dialog serves them all; then
// the map draws, its tiles going through the route with the token (never the cached-tile fast path).
import fs from 'node:fs'
import request from 'supertest'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TOKEN, useTestApp } from '../helpers/app.ts'
import { serveFixtureCity } from '../helpers/upload.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader']

describe('问题地图 with reading closed', () => {
  const t = useTestApp({ CITYCHECK_READ_REQUIRES_TOKEN: '1' })
  let browser: Browser
  let base: string

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}`)
    base = await serveFixtureCity(t.app)
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
  }, 180_000)
  afterAll(async () => {
    await browser?.close()
  })

  it('asks for the token once, then draws the map with tiles fetched under it', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 } })
    const page = await ctx.newPage()
    const tiles: { url: string; status: number; auth: boolean }[] = []
    page.on('response', async (r) => {
      if (r.url().includes('/tiles/') && r.url().includes('.pbf'))
        tiles.push({ url: r.url(), status: r.status(), auth: !!(await r.request().allHeaders()).authorization })
    })
    await page.goto(`${base}/map.html?year=2025&indicator=kindergarten_coverage&lang=zh`)
    await page.waitForSelector('dialog.signin[open]')
    // Give every refused first reply time to ask: they must all wait on the same dialog.
    await page.waitForTimeout(500)
    expect(await page.locator('dialog.signin').count()).toBe(1)
    await page.fill('dialog.signin input', TOKEN)
    await page.click('dialog.signin button[value=ok]')
    await page.waitForFunction(
      () => {
        const c = (
          window as unknown as {
            __citycheck?: { ready?: boolean; coloured?: string; map: { loaded(): boolean } }
          }
        ).__citycheck
        return !!c?.ready && !!c.coloured?.startsWith('kindergarten_coverage|') && c.map.loaded()
      },
      null,
      { timeout: 60_000 },
    )
    expect(await page.locator('dialog.signin').count()).toBe(0)
    expect(await page.locator('#indicator option').count()).toBeGreaterThan(10)
    expect(tiles.length).toBeGreaterThan(0)
    expect(tiles.every((x) => x.auth && (x.status === 200 || x.status === 204))).toBe(true)
    // The same tile without the token is refused, though it is in the byte cache now.
    const u = new URL(tiles.find((x) => x.status === 200)!.url)
    const again = await request(t.app.server)
      .get(u.pathname + u.search)
      .set('accept-encoding', 'gzip')
    expect(again.status).toBe(401)
    await ctx.close()
  })
})
