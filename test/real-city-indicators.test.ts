// Coverage on the real Haidian data agrees with an independent computation written straight in
// PostGIS (ST_DWithin in the projected CGCS2000 zone EPSG:4548) to within 0.1 percentage point.
import fs from 'node:fs'
import path from 'node:path'
import request from 'supertest'
import { beforeAll, describe, expect, it } from 'vitest'
import { AUTH, useTestApp } from './helpers/app.ts'
import { get, upload } from './helpers/upload.ts'
import { HAIDIAN } from './helpers/paths.ts'

const present = fs.existsSync(path.join(HAIDIAN, 'jiedao.geojson'))

describe.skipIf(!present)('real city indicators vs plain PostGIS SQL', () => {
  const t = useTestApp()
  let versions: Record<string, number>

  beforeAll(async () => {
    for (const [layer, file] of [
      ['streets', 'jiedao.geojson'],
      ['residential-areas', 'landuse_residential.geojson'],
      ['buildings', 'buildings.geojson'],
      ['facilities', 'facilities.geojson'],
      ['green-spaces', 'green_spaces.geojson'],
    ]) {
      const r = await upload(t.app, 2025, layer, fs.readFileSync(path.join(HAIDIAN, file)), file)
      expect(r.status).toBe(201)
    }
    const job = await request(t.app.server).post('/api/years/2025/indicators/compute').set(AUTH)
    for (let i = 0; i < 400; i++) {
      const j = await get(t.app, job.body.status)
      if (j.body.state === 'succeeded') break
      if (j.body.state === 'failed') throw new Error(JSON.stringify(j.body.error))
      await new Promise((r) => setTimeout(r, 50))
    }
    versions = Object.fromEntries(
      (await t.db.knex('layer_current').where({ year: 2025 })).map((r) => [r.layer, r.upload_id]),
    )
  })

  // The same rule as the engine, written independently: residential by use, or unknown use inside a 小区.
  const sqlCoverage = async (where: string, radius: number, street?: string) => {
    const r = await t.db.knex.raw(
      `
      WITH b AS (
        SELECT ST_Transform(ST_PointOnSurface(geom), 4548) p, ST_Area(geom::geography) a, ST_PointOnSurface(geom) ll
        FROM buildings b WHERE upload_id = :b
          AND (residential OR (residential IS NULL AND EXISTS (SELECT 1 FROM residential_areas r WHERE r.upload_id = :r AND ST_Intersects(r.geom, ST_PointOnSurface(b.geom)))))
      ), s AS (SELECT ST_Transform(geom, 4548) g FROM (${where}) x)
      SELECT 100 * sum(a) FILTER (WHERE EXISTS (SELECT 1 FROM s WHERE ST_DWithin(s.g, b.p, :radius))) / sum(a) AS v
      FROM b ${street ? `WHERE EXISTS (SELECT 1 FROM streets st WHERE st.upload_id = :s AND st.name = :street AND ST_Intersects(st.geom, b.ll))` : ''}`,
      { b: versions.buildings, r: versions['residential-areas'], s: versions.streets, radius, street: street ?? null },
    )
    return Number(r.rows[0].v)
  }
  const ours = async (code: string, unitName?: string) => {
    const r = await get(t.app, `/api/years/2025/indicators/${code}`)
    return r.body.results.find((x: { level: string; name: string }) =>
      unitName ? x.name === unitName : x.level === 'city',
    ).value as number
  }
  const fac = (types: string[]) =>
    `SELECT geom FROM facilities WHERE upload_id = ${versions.facilities} AND type IN (${types.map((x) => `'${x}'`).join(',')})`
  const green = (minArea: number, parks: boolean) =>
    `SELECT geom FROM green_spaces WHERE upload_id = ${versions['green-spaces']} AND area_m2 >= ${minArea}${parks ? ` AND kind ~* 'park|garden|playground|公园|游园'` : ''}`

  it.each([
    ['kindergarten_coverage', ['kindergarten'], 300],
    ['market_coverage', ['food_market', 'supermarket'], 500],
    ['bus_stop_coverage', ['bus_stop', 'transit'], 500],
    ['sports_ground_coverage', ['sports_ground'], 500],
    ['fitness_coverage', ['fitness_ground', 'sports_ground'], 300],
    ['health_station_coverage', ['community_health_station', 'community_health_centre'], 300],
  ] as const)('%s (city and 清华园街道)', async (code, types, radius) => {
    const city = await ours(code)
    expect(Math.abs(city - (await sqlCoverage(fac([...types]), radius)))).toBeLessThan(0.1)
    const qhy = await ours(code, '清华园街道')
    expect(Math.abs(qhy - (await sqlCoverage(fac([...types]), radius, '清华园街道')))).toBeLessThan(0.1)
  })

  it('green reach: 300米见绿 and 500米见园 against the same in SQL', async () => {
    expect(Math.abs((await ours('green_300m')) - (await sqlCoverage(green(400, false), 300)))).toBeLessThan(0.1)
    expect(Math.abs((await ours('park_500m')) - (await sqlCoverage(green(10000, true), 500)))).toBeLessThan(0.1)
  })

  it('the result is not trivial (some but not all covered)', async () => {
    const v = await ours('bus_stop_coverage')
    expect(v).toBeGreaterThan(10)
    expect(await ours('kindergarten_coverage')).toBeLessThan(v)
  })
})
