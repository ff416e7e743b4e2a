import request from 'supertest'
import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { AUTH, TEST_CITY, useTestApp } from '../../test/helpers/app.ts'
import { CRS, LOAD_ORDER, fixture } from '../../test/helpers/city-fixture.ts'
import { get, upload } from '../../test/helpers/upload.ts'
import { indicatorMapSvg, textPath } from './render.ts'

const png = (r: request.Test) =>
  r.buffer(true).parse((res, cb) => {
    const c: Buffer[] = []
    res.on('data', (d: Buffer) => c.push(d))
    res.on('end', () => cb(null, Buffer.concat(c)))
  })

async function pixels(buf: Buffer, region?: { left: number; top: number; width: number; height: number }) {
  const img = region ? sharp(buf).extract(region) : sharp(buf)
  const { data, info } = await img.removeAlpha().raw().toBuffer({ resolveWithObject: true })
  let red = 0,
    dark = 0,
    green = 0
  for (let i = 0; i < data.length; i += 3) {
    const [r, g, b] = [data[i], data[i + 1], data[i + 2]]
    if (r > g + 60 && r > b + 60) red++
    if (g > r + 40 && g > b + 20) green++
    if (r < 90 && g < 90 && b < 90) dark++
  }
  return { red, dark, green, total: info.width * info.height }
}

describe('map figures for the report', () => {
  const t = useTestApp()
  beforeAll(async () => {
    for (const layer of LOAD_ORDER)
      expect((await upload(t.app, 2025, layer, fixture[layer], `${layer}.geojson`, CRS)).status).toBe(201)
    const job = await request(t.app.server).post('/api/years/2025/indicators/compute').set(AUTH)
    for (let i = 0; i < 200 && (await get(t.app, job.body.status)).body.state !== 'succeeded'; i++)
      await new Promise((r) => setTimeout(r, 50))
  })

  it('renders Chinese text as glyph outlines from the bundled font (no system font needed)', () => {
    const p = textPath('幼儿园', 0, 20, 20)
    expect(p).toMatch(/^<path d="M[\d.]+/)
    expect(p.length).toBeGreaterThan(300) // three CJK glyphs, not empty boxes
  })

  it('draws units coloured by status, title, legend, scale bar and source at the asked size', async () => {
    const r = await png(
      request(t.app.server).get('/api/years/2025/maps/tall_new_residential.png?width=1200&height=900'),
    )
    expect(r.status).toBe(200)
    expect(r.headers['content-type']).toBe('image/png')
    const meta = await sharp(r.body as Buffer).metadata()
    expect([meta.width, meta.height]).toEqual([1200, 900])
    const all = await pixels(r.body as Buffer)
    expect(all.red).toBeGreaterThan(1000) // C2 misses (a new 90 m tower)
    expect(all.green).toBeGreaterThan(1000) // C1 and C3 meet the target
    const title = await pixels(r.body as Buffer, { left: 0, top: 0, width: 1200, height: 70 })
    expect(title.dark).toBeGreaterThan(500) // the title's glyphs
  })

  it('names the 街道 of a one-街道 figure, labels units where they fit, and wraps the source line', async () => {
    const words = (svg: string) => [...svg.matchAll(/aria-label="([^"]*)"/g)].map((m) => m[1])
    const one = words(
      await indicatorMapSvg(t.db.knex, TEST_CITY, 2025, 'kindergarten_coverage', {
        level: 'community',
        unit: 'S1',
        width: 1600,
        height: 1200,
        lang: 'zh',
      }),
    )
    expect(one[0]).toBe('2025 年 甲街道 幼儿园服务半径覆盖率')
    for (const name of ['一社区', '二社区', '三社区']) expect(one).toContain(name)
    // A narrow figure: the source takes two lines instead of being cut at the first.
    const narrow = words(
      await indicatorMapSvg(t.db.knex, TEST_CITY, 2025, 'kindergarten_coverage', {
        level: 'community',
        width: 500,
        height: 400,
        lang: 'zh',
      }),
    )
    const source = narrow.filter((w, i) => i > 0 && (w.startsWith('数据来源') || narrow[i - 1].startsWith('数据来源')))
    expect(source).toHaveLength(2)
    expect(source[0].endsWith('…')).toBe(false)
    expect(narrow).toContain('二社区') // 1 km 社区 still have room for their names at 500 px
  })

  it('one 街道 only, by street level, in English; unknown indicator is 404', async () => {
    const r = await png(
      request(t.app.server).get(
        '/api/years/2025/maps/kindergarten_coverage.png?level=street&lang=en&width=800&height=600',
      ),
    )
    expect(r.status).toBe(200)
    expect((await pixels(r.body as Buffer)).red).toBeGreaterThan(1000)
    const u = await png(request(t.app.server).get('/api/years/2025/maps/kindergarten_coverage.png?unit=S1'))
    expect(u.status).toBe(200)
    expect((await request(t.app.server).get('/api/years/2025/maps/nope.png')).body.error.code).toBe('CC_NOT_FOUND')
  })
})
