// The real OpenStreetMap-derived data of Beijing Haidian in ../shared/geodata (read in place, never
// copied). Skipped where that folder is absent. Counts are the ones its README gives.
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { useTestApp } from './helpers/app.ts'
import { get, upload } from './helpers/upload.ts'
import { HAIDIAN } from './helpers/paths.ts'

const present = fs.existsSync(path.join(HAIDIAN, 'jiedao.geojson'))

describe.skipIf(!present)('real city: Beijing Haidian (../shared/geodata)', () => {
  const t = useTestApp()
  const load = (layer: string, file: string, fields: Record<string, string> = {}) =>
    upload(t.app, 2025, layer, fs.readFileSync(path.join(HAIDIAN, file)), file, fields)

  it.each([
    ['streets', 'jiedao.geojson', 29],
    ['buildings', 'buildings.geojson', 889],
    ['facilities', 'facilities.geojson', 439],
    ['green-spaces', 'green_spaces.geojson', 92],
    ['residential-areas', 'landuse_residential.geojson', 19],
  ])('%s from %s loads all %i features', async (layer, file, count) => {
    const res = await load(layer, file)
    expect(res.status, JSON.stringify(res.body).slice(0, 500)).toBe(201)
    expect(res.body).toMatchObject({ featureCount: count, crs: 'EPSG:4490', encoding: 'utf-8' })
  })

  it('keeps the attributes that matter, under canonical names', async () => {
    const jd = (await get(t.app, '/api/years/2025/layers/streets?limit=100')).body.features
    const qhy = jd.find((f: { properties: { name: string } }) => f.properties.name === '清华园街道')
    expect(qhy).toBeDefined()
    const total = jd.reduce((a: number, f: { properties: { population: number } }) => a + f.properties.population, 0)
    expect(total).toBe(3133469) // 七普 Haidian total, per the data README
    const b = (await get(t.app, '/api/years/2025/layers/buildings?limit=2000')).body.features
    expect(b.filter((f: { properties: { floors: number | null } }) => f.properties.floors != null)).toHaveLength(18)
    const f = (await get(t.app, '/api/years/2025/layers/facilities?limit=1000')).body.features
    const byType = (ty: string) => f.filter((x: { properties: { type: string } }) => x.properties.type === ty).length
    expect(byType('kindergarten')).toBe(4)
    expect(byType('transit')).toBe(230)
    expect(byType('school')).toBe(11)
  })

  it('facility areas (polygons) load into the same facilities layer', async () => {
    const res = await upload(
      t.app,
      2024,
      'facilities',
      fs.readFileSync(path.join(HAIDIAN, 'facilities_areas.geojson')),
      'facilities_areas.geojson',
    )
    expect(res.status).toBe(201)
    expect(res.body.featureCount).toBe(141)
  })
})
