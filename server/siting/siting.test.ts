// Siting on a drawn instance whose optimum is known, through the API; and renewal ranking.
import proj4 from 'proj4'
import request from 'supertest'
import { beforeAll, describe, expect, it } from 'vitest'
import { AUTH, useTestApp } from '../../test/helpers/app.ts'
import { CRS, LOAD_ORDER, X0, Y0, fixture, sq } from '../../test/helpers/city-fixture.ts'
import { geojson, type F } from '../../test/helpers/fixtures.ts'
import { get, upload } from '../../test/helpers/upload.ts'
import { gaussKrugerEpsg } from '../import/crs.ts'

const toLonLat = proj4(gaussKrugerEpsg(4548)!.proj!, 'EPSG:4326')
const ll = (x: number, y: number) => toLonLat.forward([X0 + x, Y0 + y])
const home = (code: string, x: number, y: number, residents: number): F => ({
  geometry: { type: 'Polygon', coordinates: [sq(x - 5, y - 5, x + 5, y + 5)] },
  properties: { code, use: '住宅', floors: 3, residents },
})
const pt = (x: number, y: number, properties: Record<string, unknown> = {}) => ({
  type: 'Feature',
  properties,
  geometry: { type: 'Point', coordinates: ll(x, y) },
})

// Four homes of 30 on a line 160 m apart and one of 10 just off it; radius 100 m. Candidate C (340,500)
// reaches 30 + 30 + 10 = 70 and is the best single site, but A (180,500) + B (500,500) reach 120.
const trapCity = {
  streets: geojson([
    { geometry: { type: 'Polygon', coordinates: [sq(0, 0, 1000, 1000)] }, properties: { code: 'S1', name: '甲街道' } },
  ]),
  communities: geojson([
    { geometry: { type: 'Polygon', coordinates: [sq(0, 0, 1000, 1000)] }, properties: { code: 'C1', name: '一社区' } },
  ]),
  buildings: geojson([
    home('Q1', 100, 500, 30),
    home('Q2', 260, 500, 30),
    home('Q3', 420, 500, 30),
    home('Q4', 580, 500, 30),
    home('Q5', 340, 590, 10),
    home('Q6', 900, 500, 50),
  ]),
  facilities: geojson([
    {
      geometry: { type: 'Point', coordinates: [X0 + 900, Y0 + 550] },
      properties: { name: '已有幼儿园', type: '幼儿园' },
    },
  ]), // Q6 is covered already
}

describe('城市更新 siting', () => {
  const t = useTestApp()
  beforeAll(async () => {
    for (const [layer, file] of Object.entries(trapCity))
      expect((await upload(t.app, 2030, layer, file, `${layer}.geojson`, CRS)).status).toBe(201)
    for (const layer of LOAD_ORDER)
      expect((await upload(t.app, 2025, layer, fixture[layer], `${layer}.geojson`, CRS)).status).toBe(201)
    const job = await request(t.app.server).post('/api/years/2025/indicators/compute').set(AUTH)
    for (let i = 0; i < 200 && (await get(t.app, job.body.status)).body.state !== 'succeeded'; i++)
      await new Promise((r) => setTimeout(r, 50))
  })

  const post = (year: number, body: object, q = '') =>
    request(t.app.server).post(`/api/years/${year}/siting${q}`).set(AUTH).send(body)

  it('small instance: solved exactly, with greedy’s own shortfall reported', async () => {
    const candidates = { type: 'FeatureCollection', features: [pt(180, 500), pt(500, 500), pt(340, 500), pt(900, 500)] }
    const r = await post(2030, { facilityType: '幼儿园', radius: 100, count: 2, candidates })
    expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(200)
    expect(r.body.demand).toMatchObject({ buildings: 5, weight: 130 }) // Q6 is already covered
    expect(r.body.solution).toMatchObject({
      objective: 120,
      greedyObjective: 100,
      exactObjective: 120,
      exact: true,
      maxGapToOptimum: 0,
    })
    expect(r.body.solution.greedyGapToOptimum).toBeCloseTo(20 / 120, 6)
    expect(r.body.sites.map((s: { newlyCoveredResidents: number }) => s.newlyCoveredResidents)).toEqual([60, 60])
    const lons = r.body.sites.map((s: { lon: number }) => s.lon).sort()
    expect(lons[0]).toBeCloseTo(ll(180, 500)[0], 6)
    expect(lons[1]).toBeCloseTo(ll(500, 500)[0], 6)
    const c1 = r.body.units.find((u: { code: string }) => u.code === 'C1')
    expect(c1.before).toBeCloseTo((100 * 100) / 600, 2) // Q6's footprint of six equal ones
    expect(c1.after).toBeCloseTo((100 * 500) / 600, 2) // + Q1–Q4 (Q5 stays out)
  })

  it('forced greedy takes the straddling site and says how far from the optimum it may be', async () => {
    const candidates = { type: 'FeatureCollection', features: [pt(180, 500), pt(500, 500), pt(340, 500)] }
    const r = await post(2030, { facilityType: 'kindergarten', radius: 100, count: 2, candidates, method: 'greedy' })
    expect(r.body.solution).toMatchObject({ objective: 100, exact: false })
    expect(r.body.solution.upperBound).toBeGreaterThanOrEqual(120)
    expect(r.body.solution.maxGapToOptimum).toBeGreaterThan(0)
    expect(r.body.sites[0].newlyCoveredResidents).toBe(70)
  })

  it('generated grid candidates avoid existing buildings; GeoJSON and CSV exports', async () => {
    const r = await post(2030, { facilityType: 'kindergarten', radius: 100, count: 2, grid: { spacing: 50 } })
    expect(r.body.candidates.excludedOnBuildings).toBeGreaterThanOrEqual(1) // (100, 500) lies inside Q1
    expect(r.body.solution.objective).toBeGreaterThanOrEqual(100)
    expect(r.body.solution.upperBound).toBeGreaterThanOrEqual(120)
    const g = await post(
      2030,
      { facilityType: 'kindergarten', radius: 100, count: 2, grid: { spacing: 50 } },
      '?format=geojson',
    )
    expect(g.body.features).toHaveLength(2)
    const c = await post(
      2030,
      { facilityType: 'kindergarten', radius: 100, count: 2, grid: { spacing: 50 } },
      '?format=csv',
    )
    expect(c.text).toContain('新增覆盖居民')
  })

  it('refuses what it cannot answer, with the field at fault', async () => {
    expect((await post(2030, { indicator: 'park_per_capita', count: 1, grid: {} })).body.error).toMatchObject({
      code: 'CC_OPTION_INVALID',
      field: 'indicator',
    })
    expect((await post(2030, { facilityType: '火箭', count: 1, grid: {} })).body.error.field).toBe('facilityType')
    expect((await post(2030, { facilityType: 'kindergarten', count: 1 })).body.error.field).toBe('candidates')
    expect(
      (await post(2030, { facilityType: 'kindergarten', count: 1, grid: { streets: ['NOPE'] } })).body.error.field,
    ).toBe('grid')
  })

  it('ranks 社区 and 小区 for renewal; weights move the scores', async () => {
    const r = await get(t.app, '/api/years/2025/renewal?level=community')
    const scores = r.body.units.map((u: { score: number }) => u.score)
    expect(scores).toEqual([...scores].sort((a: number, b: number) => b - a))
    expect(r.body.units[0]).toMatchObject({ code: 'C2' })
    expect(r.body.units[0].projects.length).toBeGreaterThan(0)
    const w = await get(
      t.app,
      `/api/years/2025/renewal?level=community&weights=${encodeURIComponent(JSON.stringify({ kindergarten_coverage: 0 }))}`,
    )
    const c2 = w.body.units.find((u: { code: string }) => u.code === 'C2')
    expect(c2.score).toBeLessThan(r.body.units[0].score)
    const a = await get(t.app, '/api/years/2025/renewal?level=residential-area')
    expect(a.body.units.map((u: { code: string }) => u.code).sort()).toEqual(['A1', 'A2'])
    expect(a.body.units[0].worst.length).toBeGreaterThan(0)
    const x = await get(t.app, '/api/years/2025/renewal?level=community&format=csv')
    expect(x.text).toContain('主要问题')
  })
})
