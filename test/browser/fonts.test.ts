// The fallback font in real Chromium: the pages' Chinese comes from the 2 MB common subset, and the whole
// 8.8 MB font is fetched only for a character outside it (CSS unicode-range picks the face). The family
// is asked for by name, so the test holds on a machine that has a Chinese font of its own too.
import fs from 'node:fs'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useTestApp } from '../helpers/app.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

describe('思源黑体 fallback font', () => {
  const t = useTestApp()
  let browser: Browser
  let base: string
  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}`)
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox'] })
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
  })

  it('draws common characters from the subset and fetches the whole font only for a rarer one', async () => {
    const page = await (await browser.newContext()).newPage()
    const fonts: string[] = []
    page.on('request', (r) => {
      if (r.url().includes('/fonts/') && !r.url().endsWith('.css')) fonts.push(new URL(r.url()).pathname)
    })
    await page.goto(`${base}/index.html?lang=zh`)
    const load = (text: string) =>
      page.evaluate(async (s) => {
        const p = document.createElement('p')
        p.style.fontFamily = '"Source Han Sans CN"'
        p.textContent = s
        document.body.append(p)
        const faces = await document.fonts.load('16px "Source Han Sans CN"', s)
        return { faces: faces.length, ok: document.fonts.check('16px "Source Han Sans CN"', s) }
      }, text)
    // 社区 and 街道 are GB 2312; → and № are in the pages' own words and the symbol blocks.
    expect(await load('社区街道 城市体检 → №')).toEqual({ faces: 1, ok: true })
    expect(fonts.some((f) => /^\/fonts\/subset\/common-[0-9a-f]{12}\.otf$/.test(f))).toBe(true)
    expect(fonts).not.toContain('/fonts/SourceHanSansCN-Regular.otf')
    // 犇 is outside GB 2312 (a GBK character): the whole font is fetched for it.
    expect(await load('犇')).toEqual({ faces: 1, ok: true })
    expect(fonts).toContain('/fonts/SourceHanSansCN-Regular.otf')
    // The subset is small and cached for good; the CSS is revalidated.
    const css = await (await fetch(`${base}/fonts/faces.css`)).text()
    const sub = await fetch(`${base}${fonts.find((f) => f.includes('/subset/'))}`)
    expect(sub.headers.get('cache-control')).toContain('immutable')
    const bytes = (await sub.arrayBuffer()).byteLength
    expect(bytes).toBeGreaterThan(1_000_000)
    expect(bytes).toBeLessThan(3_000_000)
    expect(css.match(/@font-face/g)).toHaveLength(2)
    expect((await fetch(`${base}/fonts/subset/common-000000000000.otf`)).status).toBe(404)
  })
})
