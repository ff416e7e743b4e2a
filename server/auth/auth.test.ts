import { describe, expect, it } from 'vitest'
import { AUTH, useTestApp } from '../../test/helpers/app.ts'
import { geojson, polygonF, rect, zip } from '../../test/helpers/fixtures.ts'
import { get, upload } from '../../test/helpers/upload.ts'
import request from 'supertest'
import { createToken, revokeToken } from './tokens.ts'
import { parseTokens } from '../config.ts'

const file = geojson([polygonF(rect(0, 0, 100, 100), { code: 'S1', name: '街道' })])

describe('upload tokens', () => {
  const t = useTestApp({ CITYCHECK_MAX_UPLOAD_MB: String(200 / 1024), CITYCHECK_MAX_UNPACKED_MB: '1' })

  it('parses CITYCHECK_UPLOAD_TOKENS', () => {
    expect([...parseTokens('alice:t1, bob:t2')]).toEqual([
      ['t1', 'alice'],
      ['t2', 'bob'],
    ])
    expect([...parseTokens('bare')]).toEqual([['bare', 'env']])
  })

  it('refuses uploads without a token (401) or with a wrong one (403); reading stays open', async () => {
    const none = await upload(t.app, 2025, 'streets', file, 's.geojson', {}, {})
    expect(none.status).toBe(401)
    expect(none.body.error.code).toBe('CC_AUTH_REQUIRED')
    const wrong = await upload(t.app, 2025, 'streets', file, 's.geojson', {}, { Authorization: 'Bearer nope' })
    expect(wrong.status).toBe(403)
    expect(wrong.body.error.code).toBe('CC_AUTH_INVALID')
    expect((await get(t.app, '/api/years/2025/layers/streets')).status).toBe(200)
  })

  it('accepts a database token, records its name, and refuses it once revoked', async () => {
    const token = await createToken(t.db.knex, '海淀区自然资源局')
    const ok = await upload(t.app, 2025, 'streets', file, 's.geojson', {}, { Authorization: `Bearer ${token}` })
    expect(ok.status).toBe(201)
    const log = (await get(t.app, '/api/uploads?limit=1')).body.uploads[0]
    expect(log.uploader).toBe('海淀区自然资源局')
    await revokeToken(t.db.knex, '海淀区自然资源局')
    expect(
      (await upload(t.app, 2025, 'streets', file, 's.geojson', {}, { Authorization: `Bearer ${token}` })).status,
    ).toBe(403)
  })

  it('refuses a file over the upload limit with 413', async () => {
    const big = Buffer.alloc(300 * 1024, 0x20)
    const res = await upload(t.app, 2025, 'streets', big, 'big.geojson')
    expect(res.status).toBe(413)
    expect(res.body.error.code).toBe('CC_UPLOAD_TOO_LARGE')
    expect(res.body.error.message).toContain('big.geojson')
  })

  it('refuses a zip bomb (small archive, huge content) with 413', async () => {
    // 4 MB of spaces deflates to a few KB: under the upload limit, over the 1 MB unpacked limit.
    const bomb = zip({ 'a.geojson': Buffer.alloc(4 * 1024 * 1024, 0x20) })
    expect(bomb.length).toBeLessThan(200 * 1024)
    const res = await upload(t.app, 2025, 'streets', bomb, 'bomb.zip')
    expect(res.status).toBe(413)
    expect(res.body.error.code).toBe('CC_UNPACKED_TOO_LARGE')
    expect(res.body.error.message).toContain('bomb.zip')
  })
})

describe('browser settings', () => {
  const t = useTestApp({ CITYCHECK_TIANDITU_KEY: 'tk-123' })
  it('exposes the 天地图 key (a browser key) and nothing else', async () => {
    expect((await get(t.app, '/api/config')).body).toEqual({ tianditu: { key: 'tk-123' } })
  })
})

describe('closed reading (CITYCHECK_READ_REQUIRES_TOKEN=1)', () => {
  const t = useTestApp({ CITYCHECK_READ_REQUIRES_TOKEN: '1' })
  const fill = (url: string) =>
    url
      .replace(':city', '990100')
      .replace(':year', '2025')
      .replace(':layer', 'streets')
      .replace(':version', '1')
      .replace(':id', '1')
      .replace(':name', 'x')
      .replace(':indicator', 'kindergarten_coverage')
      .replace(':code', 'kindergarten_coverage')
      .replace(':z/:x/:y', '10/0/0')

  it('every data route, by GET and HEAD, percent-encoded or not, needs a token', async () => {
    // The web pages, their assets and the API docs stay open (they hold no data; the pages ask for a token).
    const open = (u: string) =>
      u === '/api/health' ||
      u === '/api/config' ||
      u === '/api/layers' ||
      u === '/api/facility-types' ||
      u === '/api/formats' ||
      u === '/api/roles' ||
      !/^\/(api|tiles)\//.test(u)
    const reads = t.app.routeList.filter((r) => r.method === 'GET' && !open(r.url))
    expect(reads.length).toBeGreaterThanOrEqual(30)
    for (const r of reads) {
      const url = fill(r.url)
      for (const method of ['get', 'head'] as const) {
        const res = await request(t.app.server)[method](url)
        expect(res.status, `${method} ${url}`).toBe(401)
      }
      // /%61pi/… and /%74iles/… decode to the same route, which still asks for a token (or match nothing).
      const enc = url.replace(/^\/api\//, '/%61pi/').replace(/^\/tiles\//, '/%74iles/')
      expect([401, 404], enc).toContain((await request(t.app.server).get(enc)).status)
    }
  })

  it('data reads and tiles need a token; health does not', async () => {
    expect((await get(t.app, '/api/years')).status).toBe(401)
    expect((await get(t.app, '/tiles/2025/streets/10/0/0.pbf')).status).toBe(401)
    expect((await get(t.app, '/api/years').set('Authorization', 'Bearer test-token-0123456789')).status).toBe(200)
    expect((await get(t.app, '/api/health')).status).toBe(200)
  })
})

describe('expensive analyses are limited per token', () => {
  const t = useTestApp({ CITYCHECK_ANALYSIS_PER_MINUTE: '2' })
  it('the third what-if in a minute gets 429 CC_RATE_LIMITED, in both languages; without a token 401', async () => {
    const body = { facilities: { type: 'FeatureCollection', features: [] } }
    expect((await request(t.app.server).post('/api/years/2025/what-if').send(body)).status).toBe(401)
    const codes = []
    for (let i = 0; i < 3; i++)
      codes.push((await request(t.app.server).post('/api/years/2025/what-if').set(AUTH).send(body)).status)
    expect(codes.slice(0, 2).every((c) => c !== 429)).toBe(true)
    const r = await request(t.app.server).post('/api/years/2025/what-if').set(AUTH).send(body)
    expect([r.status, r.body.error.code]).toEqual([429, 'CC_RATE_LIMITED'])
    expect(r.body.error.message).toMatch(/^请求过于频繁.* \/ Too many requests/)
  })
})
