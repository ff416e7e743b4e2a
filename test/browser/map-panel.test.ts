// The 问题地图 as a planner uses it all day (issue 13), in real Chromium at 1366×768: one header row in both
// languages; the 问题清单 follows the level shown, with statuses and CSV/XLSX export; the language switch keeps
// indicator and view and the URL carries them; search suggests units with their 街道, says when nothing or
// several match; sites of another indicator are cleared, new ones listed by their 社区 and zoomed to.
import fs from 'node:fs'
import path from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TOKEN, useTestApp } from '../helpers/app.ts'
import { CRS, LOAD_ORDER, fixture } from '../helpers/city-fixture.ts'
import { compute, get, serveFixtureCity, upload } from '../helpers/upload.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader']
const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts')
const ready = (page: Page) =>
  page.waitForFunction(
    () => (window as unknown as { __citycheck?: { ready?: boolean } }).__citycheck?.ready === true,
    null,
    {
      timeout: 60_000,
    },
  )

describe('问题地图 panel, search and siting', () => {
  const t = useTestApp()
  let browser: Browser
  let page: Page
  let base: string
  const errors: string[] = []

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}`)
    // Two 社区 of one name (C1 and C3 are both 一社区), as real cities have.
    const communities = JSON.parse(fixture.communities.toString())
    for (const f of communities.features) if (f.properties.code === 'C3') f.properties.name = '一社区'
    const layers: Record<string, Buffer> = { ...fixture, communities: Buffer.from(JSON.stringify(communities)) }
    base = await serveFixtureCity(t.app, layers)
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
    page = await (await browser.newContext({ viewport: { width: 1366, height: 768 } })).newPage()
    page.on('pageerror', (e) => errors.push(e.message))
    fs.mkdirSync(ARTIFACTS, { recursive: true })
  }, 180_000)
  afterAll(async () => {
    await browser?.close()
  })

  it('keeps the header to one row at 1366×768, in Chinese and in English', async () => {
    for (const lang of ['zh', 'en']) {
      await page.goto(`${base}/map.html?year=2025&indicator=kindergarten_coverage&lang=${lang}`)
      await ready(page)
      await page.screenshot({ path: path.join(ARTIFACTS, `map-1366x768-${lang}.png`) })
      expect((await page.locator('header').boundingBox())!.height, lang).toBeLessThan(50)
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1366)
      expect(await page.locator('#indicator').getAttribute('aria-label')).toBe(lang === 'zh' ? '指标' : 'Indicator')
    }
  })

  it('names 街道 and 社区 on the map, outlines the chosen unit, and says when homes are hidden by zoom', async () => {
    await page.goto(`${base}/map.html?year=2025&indicator=kindergarten_coverage&lang=zh`)
    await ready(page)
    const zoom = () =>
      page.evaluate(() =>
        (window as unknown as { __citycheck: { map: { getZoom(): number } } }).__citycheck.map.getZoom(),
      )
    const setZoom = (z: number) =>
      page.evaluate(
        (zz) =>
          (window as unknown as { __citycheck: { map: { setZoom(z: number): void } } }).__citycheck.map.setZoom(zz),
        z,
      )
    await setZoom(12)
    await page.waitForFunction(() => !document.querySelector('#zoom-hint')?.hasAttribute('hidden'))
    expect(await page.locator('#zoom-hint').textContent()).toContain('13')
    expect(await page.locator('.unit-label.street').first().textContent()).toBe('甲街道')
    expect(await page.locator('.unit-label:not(.street)').count()).toBe(0) // 社区 names wait for zoom 13
    await setZoom(14)
    await page.waitForFunction(() => document.querySelectorAll('.unit-label:not(.street)').length > 0)
    expect(await page.locator('#zoom-hint').isHidden()).toBe(true)
    expect(await zoom()).toBeCloseTo(14, 0)
    await page.fill('#search', 'C2')
    await page.press('#search', 'Enter')
    await page.waitForFunction(() => document.querySelector('#card-title')?.textContent?.includes('二社区'))
    const filter = await page.evaluate(() =>
      (window as unknown as { __citycheck: { map: { getFilter(id: string): unknown } } }).__citycheck.map.getFilter(
        'units-highlight',
      ),
    )
    expect(filter).toEqual(['==', ['get', 'code'], 'C2'])
  })

  it('colours by value in classes with ranges, units and counts, and lists every visible layer', async () => {
    await page.goto(`${base}/map.html?year=2025&indicator=kindergarten_coverage&lang=zh&colour=value`)
    await ready(page)
    await page.waitForSelector('#legend .class-row')
    const rows = await page.locator('#legend .class-row').allTextContents()
    // C1 33.33 %, C2 0 %, C3 no data (no residents): two classes with one 社区 each, and no data (1).
    expect(rows.at(-1)).toBe('无数据 (1)')
    const counted = rows.slice(0, -1).map((r) => Number(/\((\d+)\)$/.exec(r)![1]))
    expect(counted.reduce((a, b) => a + b, 0)).toBe(2)
    expect(rows.slice(0, -1).every((r) => /%.*–.*%/.test(r))).toBe(true)
    const layers = await page
      .locator('#legend .layer-legend [data-layer]')
      .evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.layer))
    expect(layers).toEqual(['gaps', 'facilities', 'green'])
    await page.uncheck('#show-green')
    await page.waitForFunction(() => !document.querySelector('#legend [data-layer="green"]'))
    await page.check('#show-green')
    // By distance to the target: the 70 % / 90 % / 100 % bands of the grading.
    await page.selectOption('#mode', 'target')
    await page.waitForFunction(() => document.querySelector('#legend .class-row')?.textContent?.startsWith('0%'))
    const bands = await page.locator('#legend .class-row').allTextContents()
    expect(bands[0]).toMatch(/^0% – 70% \(2\)$/) // C2 at 0 % and C1 at 33.3 %: both over 30 % short
    expect(page.url()).toContain('colour=target')
  })

  it('the 问题清单 follows the level shown, with statuses and exports of that list', async () => {
    await page.goto(`${base}/map.html?year=2025&indicator=kindergarten_coverage&lang=zh`)
    await ready(page)
    await page.waitForSelector('#problem-list li')
    const levels = await page
      .locator('#problem-list li')
      .evaluateAll((li) => li.map((x) => (x as HTMLElement).dataset.level))
    expect(new Set(levels)).toEqual(new Set(['community']))
    expect(await page.locator('#problem-list li .status').first().textContent()).toBe('待整改')
    await page.selectOption('#level', 'streets')
    await page.waitForFunction(
      () => document.querySelector('#problem-list li')?.getAttribute('data-level') === 'street',
    )
    const href = await page.locator('#problem-xlsx').getAttribute('href')
    expect(href).toContain('level=street')
    expect(href).toContain('format=xlsx')
    const x = await get(t.app, href!)
    expect(x.status).toBe(200)
    expect(page.url()).toContain('level=streets')
    await page.selectOption('#level', 'communities')
  })

  it('an indicator without a service radius and back again is redrawn in place, not rebuilt', async () => {
    type M = { getLayer(id: string): unknown }
    const coloured = (code: string) =>
      page.waitForFunction(
        (c) => (window as unknown as { __citycheck: { coloured?: string } }).__citycheck.coloured?.startsWith(`${c}|`),
        code,
      )
    await page.selectOption('#indicator', 'kindergarten_coverage')
    await coloured('kindergarten_coverage')
    const layers = () =>
      page.evaluate(() => {
        const w = window as unknown as { __citycheck: { map: M }; __fill?: unknown }
        const m = w.__citycheck.map
        w.__fill ??= m.getLayer('units-fill')
        return { radius: !!m.getLayer('radius'), same: m.getLayer('units-fill') === w.__fill }
      })
    expect(await layers()).toEqual({ radius: true, same: true })
    await page.selectOption('#indicator', 'park_service_coverage')
    await coloured('park_service_coverage')
    expect(await layers()).toEqual({ radius: false, same: true })
    await page.selectOption('#indicator', 'kindergarten_coverage')
    await coloured('kindergarten_coverage')
    expect(await layers()).toEqual({ radius: true, same: true })
  })

  it('the language switch keeps the indicator and the view; the URL carries them', async () => {
    await page.selectOption('#indicator', 'park_service_coverage')
    await page.waitForFunction(() => location.search.includes('indicator=park_service_coverage'))
    const before = await page.evaluate(() =>
      (window as unknown as { __citycheck: { map: { getZoom(): number } } }).__citycheck.map.getZoom(),
    )
    await page.evaluate(() =>
      (window as unknown as { __citycheck: { map: { setZoom(z: number): void } } }).__citycheck.map.setZoom(15.5),
    )
    await page.click('#lang')
    await page.waitForFunction(() => location.search.includes('lang=en'))
    await page.waitForFunction(() => document.querySelector('#legend')?.textContent?.includes('Target'))
    expect(await page.locator('#indicator').inputValue()).toBe('park_service_coverage')
    const after = await page.evaluate(() =>
      (window as unknown as { __citycheck: { map: { getZoom(): number } } }).__citycheck.map.getZoom(),
    )
    expect(after).toBeCloseTo(15.5, 1)
    expect(before).not.toBeCloseTo(15.5, 1)
    // The 问题清单 is rebuilt once the map has redrawn.
    await page.waitForFunction(() => document.querySelector('#problem-list li .status')?.textContent === 'to fix')
    // The legend's source line in English as well (GB 55014's park target), no Chinese left in it.
    const sourceLine = await page.locator('#legend > small').last().textContent()
    expect(sourceLine).toContain('GB 55014-2021')
    expect(sourceLine).not.toMatch(/[\u4e00-\u9fff]/)
    // The 整治建议 in English too (the unit's own name stays as the data has it).
    expect(await page.locator('#problem-list li').first().textContent()).toMatch(
      /park service coverage [\d.]+% \(target 80%\)/,
    )
    await page.click('#lang')
    await page.waitForFunction(() => location.search.includes('lang=zh'))
  })

  it('search suggests units with their 街道, says 未找到 and asks to choose between same-named 社区', async () => {
    // The suggestions are built once the map is idle after the units load.
    await page.waitForFunction(() => document.querySelectorAll('#unit-list option').length > 0)
    const labels = await page
      .locator('#unit-list option')
      .evaluateAll((o) => o.map((x) => (x as HTMLOptionElement).label))
    expect(labels.filter((l) => l === '一社区 · 甲街道')).toHaveLength(2)
    await page.fill('#search', '不存在的社区')
    await page.press('#search', 'Enter')
    await page.waitForFunction(() => document.querySelector('#search-msg')?.textContent === '未找到')
    await page.fill('#search', '一社区')
    await page.press('#search', 'Enter')
    await page.waitForFunction(() => document.querySelector('#search-msg')?.textContent?.includes('同名'))
    await page.fill('#search', 'C3')
    await page.press('#search', 'Enter')
    await page.waitForFunction(() => document.querySelector('#card-title')?.textContent?.includes('一社区'))
    expect(await page.locator('#search-msg').textContent()).toBe('')
  })

  it('siting lists sites by their 社区 and zooms to them; another indicator clears them', async () => {
    await page.evaluate((tk) => sessionStorage.setItem('citycheck-token', tk), TOKEN)
    await page.selectOption('#indicator', 'kindergarten_coverage')
    await page.fill('#site-count', '2')
    await page.click('#site-run')
    await page.waitForSelector('#site-list li')
    expect(await page.locator('#site-list li').first().textContent()).toMatch(/甲街道 · .社区/)
    // Within one 街道: the request names it, and the sites lie inside it.
    const bodies: string[] = []
    page.on('request', (r) => {
      if (r.url().includes('/siting')) bodies.push(r.postData() ?? '')
    })
    await page.selectOption('#site-street', 'S1')
    await page.click('#site-run')
    await page.waitForFunction(() => document.querySelectorAll('#site-list li').length === 2)
    expect(JSON.parse(bodies.at(-1)!).grid.streets).toEqual(['S1'])
    await page.selectOption('#indicator', 'nursery_coverage')
    await page.waitForFunction(() => !document.querySelector('#site-list'))
    const layer = await page.evaluate(
      () =>
        !!(window as unknown as { __citycheck: { map: { getLayer(id: string): unknown } } }).__citycheck.map.getLayer(
          'sites',
        ),
    )
    expect(layer).toBe(false)
    expect(await page.locator('#site-csv').isHidden()).toBe(true)
    expect(errors).toEqual([])
  })
})

describe('print layout and the 整改 loop from the 问题清单', () => {
  const t = useTestApp()
  let browser: Browser
  let page: Page
  let base: string
  beforeAll(async () => {
    for (const layer of LOAD_ORDER)
      expect((await upload(t.app, 2025, layer, fixture[layer], `${layer}.geojson`, CRS)).status).toBe(201)
    await compute(t.app, 2025)
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
    page = await (await browser.newContext({ viewport: { width: 1366, height: 768 } })).newPage()
  }, 180_000)
  afterAll(async () => {
    await browser?.close()
  })

  it('the map page links to an A4/A3 landscape print of the same figure; one sheet, the figure filling it', async () => {
    await page.goto(`${base}/map.html?year=2025&indicator=kindergarten_coverage&lang=zh`)
    await ready(page)
    const href = await page.locator('#to-print').getAttribute('href')
    expect(href).toMatch(/indicator=kindergarten_coverage/)
    await page.goto(base + href!)
    await page.waitForFunction(() => document.body.dataset.ready === 'A4')
    // A4 landscape less 10 mm margins at 150 dpi: 1636 × 1122 px.
    const size = await page.evaluate(() => {
      const img = document.getElementById('figure') as HTMLImageElement
      return [img.naturalWidth, img.naturalHeight]
    })
    expect(size).toEqual([1636, 1122])
    expect(await page.locator('#page-size').textContent()).toContain('A4 landscape')
    await page.emulateMedia({ media: 'print' })
    expect(await page.locator('.toolbar').isHidden()).toBe(true)
    const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: true })
    const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length
    expect(pages).toBe(1)
    fs.writeFileSync(path.join(ARTIFACTS, 'print-A4.pdf'), pdf)
    await page.emulateMedia({ media: 'screen' })
    await page.selectOption('#size', 'A3')
    await page.waitForFunction(() => document.body.dataset.ready === 'A3')
    expect(page.url()).toContain('size=A3')
  })

  it('the 问题清单 takes a problem through the 整改 loop: start, request closure with evidence, close', async () => {
    await page.emulateMedia({ media: 'screen' })
    await page.goto(`${base}/map.html?year=2025&indicator=kindergarten_coverage&lang=zh`)
    await ready(page)
    await page.evaluate((tk) => sessionStorage.setItem('citycheck-token', tk), TOKEN)
    const first = page.locator('#problem-list li').first()
    await first.waitFor()
    const unit = await first.getAttribute('data-unit')
    const row = page.locator(`#problem-list li[data-unit="${unit}"]`)
    await row.locator('button.step', { hasText: '开始整改' }).click()
    await page.waitForFunction(
      (u) => document.querySelector(`#problem-list li[data-unit="${u}"] .status`)?.textContent === '整改中',
      unit,
    )
    page.once('dialog', (d) => d.accept('新建幼儿园已开园，见照片 3 张'))
    await row.locator('button.step', { hasText: '申请销号' }).click()
    await page.waitForFunction(
      (u) => document.querySelector(`#problem-list li[data-unit="${u}"] .status`)?.textContent === '申请销号',
      unit,
    )
    await row.locator('button.step', { hasText: '销号' }).click()
    await page.waitForFunction(
      (u) => document.querySelector(`#problem-list li[data-unit="${u}"] .status`)?.textContent === '已销号',
      unit,
    )
    // The server kept every step, with the evidence, as the work page's 整改 tab would have.
    const list = await get(t.app, `/api/years/2025/problems?indicator=kindergarten_coverage&level=community&limit=300`)
    const p = list.body.problems.find((x: { unitCode: string }) => x.unitCode === unit)
    expect(p.status).toBe('已销号')
    expect(p.evidence).toBe('新建幼儿园已开园，见照片 3 张')
  })
})
