// 住房 and 小区 inspections on the hand-drawn city of test/helpers/city-fixture.ts: the matching
// rules, the count indicators with "not inspected" apart from "no problems", the 小区 facility
// shortfall with a 2SFCA capacity test, school seats by maximum flow, and the building ledger.
// Every expected number is written as the arithmetic that produces it.
import request from 'supertest'
import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { AUTH, useTestApp } from '../../test/helpers/app.ts'
import { CRS, LOAD_ORDER, X0, Y0, fixture, sq } from '../../test/helpers/city-fixture.ts'
import { geojson } from '../../test/helpers/fixtures.ts'
import { get, upload } from '../../test/helpers/upload.ts'
import { RADIUS_TOLERANCE_M } from '../indicators/coverage.ts'
import { bboxOf, pointPolygonDistance, type MultiPoly } from '../indicators/geom.ts'
import { allocateSeats, pointReach, reachLists, reachOf, twoStepFloatingCatchment } from './compute.ts'
import { FlowGraph } from './maxflow.ts'

const B3 = 500 / 36.5 // B3's residents, estimated from its floor area (see indicators.test.ts)
const C1_RES = 100 + 50 + B3

type Result = { level: string; code: string; value: number | null; status: string; [k: string]: unknown }

/** Max flow by brute force over cuts (Hall): min over subsets X of groups of demand(∉X) + seats(N(X)). */
function bruteMaxFlow(demand: number[], reach: number[][], seats: number[]): number {
  let best = Infinity
  for (let mask = 0; mask < 1 << demand.length; mask++) {
    const n = new Set<number>()
    let cut = 0
    demand.forEach((d, g) => {
      if (mask & (1 << g)) for (const j of reach[g]) n.add(j)
      else cut += d
    })
    for (const j of n) cut += seats[j]
    best = Math.min(best, cut)
  }
  return best
}

describe('seat allocation and 2SFCA (pure)', () => {
  it('solves a tight case that a nearest-first greedy gets wrong', () => {
    // b can use either school; a only school 0, c only school 1. Seats 10 + 20, demand 30: all fit
    // only if b goes to school 1. A greedy that sends b to its first school leaves a 10 short.
    const r = allocateSeats(Float64Array.from([10, 10, 10]), reachOf([[0], [0, 1], [1]]), [10, 20])
    expect(r.allocated).toBeCloseTo(30, 9)
    expect([...r.gap]).toEqual([0, 0, 0])
  })
  it('leaves exactly demand − max flow unallocated, shared within a group by children', () => {
    // Seats 15 + 10 = 25 for 30 children: 5 short, all at c's side (school 1 is c's only one).
    const r = allocateSeats(Float64Array.from([10, 10, 10, 0]), reachOf([[0], [0, 1], [1], []]), [15, 10])
    expect(r.allocated).toBeCloseTo(25, 9)
    expect(r.gap.reduce((a, b) => a + b, 0)).toBeCloseTo(5, 9)
    // Two points with the same reach are one group: their shortfall is split by their children.
    const g = allocateSeats(Float64Array.from([6, 2]), reachOf([[0], [0]]), [4])
    expect([...g.gap].map((x) => Math.round(x * 1e9) / 1e9)).toEqual([3, 1])
  })
  it('equals the minimum cut on random instances', () => {
    let seed = 7
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed / 2 ** 31
    }
    for (let t = 0; t < 200; t++) {
      const G = 1 + Math.floor(rnd() * 7),
        S = 1 + Math.floor(rnd() * 4)
      const demand = Array.from({ length: G }, () => Math.round(rnd() * 20))
      const seats = Array.from({ length: S }, () => Math.round(rnd() * 25))
      const reach = demand.map(() => [...Array(S).keys()].filter(() => rnd() < 0.5))
      const g = new FlowGraph(2 + G + S)
      demand.forEach((d, k) => {
        g.add(0, 2 + k, d)
        for (const j of reach[k]) g.add(2 + k, 2 + G + j, Infinity)
      })
      seats.forEach((c, j) => {
        g.add(2 + G + j, 1, c)
      })
      expect(g.maxFlow(0, 1)).toBeCloseTo(bruteMaxFlow(demand, reach, seats), 9)
    }
  })
  it('reachLists and pointReach list the sites a brute-force test finds, ascending, for each point', () => {
    let seed = 11
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed / 2 ** 31
    }
    const n = 3000
    const x = Float64Array.from({ length: n }, () => rnd() * 2000),
      y = Float64Array.from({ length: n }, () => rnd() * 2000)
    x[5] = NaN // a home without coordinates reaches nothing
    const points = { ids: Int32Array.from({ length: n }, (_, k) => k), x, y }
    // Point sites, and square parks (reached at their edge), some on top of each other.
    const sites = Array.from({ length: 60 }, (_, j) => {
      const sx = Math.round(rnd() * 20) * 100,
        sy = Math.round(rnd() * 20) * 100
      if (j % 3) return { x: sx, y: sy }
      const geom: MultiPoly = [
        [
          [
            [sx, sy],
            [sx + 80, sy],
            [sx + 80, sy + 80],
            [sx, sy + 80],
            [sx, sy],
          ],
        ],
      ]
      return { x: sx + 40, y: sy + 40, geom, bbox: bboxOf(geom) }
    })
    for (const radius of [0, 150, 500]) {
      const rr = radius + RADIUS_TOLERANCE_M
      const want = Array.from({ length: n }, (_, k) =>
        sites.flatMap((s, j) =>
          (s.geom ? pointPolygonDistance(x[k], y[k], s.geom) <= rr : (x[k] - s.x) ** 2 + (y[k] - s.y) ** 2 <= rr * rr)
            ? [j]
            : [],
        ),
      )
      const lists = reachLists(points, sites, radius)
      expect(lists).toEqual(want)
      const flat = pointReach(points, sites, radius)
      expect(Array.from({ length: n }, (_, k) => [...flat.site.subarray(flat.off[k], flat.off[k + 1])])).toEqual(lists)
      // and the seats come out the same from either form
      const children = Float64Array.from({ length: n }, () => Math.round(rnd() * 3))
      const seats = sites.map(() => Math.round(rnd() * 40))
      expect([...allocateSeats(children, flat, seats).gap]).toEqual([
        ...allocateSeats(children, reachOf(lists), seats).gap,
      ])
    }
    expect(reachLists(points, sites, 500).some((l) => l.length > 1)).toBe(true)
  })
  it('2SFCA shares a site among the 小区 that reach it', () => {
    // Site 0 (10 seats) is reached by 小区 0 (100 people) and 1 (400); site 1 (5) by 小区 1 only.
    const a = twoStepFloatingCatchment([[0], [0, 1]], Float64Array.from([100, 400]), [10, 5])
    expect(a[0]).toBeCloseTo((10 / 500) * 1000, 9) // 20 per 1,000
    expect(a[1]).toBeCloseTo((10 / 500 + 5 / 400) * 1000, 9) // 32.5 per 1,000
  })
})

describe('inspections on the hand-drawn city', () => {
  const t = useTestApp()
  const P = (x: number, y: number) => [X0 + x, Y0 + y]
  const results = async (code: string): Promise<Record<string, Result>> => {
    const r = await get(t.app, `/api/years/2025/indicators/${code}`)
    expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(200)
    return Object.fromEntries(r.body.results.map((x: Result) => [`${x.level}:${x.code}`, x]))
  }
  const compute = async () => {
    const res = await request(t.app.server).post('/api/years/2025/indicators/compute').set(AUTH)
    expect(res.status).toBe(202)
    for (let i = 0; i < 400; i++) {
      const j = await get(t.app, res.body.status)
      if (j.body.state === 'succeeded') return j.body
      if (j.body.state === 'failed') throw new Error(JSON.stringify(j.body.error))
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error('job did not finish')
  }
  const importTable = (csv: string, fields: Record<string, string> = {}) => {
    let r = request(t.app.server).post('/api/years/2025/inspections/imports').set(AUTH)
    for (const [k, v] of Object.entries(fields)) r = r.field(k, v)
    return r.attach('file', Buffer.from(csv), 'inspections.csv')
  }

  beforeAll(async () => {
    // The fixture's buildings, with addresses: B5 has its own; B4 and B6 share one (an ambiguous match).
    const withAddress = JSON.parse(fixture.buildings.toString())
    for (const f of withAddress.features) {
      if (f.properties.code === 'B5') f.properties.address = '滨河路1号'
      if (f.properties.code === 'B4' || f.properties.code === 'B6') f.properties.address = '湖滨路2号'
    }
    const layers: Record<string, Buffer> = { ...fixture, buildings: Buffer.from(JSON.stringify(withAddress)) }
    for (const layer of LOAD_ORDER) {
      const r = await upload(t.app, 2025, layer, layers[layer], `${layer}.geojson`, CRS)
      expect(r.status, `${layer}: ${JSON.stringify(r.body).slice(0, 300)}`).toBe(201)
    }
  })

  it('says no-data, not 0, before anything is inspected, and where a type or a capacity is missing', async () => {
    const job = await compute()
    expect(job.result.warnings.join('\n')).toMatch(/housing_gas_hazard：本年度没有任何检查记录/)
    const gas = await results('housing_gas_hazard')
    for (const r of Object.values(gas)) {
      expect(r).toMatchObject({ value: null, status: 'no-data' })
      expect((r.noData as { zh: string }).zh).toMatch(/检查记录/)
    }
    // The fixture's only 小学 states no seats: the gap is unknown, not 0 and not every child.
    const seats = await results('primary_seat_gap')
    expect(seats['city:city']).toMatchObject({ value: null, status: 'no-data' })
    expect((seats['city:city'].noData as { zh: string }).zh).toMatch(/1 所学校未填学位数/)
    // No 初中 at all in the fixture.
    const middle = await results('middle_seat_gap')
    expect((middle['city:city'].noData as { en: string }).en).toMatch(/no school of type middle_school/)
    // The problem list holds none of them.
    const p = await get(t.app, '/api/years/2025/problems?indicator=housing_gas_hazard')
    expect(p.body.count).toBe(0)
  })

  it('matches by code, by the point inside a footprint and by address, and waits on unmatched or ambiguous rows', async () => {
    const [x2, y2] = P(501, 502) // inside B2 (495–505)
    const csv = [
      'building_code,lon,lat,地址,问题,检查人,检查日期',
      'B1,,,,housing_gas_hazard.riser_corroded、楼道堆放杂物、占用疏散通道,张三,2025-05-01',
      `,${x2},${y2},,,李四,2025-05-02`,
      ',,,滨河路 1 号,燃气软管老化或超长,王五,2025/05/03',
      'NOPE,,,,housing_gas_hazard.no_alarm,王五,2025-05-03',
      ',,,湖滨路2号,housing_gas_hazard.no_alarm,王五,2025-05-04',
    ].join('\n')
    const r = await importTable(csv, { crs: 'EPSG:4548' })
    expect(r.status, JSON.stringify(r.body)).toBe(202)
    expect(r.body).toMatchObject({
      status: 'pending',
      stored: 3,
      report: {
        rows: 5,
        matched: { code: 1, point: 1, address: 1 },
        unmatched: [{ row: 5, code: 'NOPE' }],
        ambiguous: [{ row: 6, candidates: ['B4', 'B6'], by: 'address' }],
      },
    })
    expect(r.body.report.unmatched[0].reason).toMatch(/编码 NOPE 不在当前图层中/)
    // Pending rows do not count yet.
    await compute()
    expect((await results('housing_gas_hazard'))['city:city'].status).toBe('no-data')
    const acc = await request(t.app.server).post(`/api/inspections/imports/${r.body.id}/accept`).set(AUTH)
    expect(acc.status, JSON.stringify(acc.body)).toBe(200)
    expect(acc.body).toMatchObject({ status: 'accepted', stored: 3 })
    const again = await request(t.app.server).post(`/api/inspections/imports/${r.body.id}/discard`).set(AUTH)
    expect(again.status).toBe(409)
    expect(again.body.error.code).toBe('CC_IMPORT_DECIDED')
  })

  it('refuses a table with an unknown finding whole, naming the row and column', async () => {
    const r = await importTable('building_code,问题\nB1,housing_gas_hazard.riser_corroded\nB2,漏水的天花板\n')
    expect(r.status).toBe(422)
    expect(r.body.error).toMatchObject({ code: 'CC_FIELD_UNKNOWN_VALUE', file: 'inspections.csv', feature: 3 })
    expect(r.body.error.message).toMatch(/漏水的天花板/)
    const none = await importTable('编号,备注\n1,x\n')
    expect(none.status).toBe(422)
    expect(none.body.error.code).toBe('CC_INSPECTION_COLUMNS')
    const imports = await t.db.knex('inspection_imports').count<{ count: string }[]>('* as count')
    expect(Number(imports[0].count)).toBe(1) // only the accepted one above
  })

  it('counts buildings with a finding beside the buildings inspected, per 小区, 社区, 街道 and city', async () => {
    await compute()
    const gas = await results('housing_gas_hazard')
    // Inspected: B1 (code), B2 (point), B5 (address). Gas findings: B1 (riser) and B5 (hose).
    expect(gas['city:city']).toMatchObject({ value: 2, numerator: 2, denominator: 3, inspected: 3, status: 'fail' })
    expect(gas['community:C1']).toMatchObject({ value: 1, inspected: 2, buildings: 3, status: 'fail' }) // B1–B3
    expect(gas['community:C2']).toMatchObject({ value: 1, inspected: 1 })
    expect(gas['community:C3']).toMatchObject({ value: null, status: 'no-data', inspected: 0 })
    expect(gas['area:A1']).toMatchObject({ value: 1, inspected: 2 })
    expect(gas['area:A2']).toMatchObject({ value: 1, inspected: 1 })
    const corridor = await results('housing_corridor_hazard')
    expect(corridor['city:city']).toMatchObject({ value: 1, inspected: 3 })
    // Inspected and nothing found: 0, and a pass — not no-data.
    const structure = await results('housing_structural_hazard')
    expect(structure['city:city']).toMatchObject({ value: 0, status: 'pass', inspected: 3 })
  })

  it('keeps every record: a later visit finding nothing clears the building, the earlier one stays', async () => {
    const r = await request(t.app.server)
      .post('/api/years/2025/inspections')
      .set(AUTH)
      .send({ target: 'building', unit: 'B1', findings: [], note: '立管已更换', inspectedAt: '2025-06-01' })
    expect(r.status, JSON.stringify(r.body)).toBe(201)
    const recs = await get(t.app, '/api/years/2025/inspections?unit=B1')
    expect(recs.body.records.map((x: { note: string | null }) => x.note)).toEqual(['立管已更换', null])
    await compute()
    expect((await results('housing_gas_hazard'))['city:city']).toMatchObject({ value: 1, inspected: 3 })
    expect((await results('housing_corridor_hazard'))['city:city']).toMatchObject({ value: 0, status: 'pass' })
  })

  it('counts 非成套住宅 in 套, from the record where it says', async () => {
    const r = await request(t.app.server)
      .post('/api/years/2025/inspections')
      .set(AUTH)
      .send({ unit: 'B4', findings: ['housing_non_self_contained.no_toilet'], dwellings: 12 })
    expect(r.status, JSON.stringify(r.body)).toBe(201)
    await compute()
    const n = await results('housing_non_self_contained')
    expect(n['city:city']).toMatchObject({ value: 12, countUnit: '套', inspected: 4 })
    expect(n['community:C2']).toMatchObject({ value: 12, inspected: 2 }) // B4 and B5
  })

  it('stores photos re-encoded, refuses a file that is not an image, and serves them back', async () => {
    const png = await sharp({ create: { width: 3000, height: 1000, channels: 3, background: '#c00' } })
      .png()
      .toBuffer()
    const r = await request(t.app.server)
      .post('/api/years/2025/inspections')
      .set(AUTH)
      .field('unit', 'B2')
      .field('findings', JSON.stringify(['housing_envelope_hazard.facade_falling']))
      .field('lon', '117.0')
      .field('lat', '31.8')
      .attach('photo', png, 'wall.png')
    expect(r.status, JSON.stringify(r.body)).toBe(201)
    const ph = r.body.record.photos[0]
    expect(ph).toMatchObject({ width: 2048, height: 683 })
    const img = await request(t.app.server).get(ph.url).buffer(true)
    expect(img.status).toBe(200)
    expect(img.headers['content-type']).toBe('image/jpeg')
    expect((await sharp(img.body).metadata()).format).toBe('jpeg')
    const bad = await request(t.app.server)
      .post('/api/years/2025/inspections')
      .set(AUTH)
      .field('unit', 'B2')
      .field('findings', '[]')
      .attach('photo', Buffer.from('<script>alert(1)</script>'), 'x.jpg')
    expect(bad.status).toBe(415)
    expect(bad.body.error.code).toBe('CC_PHOTO_INVALID')
    const unknown = await request(t.app.server)
      .post('/api/years/2025/inspections')
      .set(AUTH)
      .send({ unit: 'B404', findings: [] })
    expect(unknown.status).toBe(404)
    const wrongTarget = await request(t.app.server)
      .post('/api/years/2025/inspections')
      .set(AUTH)
      .send({ unit: 'B1', findings: ['area_no_waste_sorting.no_sorting_point'] })
    expect(wrongTarget.status).toBe(422)
    expect(wrongTarget.body.error.code).toBe('CC_FIELD_UNKNOWN_VALUE')
  })

  it('puts each building with a finding in the 问题清单 with its items, place, status and history', async () => {
    await compute()
    const p = await get(t.app, '/api/years/2025/problems?level=building')
    expect(p.status).toBe(200)
    const byId = Object.fromEntries(p.body.problems.map((x: { id: string }) => [x.id, x]))
    expect(Object.keys(byId).sort()).toEqual([
      'housing_envelope_hazard:building:B2',
      'housing_gas_hazard:building:B5',
      'housing_non_self_contained:building:B4',
    ])
    expect(byId['housing_gas_hazard:building:B5']).toMatchObject({
      severity: '较重',
      parent: { code: 'C2' },
      street: { code: 'S1' },
      area: { code: 'A2' },
      items: [{ code: 'housing_gas_hazard.hose_aged' }],
      status: '待整改',
    })
    const patch = await request(t.app.server)
      .patch(`/api/years/2025/problems/${encodeURIComponent('housing_gas_hazard:building:B5')}`)
      .set(AUTH)
      .send({ status: '整改中', note: '已通知燃气公司' })
    expect(patch.status, JSON.stringify(patch.body)).toBe(200)
    const file = await get(t.app, '/api/years/2025/buildings/B5')
    expect(file.status).toBe(200)
    expect(file.body.building).toMatchObject({ code: 'B5', address: '滨河路1号' })
    expect(file.body.geometry.type).toBe('MultiPolygon')
    expect(file.body.problems[0]).toMatchObject({ indicator: 'housing_gas_hazard', status: '整改中' })
    expect(file.body.history).toMatchObject([{ status: '整改中', note: '已通知燃气公司', by: 'tester' }])
    expect(file.body.records).toHaveLength(1)
    // The unit problems for the same indicator are graded by share of buildings inspected.
    const units = await get(t.app, '/api/years/2025/problems?indicator=housing_gas_hazard&level=community')
    expect(units.body.problems.map((x: { unitCode: string }) => x.unitCode)).toEqual(['C2'])
    const xlsx = await get(t.app, '/api/years/2025/problems?level=building&format=csv')
    expect(xlsx.text).toMatch(/楼栋/)
  })

  it('refuses control characters in codes with a 400, not a database error', async () => {
    for (const url of [
      '/api/years/2025/buildings/%00x',
      '/api/years/2025/inspections?unit=%00',
      '/api/years/2025/inspections?unit=',
    ])
      expect((await get(t.app, url)).status, url).toBe(400)
    const r = await request(t.app.server)
      .post('/api/years/2025/inspections')
      .set(AUTH)
      .send({ unit: 'B1\u0000', findings: [] })
    expect([r.status, r.body.error.code]).toEqual([400, 'CC_OPTION_INVALID'])
    const p = await request(t.app.server)
      .patch(`/api/years/2025/problems/${encodeURIComponent('kindergarten_coverage:community:\u0000')}`)
      .set(AUTH)
      .send({ status: '整改中' })
    expect(p.status).toBe(404)
  })

  it('finds the building under a tapped point', async () => {
    const [lon, lat] = await t.db.knex
      .raw(`SELECT ST_X(p) x, ST_Y(p) y FROM ST_Transform(ST_SetSRID(ST_MakePoint(?, ?), 4548), 4490) p`, P(1500, 500))
      .then((r) => [r.rows[0].x, r.rows[0].y])
    const hit = await get(t.app, `/api/years/2025/buildings/at?lon=${lon}&lat=${lat}`)
    expect(hit.status).toBe(200)
    expect(hit.body).toMatchObject({ code: 'B5', distance: 0 })
    const miss = await get(t.app, `/api/years/2025/buildings/at?lon=${lon}&lat=${lat + 0.01}`)
    expect(miss.status).toBe(404)
  })

  it('judges each 小区 by reach, and by 2SFCA seats per 1,000 residents where capacities are given', async () => {
    // The fixture's kindergarten K1 (200, 800) is 424 m from A1's point (500, 500): out of reach; A2 has none.
    let k = await results('area_kindergarten_shortfall')
    expect(k['city:city']).toMatchObject({ value: 2, denominator: 2, capacityTested: false })
    expect(k['area:A1']).toMatchObject({ value: 1, reachable: 0, status: 'fail' })
    // A kindergarten of 4 seats 200 m from A1: 4 ÷ 163.7 residents × 1000 = 24.4 < 30 per 1,000.
    const fac = JSON.parse(fixture.facilities.toString())
    fac.features = fac.features.filter((f: { properties: { type: string } }) => f.properties.type !== '幼儿园')
    const kg = (x: number, y: number, capacity: number) => ({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: P(x, y) },
      properties: { name: `K${x}`, type: '幼儿园', capacity },
    })
    fac.features.push(kg(500, 700, 4))
    expect((await upload(t.app, 2025, 'facilities', Buffer.from(JSON.stringify(fac)), 'f.geojson', CRS)).status).toBe(
      201,
    )
    await compute()
    k = await results('area_kindergarten_shortfall')
    expect(k['area:A1']).toMatchObject({ value: 1, reachable: 1, capacityTested: true })
    expect(k['area:A1'].seatsPer1000).toBeCloseTo(Math.round((4 / C1_RES) * 1000 * 10) / 10, 5)
    // With 6 seats: 36.7 per 1,000 ≥ 30, A1 passes; A2 still has none within 300 m.
    fac.features[fac.features.length - 1] = kg(500, 700, 6)
    expect((await upload(t.app, 2025, 'facilities', Buffer.from(JSON.stringify(fac)), 'f.geojson', CRS)).status).toBe(
      201,
    )
    await compute()
    k = await results('area_kindergarten_shortfall')
    expect(k['area:A1']).toMatchObject({ value: 0, status: 'pass' })
    expect(k['city:city']).toMatchObject({ value: 1, denominator: 2 })
    expect(k['community:C2']).toMatchObject({ value: 1 })
  })

  it('allocates school seats within reach and reports the gap per unit', async () => {
    // One 小学 of 12 seats at (350, 500): B1 (150 m), B2 (150 m), B3 (450 m) reach it; no one else.
    // With an age share of 0.1: children B1 10, B2 5, B3 B3/10 — C1 has 16.37 children for 12 seats.
    const put = await request(t.app.server)
      .put('/api/years/2025/indicator-config')
      .set(AUTH)
      .send({ params: { primary_seat_gap: { ageShare: 0.1 } } })
    expect(put.status).toBe(200)
    const fac = JSON.parse(fixture.facilities.toString())
    fac.features = fac.features.filter((f: { properties: { type: string } }) => f.properties.type !== '小学')
    fac.features.push({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: P(350, 500) },
      properties: { name: '实验小学', type: '小学', capacity: 12 },
    })
    expect((await upload(t.app, 2025, 'facilities', Buffer.from(JSON.stringify(fac)), 'f.geojson', CRS)).status).toBe(
      201,
    )
    await compute()
    const s = await results('primary_seat_gap')
    expect(s['community:C1'].value).toBe(Math.round(C1_RES * 0.1 - 12)) // 4
    expect(s['community:C1'].numerator).toBeCloseTo(C1_RES * 0.1 - 12, 4)
    // C2's 400 residents reach no school: all 40 children are short.
    expect(s['community:C2'].numerator).toBeCloseTo(40, 6)
    expect(s['city:city'].numerator).toBeCloseTo(C1_RES * 0.1 + 40 - 12, 4)
    expect(s['area:A1'].numerator).toBeCloseTo(C1_RES * 0.1 - 12, 4)
  })

  it('a city with no kindergarten mapped gets no-data for every kindergarten indicator, not 0 % and 严重', async () => {
    const fac = JSON.parse(fixture.facilities.toString())
    fac.features = fac.features.filter((f: { properties: { type: string } }) => f.properties.type !== '幼儿园')
    expect((await upload(t.app, 2025, 'facilities', Buffer.from(JSON.stringify(fac)), 'f.geojson', CRS)).status).toBe(
      201,
    )
    const job = await compute()
    expect(job.result.warnings.join('\n')).toMatch(
      /kindergarten_coverage：本年度数据中没有任何类型为 kindergarten 的设施/,
    )
    const k = await results('kindergarten_coverage')
    for (const r of Object.values(k)) expect(r).toMatchObject({ value: null, status: 'no-data' })
    const cc = await results('complete_community')
    expect((cc['community:C1'].noData as { zh: string }).zh).toMatch(/幼儿园/)
    const a = await results('area_kindergarten_shortfall')
    expect(a['city:city']).toMatchObject({ value: null, status: 'no-data' })
    const p = await get(t.app, '/api/years/2025/problems?indicator=kindergarten_coverage')
    expect(p.body.count).toBe(0)
  })

  it('a year with buildings but no built years, no facilities and no green spaces is no-data, not 0', async () => {
    const b = JSON.parse(fixture.buildings.toString())
    for (const f of b.features) delete f.properties.built_year
    for (const [layer, buf] of [
      ['streets', fixture.streets],
      ['communities', fixture.communities],
      ['buildings', Buffer.from(JSON.stringify(b))],
    ] as const)
      expect((await upload(t.app, 2026, layer, buf, `${layer}.geojson`, CRS)).status).toBe(201)
    const res = await request(t.app.server).post('/api/years/2026/indicators/compute').set(AUTH)
    for (let i = 0; i < 400 && (await get(t.app, res.body.status)).body.state !== 'succeeded'; i++)
      await new Promise((r) => setTimeout(r, 50))
    const city = async (code: string) =>
      (await get(t.app, `/api/years/2026/indicators/${code}?level=city`)).body.results[0] as Result
    for (const code of [
      'tall_new_residential',
      'pre2000_residential_share',
      'kindergarten_coverage',
      'park_per_capita',
    ])
      expect(await city(code), code).toMatchObject({ value: null, status: 'no-data' })
    expect(((await city('tall_new_residential')).noData as { zh: string }).zh).toMatch(/建成年代/)
    expect(((await city('park_per_capita')).noData as { en: string }).en).toMatch(/no green-spaces layer/)
    const p = await get(t.app, '/api/years/2026/problems?level=city')
    expect(p.body.problems.map((x: { indicator: string }) => x.indicator)).not.toContain('tall_new_residential')
  })

  it('reads XLSX tables with a yes/no column per item, GeoJSON points, and 小区 tables matched by name', async () => {
    const ExcelJS = (await import('exceljs')).default
    const wb = new ExcelJS.Workbook()
    const ws = wb.addWorksheet('检查表')
    ws.addRow(['楼栋编码', '燃气立管锈蚀（使用20年以上）', '屋面渗漏', '检查日期'])
    ws.addRow(['B6', '是', '否', new Date('2025-07-01')])
    ws.addRow(['B9', '', '√', '2025年7月2日'])
    const xlsx = Buffer.from(await wb.xlsx.writeBuffer())
    const x = await request(t.app.server)
      .post('/api/years/2025/inspections/imports')
      .set(AUTH)
      .attach('file', xlsx, '检查表.xlsx')
    expect(x.status, JSON.stringify(x.body)).toBe(201)
    expect(x.body).toMatchObject({ status: 'accepted', stored: 2, report: { matched: { code: 2 } } })
    const b6 = await get(t.app, '/api/years/2025/inspections?unit=B6')
    expect(b6.body.records[0]).toMatchObject({ findings: ['housing_gas_hazard.riser_corroded'], matchedBy: 'code' })
    expect(String(b6.body.records[0].inspectedAt)).toMatch(/^2025-07-01/)
    const b9 = await get(t.app, '/api/years/2025/inspections?unit=B9')
    expect(b9.body.records[0].findings).toEqual(['housing_envelope_hazard.roof_leak'])
    // GeoJSON points in the city's Gauss-Kruger zone, declared with crs.
    const gj = geojson([
      {
        geometry: { type: 'Point', coordinates: P(1200, 503) }, // inside B4
        properties: { 问题: '无智能水电气表' },
      },
    ])
    const g = await request(t.app.server)
      .post('/api/years/2025/inspections/imports')
      .set(AUTH)
      .field('crs', 'EPSG:4548')
      .attach('file', gj, 'points.geojson')
    expect(g.status, JSON.stringify(g.body)).toBe(201)
    expect(g.body.report.matched.point).toBe(1)
    // 小区 records, one by code and one by name; an item of a building indicator is refused for a 小区.
    const a = await importTable('小区代码,小区名称,问题\nA1,,未实施生活垃圾分类\n,乙小区,无物业服务或管理\n', {
      target: 'area',
    })
    expect(a.status).toBe(422) // 未实施生活垃圾分类 is an indicator, not an item
    const a2 = await importTable('小区代码,小区名称,问题\nA1,,无分类投放点\n,乙小区,无物业服务或管理\n', {
      target: 'area',
    })
    expect(a2.status, JSON.stringify(a2.body)).toBe(201)
    expect(a2.body.report.matched).toEqual({ code: 1, point: 0, address: 1 })
    await compute()
    const w = await results('area_no_waste_sorting')
    expect(w['city:city']).toMatchObject({ value: 1, inspected: 2, areas: 2 })
    expect(w['area:A1']).toMatchObject({ value: 1, status: 'fail' })
    expect(w['area:A2']).toMatchObject({ value: 0, status: 'pass' })
    expect(w['community:C3']).toMatchObject({ status: 'no-data' })
    const pa = await get(t.app, '/api/years/2025/problems?indicator=area_no_waste_sorting&level=area')
    expect(pa.body.problems).toMatchObject([
      { unitCode: 'A1', unitName: '甲小区', parent: { code: 'C1', name: '一社区' } },
    ])
  })

  it('adds local items to the year’s vocabulary and refuses malformed ones', async () => {
    const bad = await request(t.app.server)
      .put('/api/years/2025/indicator-config')
      .set(AUTH)
      .send({ inspectionItems: [{ code: 'housing_gas_hazard.<b>', zh: 'x', severity: '严重' }] })
    expect(bad.status).toBe(400)
    const ok = await request(t.app.server)
      .put('/api/years/2025/indicator-config')
      .set(AUTH)
      .send({
        params: { primary_seat_gap: { ageShare: 0.1 } },
        inspectionItems: [
          { code: 'housing_gas_hazard.meter_box', zh: '燃气表箱锈蚀', en: 'Corroded meter box', severity: '较重' },
        ],
      })
    expect(ok.status, JSON.stringify(ok.body)).toBe(200)
    const v = await get(t.app, '/api/years/2025/inspections/vocabulary')
    expect(v.body.items.find((i: { code: string }) => i.code === 'housing_gas_hazard.meter_box')).toMatchObject({
      local: true,
      indicator: 'housing_gas_hazard',
    })
    const r = await importTable('楼栋编码,燃气表箱锈蚀\nB6,是\n')
    expect(r.status, JSON.stringify(r.body)).toBe(201)
    expect(r.body.report.matched.code).toBe(1)
  })
})

void sq
void geojson

describe('a city archive keeps its inspections, photos and problem history', () => {
  const t = useTestApp()
  it('exports and restores them under a new code', async () => {
    for (const layer of ['streets', 'communities', 'buildings'] as const)
      expect((await upload(t.app, 2025, layer, fixture[layer], `${layer}.geojson`, CRS)).status).toBe(201)
    const png = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#0a0' } })
      .png()
      .toBuffer()
    const r = await request(t.app.server)
      .post('/api/years/2025/inspections')
      .set(AUTH)
      .field('unit', 'B1')
      .field('findings', JSON.stringify(['housing_gas_hazard.no_alarm']))
      .attach('photo', png, 'a.png')
    expect(r.status, JSON.stringify(r.body)).toBe(201)
    const exp = await request(t.app.server)
      .get('/api/cities/990100/export')
      .set(AUTH)
      .buffer(true)
      .parse((res, cb) => {
        const parts: Buffer[] = []
        res.on('data', (c: Buffer) => parts.push(c))
        res.on('end', () => cb(null, Buffer.concat(parts)))
      })
    const back = await request(t.app.server)
      .post('/api/cities/restore')
      .set(AUTH)
      .field('as', '990200')
      .attach('file', exp.body as Buffer, 'c.ndjson.gz')
    expect(back.status, JSON.stringify(back.body)).toBe(201)
    const recs = await get(t.app, '/api/cities/990200/years/2025/inspections?unit=B1')
    expect(recs.body.records).toMatchObject([{ findings: ['housing_gas_hazard.no_alarm'], inspector: 'tester' }])
    const photo = await request(t.app.server).get(recs.body.records[0].photos[0].url).buffer(true)
    expect(photo.status).toBe(200)
    expect((await sharp(photo.body).metadata()).width).toBe(40)
  })
})
