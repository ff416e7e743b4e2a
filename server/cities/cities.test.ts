// Many cities on one platform: isolation, tokens scoped to cities, roles on every write route, the
// audit log, export/restore, and the district (区/县) level on a fixture computed by hand.
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { AUTH, TEST_CITY, useTestApp } from '../../test/helpers/app.ts'
import { CRS, LOAD_ORDER, fixture, sq } from '../../test/helpers/city-fixture.ts'
import { geojson, polygonF, rect } from '../../test/helpers/fixtures.ts'
import { createToken } from '../auth/tokens.ts'
import { ROLES, roleHas, type Right, type Role } from '../auth/roles.ts'

const A = '320100',
  B = '330100'
const streets = (name: string) => geojson([polygonF(rect(0, 0, 1000, 1000), { code: '320102001000', name })])
const post = (t: { app: { server: unknown } }, city: string, layer: string, file: Buffer, headers = AUTH) =>
  request(t.app.server as never)
    .post(`/api/cities/${city}/years/2025/layers/${layer}`)
    .set(headers)
    .attach('file', file, `${layer}.geojson`)

describe('cities', () => {
  const t = useTestApp({}, { city: false })

  it('a fresh platform lists no city; the routes without a city say how to add one', async () => {
    expect((await request(t.app.server).get('/api/cities')).body.cities).toEqual([])
    const r = await request(t.app.server).get('/api/years')
    expect(r.status).toBe(404)
    expect(r.body.error.code).toBe('CC_NO_CITY')
    expect(r.body.error.message).toMatch(/npm run city -- add.*\/.*add one/)
  })

  it('adds cities through the admin API, refusing bad codes and duplicates', async () => {
    expect(
      (await request(t.app.server).post('/api/cities').set(AUTH).send({ code: A, name: '南京市', zone: 4549 })).status,
    ).toBe(201)
    expect((await request(t.app.server).post('/api/cities').set(AUTH).send({ code: B, name: '杭州市' })).status).toBe(
      201,
    )
    const dup = await request(t.app.server).post('/api/cities').set(AUTH).send({ code: A, name: '又一个' })
    expect([dup.status, dup.body.error.code]).toEqual([409, 'CC_CITY_EXISTS'])
    const bad = await request(t.app.server).post('/api/cities').set(AUTH).send({ code: '12345', name: 'x' })
    expect([bad.status, bad.body.error.code]).toEqual([400, 'CC_CITY_INVALID'])
    const html = await request(t.app.server)
      .post('/api/cities')
      .set(AUTH)
      .send({ code: '340100', name: '<script>x</script>' })
    expect([html.status, html.body.error.field]).toEqual([400, 'name'])
    const list = (await request(t.app.server).get('/api/cities')).body.cities
    expect(list.map((c: { code: string }) => c.code)).toEqual([A, B])
    expect(list[0]).toMatchObject({ name: '南京市', zone: 4549, province: '320000', api: `/api/cities/${A}` })
    // With two cities and no default, the routes without a city ask the caller to name one.
    expect((await request(t.app.server).get('/api/years')).body.error.code).toBe('CC_CITY_AMBIGUOUS')
    expect((await request(t.app.server).get('/api/cities/999900/years')).body.error.code).toBe('CC_CITY_UNKNOWN')
  })

  it('two cities with the same 街道 codes stay apart: layers, versions, tiles and uploads', async () => {
    expect((await post(t, A, 'streets', streets('南京的街道'))).status).toBe(201)
    expect((await post(t, B, 'streets', streets('杭州的街道'))).status).toBe(201)
    const a = await request(t.app.server).get(`/api/cities/${A}/years/2025/layers/streets`)
    const b = await request(t.app.server).get(`/api/cities/${B}/years/2025/layers/streets`)
    expect(a.body.features.map((f: { properties: { name: string } }) => f.properties.name)).toEqual(['南京的街道'])
    expect(b.body.features.map((f: { properties: { name: string } }) => f.properties.name)).toEqual(['杭州的街道'])
    expect(a.body.version).not.toBe(b.body.version)
    // A's version cannot be restored into B, though B has a version of the same layer and year.
    const cross = await request(t.app.server)
      .post(`/api/cities/${B}/years/2025/layers/streets/versions/${a.body.version}/restore`)
      .set(AUTH)
    expect([cross.status, cross.body.error.code]).toEqual([404, 'CC_VERSION_NOT_FOUND'])
    expect(
      (await request(t.app.server).get(`/api/cities/${A}/uploads`)).body.uploads.every(
        (u: { file_name: string }) => u.file_name === 'streets.geojson',
      ),
    ).toBe(true)
    expect((await request(t.app.server).get(`/api/cities/${A}/uploads`)).body.uploads).toHaveLength(1)
    const ta = await request(t.app.server).get(`/tiles/${A}/2025/tilejson.json`)
    expect(ta.body.tiles[0]).toContain(`/tiles/${A}/2025/`)
    expect(ta.body.name).toContain('南京市')
  })

  it('a token for one city gets 403 on the other, for writes and (in closed mode) reads', async () => {
    const nj = await createToken(t.db.knex, { name: '南京自然资源局', role: 'uploader', cities: [A] })
    const H = { Authorization: `Bearer ${nj}` }
    expect((await post(t, A, 'streets', streets('南京二版'), H)).status).toBe(201)
    const other = await post(t, B, 'streets', streets('越权'), H)
    expect([other.status, other.body.error.code]).toEqual([403, 'CC_CITY_FORBIDDEN'])
    expect(other.body.error.message).toContain(B)
    // Reading with that token in the other city is refused too; without a token it is open (open mode).
    expect((await request(t.app.server).get(`/api/cities/${B}/years`).set(H)).status).toBe(403)
    expect((await request(t.app.server).get(`/api/cities/${B}/years`)).status).toBe(200)
    // A city-scoped token cannot manage the platform.
    const admin1 = await createToken(t.db.knex, { name: '南京管理员', role: 'admin', cities: [A] })
    const mk = await request(t.app.server)
      .post('/api/cities')
      .set({ Authorization: `Bearer ${admin1}` })
      .send({ code: '340100', name: '合肥市' })
    expect([mk.status, mk.body.error.code]).toEqual([403, 'CC_CITY_FORBIDDEN'])
  })

  it('every write is audited with who, role, city and what', async () => {
    const log = (await request(t.app.server).get(`/api/cities/${A}/audit`).set(AUTH)).body.entries
    const upload = log.find((e: { actor: string; status: number }) => e.actor === '南京自然资源局' && e.status === 201)
    expect(upload).toMatchObject({
      city: A,
      role: 'uploader',
      method: 'POST',
      route: '/api/cities/:city/years/:year/layers/:layer',
      params: { city: A, year: 2025, layer: 'streets' },
    })
    // The refused cross-city upload and restore are in B's log, under the tokens that tried.
    const b = (await request(t.app.server).get(`/api/cities/${B}/audit`).set(AUTH)).body.entries
    expect(b.some((e: { status: number; actor: string }) => e.status === 403 && e.actor === '南京自然资源局')).toBe(
      true,
    )
    expect(
      b.some(
        (e: { status: number; actor: string; route: string }) =>
          e.status === 404 && e.actor === 'tester' && e.route.endsWith('/restore'),
      ),
    ).toBe(true)
  })

  it('exports a city and restores it under a new code, leaving the others untouched', async () => {
    const exp = await request(t.app.server)
      .get(`/api/cities/${A}/export`)
      .set(AUTH)
      .buffer(true)
      .parse((res, cb) => {
        const parts: Buffer[] = []
        res.on('data', (c: Buffer) => parts.push(c))
        res.on('end', () => cb(null, Buffer.concat(parts)))
      })
    expect(exp.status).toBe(200)
    expect(exp.headers['content-type']).toContain('gzip')
    const r = await request(t.app.server)
      .post('/api/cities/restore')
      .set(AUTH)
      .field('as', '320200')
      .attach('file', exp.body as Buffer, 'nj.ndjson.gz')
    expect(r.status, JSON.stringify(r.body)).toBe(201)
    expect(r.body).toMatchObject({ city: '320200', uploads: 2, features: 2, years: [2025] })
    const back = await request(t.app.server).get('/api/cities/320200/years/2025/layers/streets')
    expect(back.body.features.map((f: { properties: { name: string } }) => f.properties.name)).toEqual(['南京二版'])
    expect(
      (await request(t.app.server).get('/api/cities/320200/years/2025/layers/streets/versions')).body.versions,
    ).toHaveLength(2)
    const again = await request(t.app.server)
      .post('/api/cities/restore')
      .set(AUTH)
      .attach('file', exp.body as Buffer, 'nj.ndjson.gz')
    expect([again.status, again.body.error.code]).toEqual([409, 'CC_CITY_EXISTS'])
    const junk = await request(t.app.server)
      .post('/api/cities/restore')
      .set(AUTH)
      .field('as', '320300')
      .attach('file', Buffer.from('not gzip'), 'x.gz')
    expect([junk.status, junk.body.error.code]).toEqual([400, 'CC_ARCHIVE_INVALID'])
    const cut = await request(t.app.server)
      .post('/api/cities/restore')
      .set(AUTH)
      .field('as', '320300')
      .attach('file', (exp.body as Buffer).subarray(0, Math.floor((exp.body as Buffer).length / 2)), 'cut.gz')
    expect([cut.status, cut.body.error.code]).toEqual([400, 'CC_ARCHIVE_INVALID'])
    expect((await request(t.app.server).get('/api/cities/320300')).status).toBe(404) // nothing half-made
  })

  it('drops a city with everything it holds, and only that city', async () => {
    // A run of its own first (streets only: every indicator no-data), so it has result sets to lose.
    const job = await request(t.app.server).post('/api/cities/320200/years/2025/indicators/compute').set(AUTH)
    for (let i = 0; i < 200 && (await request(t.app.server).get(job.body.status)).body.state !== 'succeeded'; i++)
      await new Promise((r) => setTimeout(r, 50))
    const runs = (await t.db.knex('indicator_runs').where({ city: '320200' }).select('id')).map((r) => Number(r.id))
    expect(runs.length).toBeGreaterThan(0)
    const d = await request(t.app.server).delete('/api/cities/320200').set(AUTH)
    expect(d.status).toBe(200)
    expect((await request(t.app.server).get('/api/cities/320200/years')).status).toBe(404)
    const left = await t.db.knex.raw("SELECT count(*)::int n FROM pg_tables WHERE tablename LIKE 'streets_u%'")
    expect(left.rows[0].n).toBe(3) // A's two versions and B's one
    const sets = await t.db.knex.raw('SELECT count(*)::int n FROM indicator_result_sets WHERE run_id = ANY(?)', [runs])
    expect(sets.rows[0].n).toBe(0)
    expect(
      (await request(t.app.server).get(`/api/cities/${A}/years/2025/layers/streets`)).body.features[0].properties.name,
    ).toBe('南京二版')
  })
})

describe('roles on every write route', () => {
  const t = useTestApp({ CITYCHECK_DEFAULT_CITY: TEST_CITY })
  const C2 = '990200'

  it('each role may call exactly the write routes its rights allow', async () => {
    await t.db.knex('cities').insert({ code: C2, name: '第二城' })
    const tokens = {} as Record<Role, string>
    for (const role of ROLES) tokens[role] = await createToken(t.db.knex, { name: `t-${role}`, role })
    // Every route that is not a plain read, as Fastify registered it.
    const writes = t.app.routeList.filter((r) => r.right !== 'read')
    expect(writes.length).toBeGreaterThanOrEqual(15)
    const fill = (url: string) =>
      url
        .replace(':city', C2)
        .replace(':year', '2025')
        .replace(':layer', 'streets')
        .replace(':version', '1')
        .replace(':id', 'x')
        .replace(':name', 'nobody')
        .replace(':indicator', 'kindergarten_coverage')
    let checked = 0
    // Admin last: its DELETE of the city really drops C2.
    for (const role of [...ROLES.filter((r) => r !== 'admin'), 'admin'] as Role[]) {
      for (const r of writes) {
        const url = fill(r.url)
        const req = request(t.app.server)
          [r.method.toLowerCase() as 'post'](url)
          .set({ Authorization: `Bearer ${tokens[role]}` })
        const res = await (['GET', 'DELETE'].includes(r.method) ? req : req.send({}))
        const refused = res.status === 403 && res.body.error?.code === 'CC_FORBIDDEN'
        expect(refused, `${role} ${r.method} ${r.url} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`).toBe(
          !roleHas(role, r.right as Right),
        )
        if (refused) expect(res.body.error.message).toMatch(new RegExp(`角色 ${role}.* / Role ${role}`))
        checked++
      }
    }
    expect(checked).toBe(writes.length * ROLES.length)
    // Without a token every write route answers 401 (C2 again: the admin dropped it).
    await t.db.knex('cities').insert({ code: C2, name: '第二城' }).onConflict('code').ignore()
    await t.db.events.changed(C2, null)
    for (const r of writes)
      expect((await request(t.app.server)[r.method.toLowerCase() as 'post'](fill(r.url))).status, r.url).toBe(401)
  })
})

describe('the district (区/县) level, computed by hand', () => {
  const t = useTestApp()
  // The fixture city with two 街道 instead of one: S1 = C1 (x 0–1000) names its district D1 in the
  // data; S2 = C2 + C3 (x 1000–3000) names none and lies in D2.
  const P = (x0: number, y0: number, x1: number, y1: number, properties: Record<string, unknown>) => ({
    geometry: { type: 'Polygon', coordinates: [sq(x0, y0, x1, y1)] },
    properties,
  })
  const districts = geojson([
    P(0, 0, 1000, 1000, { code: 'D1', name: '甲区', population: 300 }),
    P(1000, 0, 3000, 1000, { code: 'D2', name: '乙区' }),
  ])
  const twoStreets = geojson([
    P(0, 0, 1000, 1000, { code: 'S1', name: '甲街道', parent_code: 'D1' }),
    P(1000, 0, 3000, 1000, { code: 'S2', name: '乙街道' }),
  ])

  it('computes and grades every indicator per district from its 街道', async () => {
    const up = (layer: string, file: Buffer) =>
      request(t.app.server)
        .post(`/api/years/2025/layers/${layer}`)
        .set(AUTH)
        .field('crs', CRS.crs)
        .attach('file', file, `${layer}.geojson`)
    expect((await up('districts', districts)).status).toBe(201)
    expect((await up('streets', twoStreets)).status).toBe(201)
    for (const layer of LOAD_ORDER.filter((l) => l !== 'streets'))
      expect((await up(layer, fixture[layer])).status).toBe(201)
    const s = (await request(t.app.server).get('/api/years/2025/layers/streets')).body.features.map(
      (f: { properties: Record<string, unknown> }) => f.properties,
    )
    expect(s.map((p: Record<string, unknown>) => [p.code, p.parent_code, p.parent_code_source])).toEqual([
      ['S1', 'D1', 'data'],
      ['S2', 'D2', 'spatial'],
    ])

    const job = await request(t.app.server).post('/api/years/2025/indicators/compute').set(AUTH)
    expect(job.status).toBe(202)
    let state = ''
    for (let i = 0; i < 300 && state !== 'succeeded' && state !== 'failed'; i++) {
      state = (await request(t.app.server).get(job.body.status)).body.state
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(state).toBe('succeeded')
    const res = async (code: string) =>
      Object.fromEntries(
        (await request(t.app.server).get(`/api/years/2025/indicators/${code}?level=district`)).body.results.map(
          (r: { code: string }) => [r.code, r],
        ),
      )
    // Kindergarten (300 m, by residential footprint): only B1 (100 m², in C1) is covered.
    // D1 = C1: 100 / 300 m²; D2 = C2 + C3: 0 / 1100 m² (5 homes, 400 residents short).
    const k = await res('kindergarten_coverage')
    expect(k.D1.value).toBeCloseTo((100 * 100) / 300, 3)
    expect(k.D2).toMatchObject({ value: 0, status: 'fail', gapBuildings: 5, gapResidents: 400 })
    // Primary school (500 m from the school's edge): B6 (100 m²) and B9 (400 m²), both in C2 → D2.
    const p = await res('primary_school_coverage')
    expect(p.D1.value).toBe(0)
    expect(p.D2.value).toBeCloseTo((100 * 500) / 1100, 3)
    // Park per resident: D1 declares 300 residents; the park strip inside D1 is 1000 × 50 m.
    const park = await res('park_per_capita')
    expect(park.D1.value).toBeCloseTo(50000 / 300, 0)
    // Graded at the district level: the 问题清单 holds D2's kindergarten shortfall.
    const probs = (
      await request(t.app.server).get('/api/years/2025/problems?level=district&indicator=kindergarten_coverage')
    ).body.problems
    expect(probs.map((x: { unitCode: string; severity: string }) => [x.unitCode, x.severity])).toEqual([
      ['D2', '严重'],
      ['D1', '严重'],
    ]) // the worst first
    // Gaps of a district are the uncovered homes of its 街道.
    const gaps = (await request(t.app.server).get('/api/years/2025/indicators/kindergarten_coverage/gaps?unit=D2')).body
    expect(gaps).toMatchObject({ level: 'district', numberMatched: 5 })
  })
})
