// Screenshots of the pages for the README, from a running server (the quick start's demo city):
//   npm start & npm run screenshots [-- --base http://127.0.0.1:8080]
import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { chromium } from 'playwright-core'

const { values: a } = parseArgs({
  options: {
    base: { type: 'string', default: 'http://127.0.0.1:8080' },
    out: { type: 'string', default: 'docs/screenshots' },
  },
})
fs.mkdirSync(a.out!, { recursive: true })
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
})
const page = await (await browser.newContext({ viewport: { width: 1366, height: 768 } })).newPage()
const shots: [string, string, () => Promise<unknown>][] = [
  ['leader', '/leader.html?lang=zh', () => page.waitForFunction(() => document.body.dataset.map)],
  ['work-scorecard', '/work.html?tab=scorecard&lang=zh', () => page.waitForFunction(() => document.body.dataset.ready)],
  ['work-review', '/work.html?tab=review&lang=zh', () => page.waitForFunction(() => document.body.dataset.ready)],
  ['map', '/map.html?lang=zh', () => page.waitForTimeout(4000)],
]
for (const [name, url, ready] of shots) {
  await page.goto(a.base + url)
  await ready()
  await page.screenshot({ path: path.join(a.out!, `${name}.png`) })
  console.log(`${name}.png`)
}
await browser.close()
