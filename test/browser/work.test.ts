// The 城检办's work page (work.html) in real Chromium: the scorecard in both languages, a
// department entering and submitting a figure, the reviewer returning it with a comment that shows
// as text (not HTML), and a department moving its assigned problem to 申请销号.
import fs from 'node:fs'
import request from 'supertest'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createToken } from '../../server/auth/tokens.ts'
import { useTestApp } from '../helpers/app.ts'
import { CRS, LOAD_ORDER, fixture } from '../helpers/city-fixture.ts'
import { compute, get, upload } from '../helpers/upload.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu']

describe('指标总表与填报整改 page', () => {
  const t = useTestApp()
  let browser: Browser
  let page: Page
  let base: string
  let housing: string
  let reviewer: string
  const errors: string[] = []

  const signInAs = async (token: string) => {
    await page.evaluate((tk) => sessionStorage.setItem('citycheck-token', tk), token)
  }
  const open = async (q: string) => {
    await page.goto(`${base}/work.html?${q}`)
    await page.waitForFunction(() =>
      document.body.dataset.ready?.startsWith(new URLSearchParams(location.search).get('tab') ?? ''),
    )
  }

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}`)
    for (const layer of LOAD_ORDER)
      expect((await upload(t.app, 2025, layer, fixture[layer], `${layer}.geojson`, CRS)).status).toBe(201)
    await compute(t.app, 2025)
    housing = await createToken(t.db.knex, { name: '住建局', role: 'reporter', department: '住房和城乡建设局' })
    reviewer = await createToken(t.db.knex, { name: '城检办', role: 'reviewer' })
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage()
    page.on('pageerror', (e) => errors.push(e.message))
    // The page runs under the service's Content-Security-Policy: a refused script or style is a failure.
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/.test(m.text())) errors.push(m.text())
    })
    page.on('dialog', (d) => d.accept(d.type() === 'prompt' ? '<b>口径不符</b> 请重报' : undefined))
  }, 180_000)
  afterAll(async () => {
    await browser?.close()
  })

  it('shows the scorecard with its warnings, in Chinese and in English, keeping the state in the URL', async () => {
    await open('tab=scorecard&year=2025')
    const row = page.locator('tr[data-code="kindergarten_coverage"]')
    expect(await row.locator('td').nth(3).textContent()).toBe('7.14%')
    expect(await row.locator('.w-红色').textContent()).toBe('红色')
    expect(await page.locator('tr[data-code="green_building_share"] td').nth(5).textContent()).toContain('未填报')
    await page.click('#lang')
    await page.waitForFunction(() => document.documentElement.lang === 'en')
    await page.waitForFunction(() => document.querySelector('#tabs button')?.textContent === 'Scorecard')
    // The table is replaced once its data is back: wait for the English one, not only the English tabs.
    await page.waitForFunction(() => document.body.dataset.ready === 'scorecard:en')
    expect(await page.locator('tr[data-code="kindergarten_coverage"] .w-红色').textContent()).toBe('red')
    expect(page.url()).toContain('lang=en')
    await page.click('#lang')
    expect(errors).toEqual([])
  })

  it('a department enters and submits a figure; the reviewer returns it; the comment shows as text', async () => {
    await page.goto(`${base}/work.html`)
    await signInAs(housing)
    await open(`tab=figures&year=2025&department=${encodeURIComponent('住房和城乡建设局')}`)
    const row = page.locator('tr[data-code="green_building_share"]')
    await row.locator('td').nth(2).locator('input').fill('85')
    await row.locator('td').nth(4).locator('input').fill('住建局年报')
    await row.locator('td').nth(5).locator('input').fill('2025年末')
    await row.locator('button.submit').click()
    await page.waitForFunction(() =>
      document.querySelector('tr[data-code="green_building_share"] .badge')?.classList.contains('submitted'),
    )
    const f = await t.db.knex('figure_values').where({ indicator: 'green_building_share' }).first()
    expect(f).toMatchObject({ value: 85, status: 'submitted', updated_by: '住建局' })
    await signInAs(reviewer)
    await open('tab=review&year=2025')
    await page.locator('tr[data-code="green_building_share"] button.return').click()
    await page.waitForFunction(() => !document.querySelector('#review tr[data-code="green_building_share"]'))
    await signInAs(housing)
    await open(`tab=figures&year=2025&department=${encodeURIComponent('住房和城乡建设局')}`)
    const comment = page.locator('tr[data-code="green_building_share"] .comment')
    expect(await comment.textContent()).toBe('<b>口径不符</b> 请重报')
    expect(await comment.locator('b').count()).toBe(0)
  })

  it('the department moves its assigned problem to 申请销号 with evidence', async () => {
    const id = 'kindergarten_coverage:community:C2'
    await request(t.app.server)
      .patch(`/api/years/2025/problems/${encodeURIComponent(id)}`)
      .set({ Authorization: `Bearer ${reviewer}` })
      .send({ assignee: '住房和城乡建设局', deadline: '2030-01-01' })
      .expect(200)
    await signInAs(housing)
    await open(`tab=rectify&year=2025&assignee=${encodeURIComponent('住房和城乡建设局')}`)
    const row = page.locator(`tr[data-id="${id}"]`)
    await row.locator('button.start').click()
    await page.waitForSelector(`tr[data-id="${id}"] button.ask`)
    await page.locator(`tr[data-id="${id}"] button.ask`).click()
    await page.waitForSelector(`tr[data-id="${id}"] .badge.申请销号`)
    const s = await t.db.knex('problem_status').where({ unit_code: 'C2', indicator: 'kindergarten_coverage' }).first()
    expect(s).toMatchObject({ status: '申请销号', evidence: '<b>口径不符</b> 请重报' })
    expect(errors).toEqual([])
  })
})
