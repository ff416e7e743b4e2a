// Every indicator family on the hand-drawn city of test/helpers/city-fixture.ts. Each expected
// value is written as the arithmetic that produces it, from the drawing:
//   residential footprints: B1–B6 100 m² each, B7 400 m², B9 400 m² → 1400 m² (B8 is a shop)
//   residents: C1 = B1 100 + B2 50 + B3 500/36.5 (estimated) = 163.6986…
//              C2 = 400 declared = B4 100 + B7 20 + B9 0 (given) + 280 shared by floor area: B5 600 m² → 210, B6 200 m² → 70
import request from 'supertest'
import ExcelJS from 'exceljs'
import { beforeAll, describe, expect, it } from 'vitest'
import { AUTH, TEST_CITY, useTestApp } from '../../test/helpers/app.ts'
import { loadCityModel } from './model.ts'
import { settingsFor } from './service.ts'
import { CRS, LOAD_ORDER, X0, Y0, fixture } from '../../test/helpers/city-fixture.ts'
import { geojson } from '../../test/helpers/fixtures.ts'
import { get, upload } from '../../test/helpers/upload.ts'
import proj4 from 'proj4'
import { gaussKrugerEpsg } from '../import/crs.ts'

const B3 = 500 / 36.5
const C1_RES = 100 + 50 + B3
const CITY_RES = C1_RES + 400
const pct = (n: number, d: number) => (100 * n) / d

type Result = {
  level: string
  code: string
  value: number | null
  numerator: number
  denominator: number
  status: string
  [k: string]: unknown
}

describe('indicators on a hand-computed city', () => {
  const t = useTestApp()
  const results = async (code: string, variant?: string): Promise<Record<string, Result>> => {
    const r = await get(t.app, `/api/years/2025/indicators/${code}${variant ? `?variant=${variant}` : ''}`)
    expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(200)
    return Object.fromEntries(r.body.results.map((x: Result) => [x.code, x]))
  }
  const compute = async (year: number) => {
    const res = await request(t.app.server).post(`/api/years/${year}/indicators/compute`).set(AUTH)
    expect(res.status).toBe(202)
    for (let i = 0; i < 200; i++) {
      const j = await get(t.app, res.body.status)
      if (j.body.state === 'succeeded') return j.body
      if (j.body.state === 'failed') throw new Error(JSON.stringify(j.body.error))
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error('job did not finish')
  }

  beforeAll(async () => {
    for (const layer of LOAD_ORDER) {
      const r = await upload(t.app, 2025, layer, fixture[layer], `${layer}.geojson`, CRS)
      expect(r.status, `${layer}: ${JSON.stringify(r.body).slice(0, 300)}`).toBe(201)
    }
    const job = await compute(2025)
    expect(job.result).toMatchObject({ buildings: 9, indicators: expect.any(Number) })
  })

  it('serves the registry with source, formula, denominator, radius and distance model for every indicator', async () => {
    const r = await get(t.app, '/api/indicators')
    expect(r.body.indicators.length).toBeGreaterThanOrEqual(25)
    for (const d of r.body.indicators) {
      for (const k of [
        'code',
        'zh',
        'en',
        'dimension',
        'unit',
        'formula',
        'numerator',
        'denominator',
        'distanceModel',
        'source',
      ])
        expect(d[k], `${d.code}.${k}`).toBeTruthy()
    }
    const k = r.body.indicators.find((d: { code: string }) => d.code === 'kindergarten_coverage')
    expect(k).toMatchObject({
      params: { radius: 300, facilityTypes: ['kindergarten'] },
      type: '底线',
      target: { value: 100 },
    })
  })

  it('kindergarten coverage: by footprint area, by residents, by 小区; a facility exactly at 300 m covers', async () => {
    const a = await results('kindergarten_coverage')
    expect(a.city.value).toBeCloseTo(pct(100, 1400), 2) // only B1, exactly 300 m from K1
    expect(a.C1.value).toBeCloseTo(pct(100, 300), 2)
    expect(a.C2).toMatchObject({ value: 0, status: 'fail', gapResidents: 400, gapBuildings: 5 }) // a unit with no facilities at all
    expect(a.C3).toMatchObject({ value: null, status: 'no-data' }) // a 社区 with no residents
    const r = await results('kindergarten_coverage', 'residents')
    expect(r.city.value).toBeCloseTo(pct(100, CITY_RES), 3)
    expect(r.C1.value).toBeCloseTo(pct(100, C1_RES), 3)
    const x = await results('kindergarten_coverage', 'areas')
    expect(x.city).toMatchObject({ value: 0, numerator: 0, denominator: 2 })
  })

  it('a facility 5 cm beyond the radius does not cover', async () => {
    expect((await results('nursery_coverage')).city.value).toBe(0)
  })

  it('a polygon facility is reached at its edge (B9 exactly 500 m from the school’s edge)', async () => {
    const a = await results('primary_school_coverage')
    expect(a.city.value).toBeCloseTo(pct(100 + 400, 1400), 2) // B6 (360.6 m) and B9 (500.0 m)
    expect(a.C2.value).toBeCloseTo(pct(500, 1100), 2)
    const r = await results('primary_school_coverage', 'residents')
    expect(r.city.value).toBeCloseTo(pct(70, CITY_RES), 3)
  })

  it('a park is reached at its edge, not its centroid (500米见园, 300米见绿)', async () => {
    const p = await results('park_500m')
    // Buildings at y=500 are 400 m from the park's edge but up to 906 m from its centroid (1000, 925).
    expect(p.city.value).toBeCloseTo(pct(1000, 1400), 2) // all but B9 (600 m)
    expect((await results('park_500m', 'areas')).city.value).toBe(100)
    expect((await results('green_300m')).city.value).toBeCloseTo(pct(400, 1400), 2) // only B7 (195 m)
  })

  it('a building across two 社区 counts once, where its point-on-surface lies (B7 in C2)', async () => {
    const a = await results('kindergarten_coverage')
    expect(a.C1.denominator).toBeCloseTo(300, 0)
    expect(a.C2.denominator).toBeCloseTo(1100, 0)
  })

  it('population allocation: data, shared from the 社区 by floor area, estimated from floor area', async () => {
    const gaps = await get(t.app, '/api/years/2025/indicators/kindergarten_coverage/gaps?unit=C2')
    expect(gaps.body.numberMatched).toBe(5)
    expect(gaps.body.uncoveredResidents).toBe(400)
    const byCode = Object.fromEntries(
      gaps.body.features.map((f: { properties: { code: string; residents: number; residents_source: string } }) => [
        f.properties.code,
        f.properties,
      ]),
    )
    expect(byCode.B5).toMatchObject({ residents: 210, residents_source: 'community' })
    expect(byCode.B6).toMatchObject({ residents: 70, residents_source: 'community' })
    expect(byCode.B4).toMatchObject({ residents: 100, residents_source: 'data' })
    expect(gaps.body.features[0].properties.code).toBe('B5') // most residents first
    expect(gaps.body.features[0].geometry.type).toBe('MultiPolygon')
    const c1 = await get(t.app, '/api/years/2025/indicators/kindergarten_coverage/gaps?unit=C1')
    const b3 = c1.body.features.find((f: { properties: { code: string } }) => f.properties.code === 'B3')
    expect(b3.properties).toMatchObject({ residents: Math.round(B3 * 10) / 10, residents_source: 'estimate' })
    expect((await get(t.app, '/api/years/2025/indicators/kindergarten_coverage/gaps?unit=NOPE')).status).toBe(404)
  })

  it('life circles: a building attains a tier only with every facility of the tier', async () => {
    const l = await results('life_circle_5')
    expect(l.city.value).toBeCloseTo(pct(100, CITY_RES), 3) // only B1
    expect(l.C2.missing).toEqual(['幼儿园', '社区服务站', '老年服务站', '健身场地', '文化活动站'])
  })

  it('完整居住社区: items inside the 社区 or within 300 m of it', async () => {
    const c = await results('complete_community')
    expect(c.C1.value).toBeCloseTo(pct(6, 9), 3)
    expect(c.C1.missing).toEqual(['社区卫生服务站', '综合超市', '邮件快件寄递点'])
    expect(c.C2.value).toBeCloseTo(pct(1, 9), 3) // only the park
    expect(c.C3.value).toBeCloseTo(pct(4, 9), 3) // the park touches C3; health, shop and express in its corner
    expect(c.S1.value).toBeCloseTo((pct(6, 9) + pct(1, 9) + pct(4, 9)) / 3, 3)
  })

  it('人均公园绿地面积: park area inside the unit ÷ declared population (else building residents)', async () => {
    const p = await results('park_per_capita')
    expect(p.C1.value).toBeCloseTo(50000 / C1_RES, 1)
    expect(p.C2.value).toBeCloseTo(50000 / 400, 1)
    expect(p.S1.value).toBeCloseTo(100000 / 600, 1)
    expect(p.city.value).toBeCloseTo(100000 / 600, 1)
  })

  it('职住平衡: jobs ÷ (population × 0.5), per unit and within 5 km', async () => {
    const j = await results('jobs_housing_ratio')
    expect(j.city.value).toBeCloseTo(150 / (600 * 0.5), 6)
    expect(j.C2.value).toBeCloseTo(100 / (400 * 0.5), 6)
    expect(j.C1.value).toBe(0)
    expect(j.C3.value).toBeNull()
    const r = await results('jobs_housing_5km')
    expect(r.C1.value).toBeCloseTo(150 / (CITY_RES * 0.5), 6)
  })

  it('commuting OD: share under 5 km and mean distance', async () => {
    const s = await results('commute_within_5km')
    expect(s.city.value).toBeCloseTo(pct(30, 60), 6)
    expect(s.C1.value).toBeCloseTo(pct(10, 40), 6)
    const d = await results('mean_commute_distance')
    expect(d.city.value).toBeCloseTo((10 * 3 + 30 * 8 + 20 * 4) / 60, 4)
  })

  it('building stock: pre-2000 residential floor area share; new towers over 80 m', async () => {
    const s = await results('pre2000_residential_share')
    // pre-2000: B1 600 + B3 500 + B5 600; of known age: + B2 600 + B4 600 + B6 200 + B9 400 × 30 floors (90 m ÷ 3)
    expect(s.city.value).toBeCloseTo(pct(1700, 3100 + 12000), 2)
    expect(s.city.status).toBe('info')
    const tall = await results('tall_new_residential')
    expect(tall.city).toMatchObject({ value: 1, status: 'fail' })
    expect(tall.C1).toMatchObject({ value: 0, status: 'pass' })
  })

  it('the 问题清单: failing units graded, 底线 first, with a suggestion and a link to the gaps', async () => {
    const r = await get(t.app, '/api/years/2025/problems?indicator=kindergarten_coverage')
    const c2 = r.body.problems.find((p: { unitCode: string }) => p.unitCode === 'C2')
    expect(c2).toMatchObject({
      severity: '严重',
      type: '底线',
      value: 0,
      target: 100,
      status: '待整改',
      links: { gaps: '/api/cities/990100/years/2025/indicators/kindergarten_coverage/gaps?unit=C2' },
    })
    expect(c2.suggestion).toContain('二社区')
    expect(c2.suggestion).toContain('400 名居民')
    expect(r.body.problems.some((p: { unitCode: string }) => p.unitCode === 'C3')).toBe(false) // no residents, no problem
    const all = (await get(t.app, '/api/years/2025/problems')).body.problems
    const firstGuidance = all.findIndex((p: { type: string }) => p.type === '导向')
    expect(all.slice(0, firstGuidance).every((p: { type: string }) => p.type === '底线')).toBe(true)
    expect(all.slice(firstGuidance).some((p: { type: string }) => p.type === '底线')).toBe(false)
    const filtered = (await get(t.app, '/api/years/2025/problems?level=community&severity=严重&dimension=小区(社区)'))
      .body.problems
    expect(filtered.length).toBeGreaterThan(0)
    expect(
      filtered.every(
        (p: { level: string; severity: string; dimension: string }) =>
          p.level === 'community' && p.severity === '严重' && p.dimension === '小区(社区)',
      ),
    ).toBe(true)
  })

  it('problem status can be updated and survives a recomputation', async () => {
    const p = (await get(t.app, '/api/years/2025/problems?indicator=kindergarten_coverage&unit=C2')).body.problems[0]
    const bad = await request(t.app.server)
      .patch(`/api/years/2025/problems/${encodeURIComponent(p.id)}`)
      .set(AUTH)
      .send({ status: '完成' })
    expect(bad.body.error.code).toBe('CC_OPTION_INVALID')
    expect(
      (
        await request(t.app.server)
          .patch(`/api/years/2025/problems/${encodeURIComponent(p.id)}`)
          .send({ status: '整改中' })
      ).status,
    ).toBe(401)
    const ok = await request(t.app.server)
      .patch(`/api/years/2025/problems/${encodeURIComponent(p.id)}`)
      .set(AUTH)
      .send({ status: '整改中', note: '已选址' })
    expect(ok.body).toMatchObject({ status: '整改中', note: '已选址', statusBy: 'tester' })
    await compute(2025)
    const again = (await get(t.app, '/api/years/2025/problems?indicator=kindergarten_coverage&unit=C2')).body
      .problems[0]
    expect(again).toMatchObject({ id: p.id, status: '整改中', note: '已选址' })
  })

  it('replies kept serialised: 304 on a matching ETag, gzip when asked, a status change seen at once', async () => {
    const url = '/api/years/2025/indicators/kindergarten_coverage?level=community'
    const a = await get(t.app, url)
    expect(a.headers.etag).toBeTruthy()
    expect((await request(t.app.server).get(url).set('if-none-match', a.headers.etag)).status).toBe(304)
    const gz = await request(t.app.server).get(url).set('accept-encoding', 'gzip')
    expect(gz.headers['content-encoding']).toBe('gzip')
    expect(gz.body).toEqual(a.body)
    expect((await request(t.app.server).get(url).set('accept-encoding', 'identity')).body).toEqual(a.body)
    // Only the fields the map colours by, the same values; a malformed list is a 400.
    const slim = (await get(t.app, `${url}&fields=code,status,value`)).body
    expect(slim.results).toEqual(
      a.body.results.map((r: Record<string, unknown>) => ({ code: r.code, status: r.status, value: r.value })),
    )
    expect(slim.results.length).toBeGreaterThan(1)
    expect((await get(t.app, `${url}&fields=code;drop`)).status).toBe(400)
    // The 问题清单 is kept too, and a status change (a change notice) is in the next reply.
    const list = '/api/years/2025/problems?indicator=kindergarten_coverage&unit=C2'
    const p = (await get(t.app, list)).body.problems[0]
    await request(t.app.server)
      .patch(`/api/years/2025/problems/${encodeURIComponent(p.id)}`)
      .set(AUTH)
      .send({ note: '缓存之后' })
      .expect(200)
    expect((await get(t.app, list)).body.problems[0].note).toBe('缓存之后')
    // Unit lists with extents only: the same codes and boxes as the outlines give.
    const full = (await get(t.app, '/api/years/2025/layers/communities')).body.features
    const boxes = (await get(t.app, '/api/years/2025/layers/communities?geometry=bbox')).body.features
    expect(boxes.map((f: { properties: { code: string } }) => f.properties.code)).toEqual(
      full.map((f: { properties: { code: string } }) => f.properties.code),
    )
    for (const [i, f] of full.entries()) {
      const xs = f.geometry.coordinates.flat(Infinity).filter((_: number, k: number) => k % 2 === 0)
      const ys = f.geometry.coordinates.flat(Infinity).filter((_: number, k: number) => k % 2 === 1)
      expect(boxes[i].geometry).toBeNull()
      expect(boxes[i].bbox[0]).toBeCloseTo(Math.min(...xs), 6)
      expect(boxes[i].bbox[1]).toBeCloseTo(Math.min(...ys), 6)
      expect(boxes[i].bbox[2]).toBeCloseTo(Math.max(...xs), 6)
      expect(boxes[i].bbox[3]).toBeCloseTo(Math.max(...ys), 6)
    }
  })

  it('stores a run as one set per indicator, variant and level; runs beyond the kept three go with their sets', async () => {
    for (let i = 0; i < 4; i++) await compute(2025)
    const runs = (await t.db.knex('indicator_runs').select('id', 'year')).map((r) => Number(r.id)).sort((a, b) => a - b)
    expect(await t.db.knex('indicator_runs').where({ year: 2025 }).count('* as n')).toEqual([{ n: 3 }])
    const latest = runs[runs.length - 1]
    // No set of a pruned run is left; the latest run's sets unnest to one result per unit, as the view shows.
    const held = await t.db.knex.raw('SELECT DISTINCT run_id FROM indicator_result_sets ORDER BY run_id')
    expect(held.rows.map((r: { run_id: string }) => Number(r.run_id))).toEqual(runs)
    const sets = await t.db.knex.raw(
      `SELECT indicator, variant, level, cardinality(unit_codes) n FROM indicator_result_sets WHERE run_id = ?`,
      [latest],
    )
    const rows = await t.db.knex('indicator_results').where({ run_id: latest })
    expect(sets.rows.reduce((a: number, s: { n: number }) => a + s.n, 0)).toBe(rows.length)
    const keys = new Set(rows.map((r) => `${r.indicator}|${r.variant}|${r.level}|${r.unit_code}`))
    expect(keys.size).toBe(rows.length)
    expect(sets.rows.length).toBe(new Set(rows.map((r) => `${r.indicator}|${r.variant}|${r.level}`)).size)
    expect((await results('kindergarten_coverage')).C2).toBeDefined()
  })

  it('keeps the buildings with their 社区, 街道 and 小区, and the park area per unit, for the next load, which reads them as the first did', async () => {
    const { knex } = t.db
    const city = await knex('cities').where({ code: TEST_CITY }).first('code', 'zone')
    const settings = settingsFor(t.config, {})
    const load = () => loadCityModel(knex, city, 2025, settings, undefined, { networkWorker: 'never' })
    const kept = () => knex('derived_cache').where({ kind: 'buildings' }).select(knex.raw('uploads::int[] uploads'))
    const v = Object.fromEntries(
      (await knex('layer_current').where({ city: TEST_CITY, year: 2025 }).select('layer', 'upload_id')).map((r) => [
        r.layer,
        Number(r.upload_id),
      ]),
    )
    // The runs before kept them, naming the buildings and every unit layer they were placed in.
    const uploads = [v.buildings, v.communities, v.streets, v['residential-areas']]
    expect(await kept()).toEqual([{ uploads }])
    // So are the park area per unit and, for a city that names no zone, its extent's centre.
    const kinds = async () =>
      (await knex('derived_cache').distinct('kind').orderBy('kind')).map((r: { kind: string }) => r.kind)
    expect(await kinds()).toEqual(city.zone ? ['buildings', 'parks', 'rows'] : ['buildings', 'extent', 'parks', 'rows'])
    const fromKept = await load()
    await knex('derived_cache').whereIn('kind', ['buildings', 'parks', 'extent']).delete()
    const fromCopy = await load()
    expect(await kept()).toEqual([{ uploads }])
    expect(await kinds()).toEqual(city.zone ? ['buildings', 'parks', 'rows'] : ['buildings', 'extent', 'parks', 'rows'])
    expect([fromKept.srid, fromKept.parkArea]).toEqual([fromCopy.srid, fromCopy.parkArea])
    expect(fromCopy.parkArea.city).toBeGreaterThan(0)
    // B7 straddles C1 and C2 and lies, by its point, in C2; B8 is a shop: as read by the COPY.
    expect(fromKept.b).toEqual(fromCopy.b)
    expect(fromCopy.b.community[6]).toBe(fromCopy.communities.findIndex((c) => c.code === 'C2'))
    // A row cut short is read past (the buildings read again) and written again whole.
    await knex.raw(
      "UPDATE derived_cache SET data = substring(data from 1 for length(data) - 8) WHERE kind = 'buildings'",
    )
    expect((await load()).b).toEqual(fromCopy.b)
    const [{ n }] = (await knex.raw("SELECT count(*)::int n FROM derived_cache WHERE kind = 'buildings'")).rows
    expect(n).toBe(1)
    expect((await load()).b).toEqual(fromCopy.b)
  })

  it('keeps the rows of the queries of each unit, site, job and commute upload, and reads them as queried', async () => {
    const { knex } = t.db
    const city = await knex('cities').where({ code: TEST_CITY }).first('code', 'zone')
    const settings = settingsFor(t.config, {})
    const load = () => loadCityModel(knex, city, 2025, settings, undefined, { networkWorker: 'never' })
    const parts = (m: Awaited<ReturnType<typeof load>>) => [
      m.districts,
      m.streets,
      m.communities,
      m.areas,
      m.facilities,
      m.green,
      m.jobs,
      m.commutes,
    ]
    const rows = () => knex('derived_cache').where({ kind: 'rows' }).orderBy('key').select('key', 'uploads')
    const uploads = new Set(
      (
        await knex('layer_current')
          .where({ city: TEST_CITY, year: 2025 })
          .whereIn('layer', [
            'districts',
            'streets',
            'communities',
            'residential-areas',
            'facilities',
            'green-spaces',
            'jobs',
            'commutes',
          ])
          .select('upload_id')
      ).map((r) => Number(r.upload_id)),
    )
    // One row per upload read (each names its upload, so pruning the upload takes it).
    const before = await rows()
    expect(new Set(before.map((r) => Number(r.uploads[0])))).toEqual(uploads)
    const fromKept = await load()
    await knex('derived_cache').where({ kind: 'rows' }).delete()
    const fromQueries = await load()
    expect(await rows()).toEqual(before)
    expect(parts(fromKept)).toEqual(parts(fromQueries))
    expect(fromQueries.facilities.length).toBeGreaterThan(0)
    // Every site has the same keys in the same order, point or polygon (one object literal: one shape
    // for V8, so the loops over sites read their fields through one map, not one per site).
    expect(fromKept.facilities.some((s) => s.geom) && fromKept.facilities.some((s) => !s.geom)).toBe(true)
    for (const sites of [fromKept.facilities, fromKept.green])
      expect(new Set(sites.map((s) => Object.keys(s).join()))).toHaveProperty('size', 1)
    // The load reads what is kept, not the tables: a kept facilities row emptied gives no facilities.
    const fac = Number(
      (await knex('layer_current').where({ city: TEST_CITY, year: 2025, layer: 'facilities' }).first('upload_id'))
        .upload_id,
    )
    await knex.raw(
      "UPDATE derived_cache SET data = convert_to('[]', 'UTF8') WHERE kind = 'rows' AND uploads = ?::bigint[]",
      [[fac]],
    )
    expect((await load()).facilities).toEqual([])
    await knex('derived_cache').where({ kind: 'rows' }).delete()
    await load()
    // A damaged row is read past (the query asked again) and written again whole.
    await knex.raw("UPDATE derived_cache SET data = substring(data from 1 for 20) WHERE kind = 'rows'")
    expect(parts(await load())).toEqual(parts(fromQueries))
    expect(parts(await load())).toEqual(parts(fromQueries))
    const [{ n }] = (
      await knex.raw("SELECT count(*)::int n FROM derived_cache WHERE kind = 'rows' AND length(data) > 20")
    ).rows
    expect(n).toBe(before.length)
  })

  it('exports the problem list as CSV and XLSX', async () => {
    const csv = await get(t.app, '/api/years/2025/problems?format=csv&indicator=kindergarten_coverage')
    expect(csv.headers['content-type']).toContain('text/csv')
    const text = csv.text.replace(/^\uFEFF/, '')
    expect(text.split('\r\n')[0]).toContain('整治建议')
    expect(text).toContain('幼儿园服务半径覆盖率')
    const x = await get(t.app, '/api/years/2025/problems?format=xlsx&indicator=kindergarten_coverage')
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => cb(null, Buffer.concat(chunks)))
      })
    // Read back with exceljs: a title row, the header with its autofilter, the 社区's 街道 beside it.
    const wb = new ExcelJS.Workbook()
    await wb.xlsx.load(
      (x.body as Buffer).buffer.slice(
        (x.body as Buffer).byteOffset,
        (x.body as Buffer).byteOffset + (x.body as Buffer).length,
      ) as ArrayBuffer,
    )
    const ws = wb.worksheets[0]
    expect(String(ws.getCell(1, 1).value)).toContain('问题清单-2025')
    const header = (ws.getRow(2).values as unknown[]).slice(1).map(String)
    expect(header).toContain('所属街道/区县 Parent')
    expect(ws.autoFilter).toBeTruthy()
    const rows = Array.from({ length: ws.rowCount - 2 }, (_, i) =>
      (ws.getRow(i + 3).values as unknown[]).slice(1).map((v) => (v == null ? '' : String(v))),
    )
    const c2 = rows.find((r) => r.includes('二社区'))!
    expect(c2).toContain('幼儿园服务半径覆盖率')
    expect(c2[header.indexOf('所属街道/区县 Parent')]).toBe('甲街道（S1）')
    expect(ws.getColumn(header.indexOf('整治建议 Suggestion') + 1).width).toBeGreaterThan(20)
  })

  it('what-if: a hypothetical kindergarten changes the numbers and stores nothing', async () => {
    const toLonLat = proj4(gaussKrugerEpsg(4548)!.proj!, 'EPSG:4326')
    const body = {
      facilities: {
        type: 'FeatureCollection',
        features: [
          {
            type: 'Feature',
            properties: { type: '幼儿园', name: '拟建' },
            geometry: { type: 'Point', coordinates: toLonLat.forward([X0 + 1500, Y0 + 520]) },
          },
        ],
      },
    }
    const r = await request(t.app.server).post('/api/years/2025/what-if').set(AUTH).send(body)
    expect(r.status).toBe(200)
    const k = r.body.indicators.find((i: { code: string }) => i.code === 'kindergarten_coverage')
    const c2 = k.units.find((u: { code: string }) => u.code === 'C2')
    expect(c2.before).toBe(0)
    expect(c2.after).toBeCloseTo(pct(100 + 400, 1100), 2) // B5 (20 m) and B9 (241.7 m)
    expect(c2.newlyCoveredResidents).toBe(210)
    expect(k.city.after).toBeCloseTo(pct(100 + 100 + 400, 1400), 2)
    expect((await results('kindergarten_coverage')).C2.value).toBe(0) // nothing stored
    const bad = await request(t.app.server)
      .post('/api/years/2025/what-if')
      .set(AUTH)
      .send({
        facilities: {
          type: 'FeatureCollection',
          features: [
            {
              type: 'Feature',
              properties: { type: '火箭发射场' },
              geometry: { type: 'Point', coordinates: [117.2, 31.8] },
            },
          ],
        },
      })
    expect(bad.body.error.code).toBe('CC_FIELD_UNKNOWN_VALUE')
  })

  it('new data marks results stale; a later year shows the change from the year before', async () => {
    // 2026: the same city with a second kindergarten in C2.
    for (const layer of LOAD_ORDER) {
      const v = (await get(t.app, `/api/years/2025/layers/${layer}/versions`)).body.versions[0].version
      await request(t.app.server).post(`/api/years/2026/layers/${layer}/versions/${v}/restore`).set(AUTH).expect(200)
    }
    const more = geojson([
      ...JSON.parse(fixture.facilities.toString()).features,
      { geometry: { type: 'Point', coordinates: [X0 + 1500, Y0 + 520] }, properties: { name: 'K2', type: '幼儿园' } },
    ])
    expect((await upload(t.app, 2026, 'facilities', more, 'facilities.geojson', CRS)).status).toBe(201)
    await compute(2026)
    const r = await get(t.app, '/api/years/2026/indicators/kindergarten_coverage')
    const c2 = r.body.results.find((x: Result) => x.code === 'C2')
    expect(c2).toMatchObject({ previous: 0 })
    expect(c2.change).toBeCloseTo(pct(500, 1100), 2)
    expect(r.body.run.stale).toBe(false)
    await upload(t.app, 2026, 'jobs', fixture.jobs, 'jobs.geojson', CRS)
    expect((await get(t.app, '/api/years/2026/indicators/kindergarten_coverage')).body.run.stale).toBe(true)
    expect((await get(t.app, '/api/years/2025/indicators/kindergarten_coverage')).body.run.stale).toBe(false) // 2025 untouched
  })

  it('a year can override targets and add a local 特色 indicator without code changes', async () => {
    const config = {
      targets: { kindergarten_coverage: { value: 5, direction: '>=' } },
      local: [
        {
          code: 'local_school_1km',
          zh: '小学1公里覆盖率（地方）',
          en: 'Primary school within 1 km (local)',
          dimension: '街区',
          group: '特色',
          unit: '%',
          kind: 'coverage',
          type: '导向',
          formula: '同覆盖率',
          numerator: '1 公里内',
          denominator: '居住建筑基底面积',
          params: { facilityTypes: ['primary_school'], radius: 1000 },
          target: { value: 50, direction: '>=' },
          source: '某市特色指标',
        },
      ],
    }
    expect((await request(t.app.server).put('/api/years/2025/indicator-config').set(AUTH).send(config)).status).toBe(
      200,
    )
    const bad = await request(t.app.server)
      .put('/api/years/2025/indicator-config')
      .set(AUTH)
      .send({ targets: { nope: { value: 1, direction: '>=' } } })
    expect(bad.body.error.code).toBe('CC_OPTION_INVALID')
    await compute(2025)
    const k = await results('kindergarten_coverage')
    expect(k.city).toMatchObject({ target: 5, status: 'pass' })
    const local = await results('local_school_1km')
    // within 1 km of the school's edge (x ≥ 2100, y ≤ 300): B4 (1200,500) 922 m, B5 632, B6 361, B9 500, B7 1161 ✗
    expect(local.city.value).toBeCloseTo(pct(400 + 100 + 100 + 100, 1400), 2)
    expect(
      (await get(t.app, '/api/indicators?year=2025')).body.indicators.some(
        (d: { code: string }) => d.code === 'local_school_1km',
      ),
    ).toBe(true)
  })
})
