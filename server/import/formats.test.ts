// Every format, CRS family and encoding through the real API onto real PostGIS.
import proj4 from 'proj4'
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../test/helpers/app.ts'
import {
  PRJ_GK_CM117,
  geojson,
  ll,
  mapCoords,
  pointF,
  polygonF,
  rect,
  shapefileZip,
  zip,
  type Pos,
} from '../../test/helpers/fixtures.ts'
import { get, upload } from '../../test/helpers/upload.ts'
import { gaussKrugerEpsg } from './crs.ts'
import { wgs84ToGcj02, gcj02ToBd09 } from './gcj02.ts'

const streets = () => [
  polygonF(rect(0, 0, 1000, 800), { code: '990101001000', name: '滨河街道', population: 30000 }),
  polygonF(rect(1000, 0, 2000, 800), { code: '990101002000', name: '望湖街道', population: 25000 }),
]
const gk = (code: number) => proj4('EPSG:4326', gaussKrugerEpsg(code)!.proj!)
const toGk =
  (code: number) =>
  (p: Pos): Pos =>
    gk(code).forward(p) as Pos

/** The stored first vertex of the first feature. */
async function firstVertex(t: ReturnType<typeof useTestApp>, year: number, layer: string): Promise<Pos> {
  const g = await get(t.app, `/api/years/${year}/layers/${layer}`)
  const geom = g.body.features[0].geometry
  return geom.type === 'Point' ? geom.coordinates : geom.coordinates[0][0][0]
}

describe('upload formats, coordinate systems and encodings', () => {
  const t = useTestApp()
  const expected = ll(0, 0)

  it('GeoJSON in CGCS2000 longitude/latitude', async () => {
    const res = await upload(t.app, 2025, 'streets', geojson(streets()), 'streets.geojson')
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({
      featureCount: 2,
      format: 'geojson',
      crs: 'EPSG:4490',
      crsSource: 'detected',
      fieldMap: { code: 'code', name: 'name', population: 'population' },
    })
    const g = await get(t.app, '/api/years/2025/layers/streets')
    expect(g.body.features.map((f: { properties: { name: string } }) => f.properties.name)).toEqual([
      '滨河街道',
      '望湖街道',
    ])
    expect(g.body.features[0].properties.population).toBe(30000)
  })

  it('GeoJSON with a legacy crs member naming EPSG:4548', async () => {
    const res = await upload(
      t.app,
      2026,
      'streets',
      geojson(mapCoords(streets(), toGk(4548)), {
        crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::4548' } },
      }),
      's.geojson',
    )
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({ crs: 'EPSG:4548', crsSource: 'file' })
    const [lon, lat] = await firstVertex(t, 2026, 'streets')
    expect(lon).toBeCloseTo(expected[0], 7)
    expect(lat).toBeCloseTo(expected[1], 7)
  })

  it('zipped Shapefile in a CGCS2000 3° zone with .prj, GBK text named by .cpg, Chinese field names', async () => {
    const feats = mapCoords(streets(), toGk(4548)).map((f) => ({
      ...f,
      properties: { 代码: f.properties.code, 名称: f.properties.name, 人口: f.properties.population },
    }))
    const file = shapefileZip({
      name: '街道',
      features: feats,
      fields: [
        { name: '代码', type: 'C', length: 12 },
        { name: '名称', type: 'C', length: 40 },
        { name: '人口', type: 'N', length: 10 },
      ],
      encoding: 'gbk',
      cpg: 'GBK',
      prj: PRJ_GK_CM117,
    })
    const res = await upload(t.app, 2027, 'streets', file, 'streets.zip')
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({
      format: 'shapefile',
      crs: expect.stringMatching(/GK|4548/),
      crsSource: 'file',
      encoding: 'gbk',
      encodingSource: 'cpg',
      fieldMap: { code: '代码', name: '名称', population: '人口' },
    })
    const g = await get(t.app, '/api/years/2027/layers/streets')
    expect(g.body.features[0].properties).toMatchObject({ code: '990101001000', name: '滨河街道', population: 30000 })
    const [lon, lat] = g.body.features[0].geometry.coordinates[0][0].find(
      (p: Pos) => Math.abs(p[0] - expected[0]) < 1e-5 && Math.abs(p[1] - expected[1]) < 1e-5,
    )
    expect(lon).toBeCloseTo(expected[0], 7)
    expect(lat).toBeCloseTo(expected[1], 7)
  })

  it('zipped Shapefile, GBK without .cpg: LDID 0x4D, then detection', async () => {
    const fields = [
      { name: 'MC', type: 'C' as const, length: 40 },
      { name: 'DM', type: 'C' as const, length: 12 },
    ]
    const feats = streets().map((f) => ({ ...f, properties: { MC: f.properties.name, DM: f.properties.code } }))
    const a = await upload(
      t.app,
      2028,
      'streets',
      shapefileZip({ features: feats, fields, encoding: 'gbk', ldid: 0x4d }),
      'a.zip',
    )
    expect(a.body).toMatchObject({ encoding: 'gbk', encodingSource: 'ldid', fieldMap: { name: 'MC', code: 'DM' } })
    const b = await upload(t.app, 2029, 'streets', shapefileZip({ features: feats, fields, encoding: 'gbk' }), 'b.zip')
    expect(b.body).toMatchObject({ encoding: 'gbk', encodingSource: 'detected' })
    expect((await get(t.app, '/api/years/2029/layers/streets')).body.features[1].properties.name).toBe('望湖街道')
    // The uploader's declared encoding wins over everything.
    const c = await upload(
      t.app,
      2030,
      'streets',
      shapefileZip({ features: feats, fields, encoding: 'utf-8', cpg: 'GBK' }),
      'c.zip',
      { encoding: 'UTF-8' },
    )
    expect(c.body).toMatchObject({ encoding: 'utf-8', encodingSource: 'declared' })
    expect((await get(t.app, '/api/years/2030/layers/streets')).body.features[0].properties.name).toBe('滨河街道')
  })

  it('Gauss-Kruger with zone prefix (3° zone 39) and 6° zone 20 are detected without a .prj', async () => {
    const a = await upload(t.app, 2031, 'streets', geojson(mapCoords(streets(), toGk(4527))), 'a.geojson')
    expect(a.body).toMatchObject({ crs: 'EPSG:4527', crsSource: 'detected' })
    const b = await upload(t.app, 2032, 'streets', geojson(mapCoords(streets(), toGk(4498))), 'b.geojson')
    expect(b.body).toMatchObject({ crs: 'EPSG:4498', crsSource: 'detected' })
    for (const y of [2031, 2032]) {
      const [lon, lat] = await firstVertex(t, y, 'streets')
      expect(lon).toBeCloseTo(expected[0], 7)
      expect(lat).toBeCloseTo(expected[1], 7)
    }
  })

  it('Gauss-Kruger without prefix is refused with a hint, then accepted when declared', async () => {
    const file = shapefileZip({
      features: mapCoords(streets(), toGk(4548)),
      fields: [{ name: 'code', type: 'C', length: 12 }],
    })
    const bad = await upload(t.app, 2033, 'streets', file, 'gk.zip')
    expect(bad.status).toBe(422)
    expect(bad.body.error.code).toBe('CC_CRS_UNDETECTED')
    expect(bad.body.error.message).toContain('gk.zip/layer.shp')
    expect(bad.body.error.message).toContain('EPSG:4548')
    expect(bad.body.error.field).toBe('crs')
    const ok = await upload(t.app, 2033, 'streets', file, 'gk.zip', { crs: 'EPSG:4548' })
    expect(ok.status).toBe(201)
    expect(ok.body).toMatchObject({ crs: 'EPSG:4548', crsSource: 'declared' })
  })

  it('Web Mercator is detected', async () => {
    const merc = proj4('EPSG:4326', 'EPSG:3857')
    const res = await upload(
      t.app,
      2034,
      'streets',
      geojson(mapCoords(streets(), (p) => merc.forward(p) as Pos)),
      'm.geojson',
    )
    expect(res.body).toMatchObject({ crs: 'EPSG:3857' })
    const [lon, lat] = await firstVertex(t, 2034, 'streets')
    expect(lon).toBeCloseTo(expected[0], 7)
    expect(lat).toBeCloseTo(expected[1], 7)
  })

  it('GCJ-02 and BD-09 points are de-offset when declared (to ~1e-7°)', async () => {
    const truth = ll(300, 300)
    const gcj = wgs84ToGcj02(...truth)
    const a = await upload(
      t.app,
      2035,
      'facilities',
      geojson([pointF(gcj, { name: '幼儿园甲', type: '幼儿园' })]),
      'amap.geojson',
      { crs: 'GCJ02' },
    )
    expect(a.status).toBe(201)
    const pa = await firstVertex(t, 2035, 'facilities')
    expect(Math.abs(pa[0] - truth[0])).toBeLessThan(1e-7)
    expect(Math.abs(pa[1] - truth[1])).toBeLessThan(1e-7)
    const bd = gcj02ToBd09(...gcj)
    await upload(
      t.app,
      2036,
      'facilities',
      geojson([pointF(bd, { name: '幼儿园乙', type: '幼儿园' })]),
      'baidu.geojson',
      { crs: 'BD09' },
    )
    const pb = await firstVertex(t, 2036, 'facilities')
    expect(Math.abs(pb[0] - truth[0])).toBeLessThan(1e-6)
    expect(Math.abs(pb[1] - truth[1])).toBeLessThan(1e-6)
    // Undeclared, the same numbers would have been taken as WGS84: a few hundred metres off.
    expect(Math.abs(gcj[0] - truth[0]) * 111320 * Math.cos(0.555)).toBeGreaterThan(100)
  })

  it('our Gauss-Kruger inverse agrees with PostGIS ST_Transform', async () => {
    const r = await t.db.knex.raw(
      `SELECT ST_X(g) x, ST_Y(g) y FROM (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(?, ?), 4490), 4548) g) s`,
      [expected[0], expected[1]],
    )
    const file = geojson([
      polygonF(
        [
          [r.rows[0].x, r.rows[0].y],
          [r.rows[0].x + 500, r.rows[0].y],
          [r.rows[0].x + 500, r.rows[0].y + 500],
          [r.rows[0].x, r.rows[0].y],
        ],
        { code: '1' },
      ),
    ])
    await upload(t.app, 2037, 'streets', file, 'pg.geojson', { crs: 'EPSG:4548' })
    const [lon, lat] = await firstVertex(t, 2037, 'streets')
    expect(lon).toBeCloseTo(expected[0], 8)
    expect(lat).toBeCloseTo(expected[1], 8)
  })

  it('CSV with longitude/latitude columns and CSV with WKT', async () => {
    const [x, y] = ll(100, 100)
    const csv = `名称,类型,经度,纬度,学位\n阳光幼儿园,幼儿园,${x},${y},270\n"第一小学, 东校区",小学,${x + 0.001},${y},1350\n`
    const a = await upload(t.app, 2038, 'facilities', Buffer.from(csv), 'facilities.csv')
    expect(a.status).toBe(201)
    expect(a.body).toMatchObject({
      format: 'csv',
      featureCount: 2,
      fieldMap: { name: '名称', type: '类型', capacity: '学位' },
    })
    const g = await get(t.app, '/api/years/2038/layers/facilities')
    expect(
      g.body.features.map((f: { properties: Record<string, unknown> }) => [
        f.properties.type,
        f.properties.source_type,
        f.properties.capacity,
      ]),
    ).toEqual([
      ['kindergarten', '幼儿园', 270],
      ['primary_school', '小学', 1350],
    ])
    const ring = rect(0, 0, 100, 100)
      .map((p) => p.join(' '))
      .join(', ')
    const b = await upload(
      t.app,
      2038,
      'streets',
      Buffer.from(`wkt,code,name\n"POLYGON((${ring}))",990101001000,滨河街道\n`),
      's.csv',
    )
    expect(b.status).toBe(201)
    expect(b.body.featureCount).toBe(1)
  })

  it('a GeoJSON inside a zip', async () => {
    const res = await upload(t.app, 2039, 'streets', zip({ 'data/streets.geojson': geojson(streets()) }), 'bundle.zip')
    expect(res.status).toBe(201)
    expect(res.body.featureCount).toBe(2)
  })

  it('GET with a bbox returns only what it touches, and reports the engine', async () => {
    const [minx, miny] = ll(1500, 100)
    const [maxx, maxy] = ll(1600, 200)
    const g = await get(t.app, `/api/years/2025/layers/streets?bbox=${minx},${miny},${maxx},${maxy}`)
    expect(g.body.features.map((f: { properties: { name: string } }) => f.properties.name)).toEqual(['望湖街道'])
    const bad = await get(t.app, '/api/years/2025/layers/streets?bbox=1,2,3')
    expect(bad.status).toBe(400)
    expect(bad.body.error.code).toBe('CC_BAD_REQUEST')
    const h = await get(t.app, '/api/health')
    expect(h.body).toMatchObject({ status: 'ok', engine: 'postgresql', postgis: expect.stringMatching(/^3\./) })
  })
})
