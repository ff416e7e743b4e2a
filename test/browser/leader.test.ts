// The leader page in real Chromium, at a meeting-room wall's size and a laptop's: headline tiles with
// their warnings and the change from the year before, the map figure for the chosen indicator, the
// 问题清单 by dimension, the worst units with their 街道; the language switch keeps year and indicator.
// Screenshots go to test-artifacts/ (not committed). Also: the data page opens on the latest year with data.
import fs from 'node:fs'
import path from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useTestApp } from '../helpers/app.ts'
import { CRS, LOAD_ORDER, X0, Y0, fixture } from '../helpers/city-fixture.ts'
import { compute, get, upload } from '../helpers/upload.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu']
const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts')

describe('领导驾驶舱 (leader page)', () => {
  const t = useTestApp()
  let browser: Browser
  let page: Page
  let base: string
  const errors: string[] = []

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}`)
    // 2024: kindergarten K1 in C3's empty corner (reaching no one); 2025: the fixture as drawn.
    const before = JSON.parse(fixture.facilities.toString())
    for (const f of before.features) if (f.properties.name === 'K1') f.geometry.coordinates = [X0 + 2950, Y0 + 60]
    for (const year of [2024, 2025]) {
      for (const layer of LOAD_ORDER) {
        const file = year === 2024 && layer === 'facilities' ? Buffer.from(JSON.stringify(before)) : fixture[layer]
        expect((await upload(t.app, year, layer, file, `${layer}.geojson`, CRS)).status).toBe(201)
      }
      await compute(t.app, year)
    }
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
    page = await (await browser.newContext({ viewport: { width: 1920, height: 1080 } })).newPage()
    page.on('pageerror', (e) => errors.push(e.message))
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/.test(m.text())) errors.push(m.text())
    })
    fs.mkdirSync(ARTIFACTS, { recursive: true })
  }, 180_000)
  afterAll(async () => {
    await browser?.close()
  })

  it('opens on the latest year: tiles with warnings and last year’s change, the map, dimensions, worst units', async () => {
    await page.goto(`${base}/leader.html?lang=zh`)
    await page.waitForFunction(() => document.body.dataset.ready === '2025:zh')
    expect(await page.locator('#year').inputValue()).toBe('2025')
    const k = page.locator('.tile[data-code="kindergarten_coverage"]')
    expect(await k.getAttribute('class')).toContain('w-红色')
    expect(await k.locator('.v').textContent()).toBe('7.1%')
    expect(await k.locator('.up').textContent()).toBe('▲ 7.1%') // 0 % in 2024
    // Not everything is red: 人均公园绿地 166.7 m²/人 meets its 8 m²/人.
    expect(await page.locator('.tile[data-code="park_per_capita"]').getAttribute('class')).toContain('w-正常')
    await page.waitForFunction(() => (document.getElementById('map') as HTMLImageElement).naturalWidth === 1400)
    const rows = page.locator('#dims tbody tr')
    expect(await rows.count()).toBe(4)
    const all = Number(await page.locator('#dims tr[data-dimension="小区(社区)"] td').nth(4).textContent())
    expect(all).toBeGreaterThan(0)
    // Worst units by code, with their 街道.
    expect(await page.locator('#worst li').first().textContent()).toMatch(/^甲街道 · .社区 C\d \d+ 项严重问题$/)
    await page.screenshot({ path: path.join(ARTIFACTS, 'leader-1920x1080-zh.png') })
  })

  it('a tile draws its map; English keeps year and indicator (in the URL too) and translates every label', async () => {
    await page.locator('.tile[data-code="park_service_coverage"]').click()
    await page.waitForFunction(() => document.body.dataset.map === 'park_service_coverage')
    expect(page.url()).toContain('indicator=park_service_coverage')
    await page.click('#lang')
    await page.waitForFunction(() => document.body.dataset.ready === '2025:en')
    expect(await page.locator('#h-dims').textContent()).toBe('Problems by dimension')
    expect(await page.locator('.tile.on').getAttribute('data-code')).toBe('park_service_coverage')
    expect(page.url()).toContain('lang=en')
    const text = await page.locator('main').innerText()
    // No Chinese left in the English page except the units' own names.
    const leftover = text.replace(/[甲乙一二三]?(街道|社区)/g, '').match(/[\u4e00-\u9fff]+/g)
    expect(
      leftover,
      text
        .split('\n')
        .filter((l) => /[\u4e00-\u9fff]/.test(l))
        .join(' | '),
    ).toBeNull()
    await page.screenshot({ path: path.join(ARTIFACTS, 'leader-1920x1080-en.png') })
    await page.click('#lang')
  })

  it('fits a 1366×768 laptop and a 1920×1080 wall: no sideways scrolling, the header on one line', async () => {
    for (const [w, h] of [
      [1366, 768],
      [1920, 1080],
    ]) {
      await page.setViewportSize({ width: w, height: h })
      await page.goto(`${base}/leader.html?year=2024&lang=zh`)
      await page.waitForFunction(() => document.body.dataset.ready === '2024:zh')
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(w)
      expect((await page.locator('header').boundingBox())!.height).toBeLessThan(80)
      await page.screenshot({ path: path.join(ARTIFACTS, `leader-${w}x${h}.png`) })
    }
    expect(errors).toEqual([])
  })

  it('the data page opens on the latest year with data, not the calendar year', async () => {
    await page.goto(`${base}/index.html`)
    await page.waitForSelector('#layers tbody tr')
    expect(await page.locator('#year').inputValue()).toBe('2025')
    // The facility-type mapping its own errors point to, and the layer name of a multi-layer file.
    expect(await page.locator('#upload [name=types]').count()).toBe(1)
    expect(await page.locator('#upload [name=gpkgLayer]').count()).toBe(1)
    // Versions are numbered per layer, with headers.
    await page.click('button[data-history="streets"]')
    await page.waitForSelector('#versions tbody tr')
    expect(await page.locator('#versions thead th').count()).toBe(6)
    expect(await page.locator('#versions tbody tr td').first().textContent()).toMatch(/^v1 #\d+$/)
  })
})
