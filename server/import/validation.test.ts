// Every validation error: a 4xx with a stable code and a bilingual message naming file, feature and field.
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../test/helpers/app.ts'
import { geojson, ll, pointF, polygonF, rect, shapefileParts, zip, type Pos } from '../../test/helpers/fixtures.ts'
import { get, upload } from '../../test/helpers/upload.ts'

const street = (code: string, x0: number, x1: number) => polygonF(rect(x0, 0, x1, 1000), { code, name: `街道${code}` })
const bowtie: Pos[] = [ll(0, 0), ll(100, 100), ll(100, 0), ll(0, 100), ll(0, 0)]

function expectError(res: { status: number; body: { error: Record<string, unknown> } }, status: number, code: string) {
  expect(res.status).toBe(status)
  expect(res.body.error.code).toBe(code)
  // 中文 first, then English, separated by " / ".
  expect(res.body.error.message).toMatch(/[\u4e00-\u9fff].* \/ [A-Za-z]/)
  return res.body.error as {
    message: string
    issues?: Record<string, unknown>[]
    file?: string
    feature?: unknown
    field?: string
  }
}

describe('validation errors', () => {
  const t = useTestApp()

  it('invalid geometry is refused with the feature index and GEOS reason; repair accepts it with a warning', async () => {
    const file = geojson([street('A', 0, 500), polygonF(bowtie, { code: 'B', name: '自相交' })])
    const e = expectError(await upload(t.app, 2025, 'streets', file, 'bad.geojson'), 422, 'CC_GEOMETRY_INVALID')
    expect(e.message).toContain('bad.geojson')
    expect(e.message).toContain('第 2 个要素')
    expect(e.message).toContain('feature 2')
    expect(e.issues![0]).toMatchObject({
      code: 'CC_GEOMETRY_INVALID',
      feature: 2,
      reason: expect.stringMatching(/Self-intersection/i),
    })
    const ok = await upload(t.app, 2025, 'streets', file, 'bad.geojson', { onInvalid: 'repair' })
    expect(ok.status).toBe(201)
    expect(ok.body.warnings).toEqual([
      expect.objectContaining({ code: 'CC_GEOMETRY_INVALID', feature: 2, repaired: true }),
    ])
    const valid = await t.db.knex.raw(
      `SELECT bool_and(ST_IsValid(geom)) v, max(ST_NumGeometries(geom)) n FROM streets WHERE upload_id = ?`,
      [ok.body.uploadId],
    )
    expect(valid.rows[0]).toEqual({ v: true, n: 2 }) // the bow-tie became two triangles
  })

  it('wrong geometry type names the type and the layer’s expectation', async () => {
    const e = expectError(
      await upload(t.app, 2025, 'communities', geojson([pointF(ll(1, 1), { code: 'C1' })]), 'pts.geojson'),
      422,
      'CC_GEOMETRY_TYPE',
    )
    expect(e.message).toContain('Point')
    expect(e.message).toContain('Polygon/MultiPolygon')
  })

  it('a feature without geometry', async () => {
    const e = expectError(
      await upload(
        t.app,
        2025,
        'streets',
        geojson([street('A', 0, 10), { geometry: null, properties: { code: 'B' } }]),
        'n.geojson',
      ),
      422,
      'CC_GEOMETRY_EMPTY',
    )
    expect(e.feature).toBe(2)
  })

  it('a required field missing from the file, and from one feature', async () => {
    const e1 = expectError(
      await upload(t.app, 2025, 'facilities', geojson([pointF(ll(1, 1), { name: '无类型' })]), 'f.geojson'),
      422,
      'CC_FIELD_ABSENT',
    )
    expect(e1.message).toContain('type')
    const e2 = expectError(
      await upload(
        t.app,
        2025,
        'jobs',
        geojson([pointF(ll(1, 1), { jobs: 10 }), pointF(ll(2, 2), { jobs: null })]),
        'j.geojson',
      ),
      422,
      'CC_FIELD_MISSING',
    )
    expect(e2.feature).toBe(2)
    expect(e2.field).toBe('jobs')
  })

  it('a value of the wrong type names the field and the value', async () => {
    const file = geojson([
      polygonF(rect(0, 0, 10, 10), { code: 'B1', 层数: '12层' }),
      polygonF(rect(20, 0, 30, 10), { code: 'B2', 层数: '很高' }),
    ])
    const e = expectError(await upload(t.app, 2025, 'buildings', file, 'b.geojson'), 422, 'CC_FIELD_TYPE')
    expect(e).toMatchObject({ feature: 2, field: '层数' })
    expect(e.message).toContain('很高')
    expect(e.issues).toHaveLength(1) // "12层" is read as 12
  })

  it('a facility type outside the vocabulary; the types mapping fixes it', async () => {
    const file = geojson([
      pointF(ll(1, 1), { name: 'A', type: '幼儿园' }),
      pointF(ll(2, 2), { name: 'B', type: '儿童之家' }),
      pointF(ll(3, 3), { name: 'C', type: '儿童之家' }),
    ])
    const e = expectError(await upload(t.app, 2025, 'facilities', file, 'f.geojson'), 422, 'CC_FIELD_UNKNOWN_VALUE')
    expect(e.issues).toHaveLength(1) // one per distinct value
    expect(e.issues![0]).toMatchObject({ feature: 2, value: '儿童之家', field: 'type' })
    const ok = await upload(t.app, 2025, 'facilities', file, 'f.geojson', { types: { 儿童之家: 'nursery' } })
    expect(ok.status).toBe(201)
  })

  it('an explicit field mapping that names a missing attribute', async () => {
    const e = expectError(
      await upload(t.app, 2025, 'streets', geojson([street('A', 0, 10)]), 's.geojson', { fields: { name: 'JDMC' } }),
      422,
      'CC_FIELD_MAPPING',
    )
    expect(e.message).toContain('JDMC')
    expect(e.message).toContain('code, name') // the fields that are there
    const bad = expectError(
      await upload(t.app, 2025, 'streets', geojson([street('A', 0, 10)]), 's.geojson', { fields: '{not json' }),
      400,
      'CC_OPTION_INVALID',
    )
    expect(bad.field).toBe('fields')
  })

  it('duplicate codes name both features', async () => {
    const e = expectError(
      await upload(
        t.app,
        2025,
        'streets',
        geojson([street('A', 0, 10), street('B', 20, 30), street('A', 40, 50)]),
        'd.geojson',
      ),
      422,
      'CC_DUPLICATE_CODE',
    )
    expect(e.issues![0]).toMatchObject({ feature: 3, other: 1, featureCode: 'A' })
  })

  it('a 社区 outside every 街道, and overlapping 社区', async () => {
    expect((await upload(t.app, 2024, 'streets', geojson([street('S1', 0, 1000)]), 's.geojson')).status).toBe(201)
    const outside = geojson([
      polygonF(rect(100, 100, 400, 400), { code: 'C1' }),
      polygonF(rect(5000, 100, 5400, 400), { code: 'C2' }),
    ])
    const e1 = expectError(
      await upload(t.app, 2024, 'communities', outside, 'c.geojson'),
      422,
      'CC_COMMUNITY_OUTSIDE_STREET',
    )
    expect(e1.issues![0]).toMatchObject({ feature: 2, featureCode: 'C2' })
    const overlap = geojson([
      polygonF(rect(100, 100, 400, 400), { code: 'C1' }),
      polygonF(rect(390, 100, 700, 400), { code: 'C2' }),
      polygonF(rect(700, 100, 900, 400), { code: 'C3' }),
    ])
    const e2 = expectError(await upload(t.app, 2024, 'communities', overlap, 'c.geojson'), 422, 'CC_COMMUNITY_OVERLAP')
    expect(e2.issues).toHaveLength(1) // C2/C3 only touch
    expect(e2.issues![0]).toMatchObject({ feature: 1, other: 2, featureCode: 'C1', otherCode: 'C2' })
    expect(Number(e2.issues![0].areaM2)).toBeGreaterThan(2900) // 10 m × 300 m
    expect(Number(e2.issues![0].areaM2)).toBeLessThan(3100)
  })

  it('coordinates outside China suggest what they look like', async () => {
    const e = expectError(
      await upload(
        t.app,
        2025,
        'streets',
        geojson([
          polygonF(
            [
              [39.9, 116.3],
              [39.91, 116.3],
              [39.91, 116.31],
              [39.9, 116.3],
            ],
            { code: 'A' },
          ),
        ]),
        'swap.geojson',
        { crs: 'EPSG:4326' },
      ),
      422,
      'CC_COORDS_OUTSIDE_CHINA',
    )
    expect(e.message).toContain('swap.geojson')
    expect(e.message).toContain('颠倒')
    expect(e.field).toBe('crs')
    const e2 = expectError(
      await upload(
        t.app,
        2025,
        'streets',
        geojson([
          polygonF(
            [
              [2.35, 48.85],
              [2.36, 48.85],
              [2.36, 48.86],
              [2.35, 48.85],
            ],
            { code: 'P' },
          ),
        ]),
        'paris.geojson',
      ),
      422,
      'CC_CRS_UNDETECTED',
    )
    expect(e2.message).toContain('paris.geojson')
  })

  it('files that are not what they claim', async () => {
    expectError(
      await upload(t.app, 2025, 'streets', Buffer.from('{"type": "FeatureCollection", "features": ['), 'cut.geojson'),
      400,
      'CC_PARSE_FAILED',
    )
    expectError(await upload(t.app, 2025, 'streets', Buffer.from([0, 1, 2, 3, 4]), 'x.bin'), 415, 'CC_FORMAT_UNKNOWN')
    expectError(await upload(t.app, 2025, 'streets', geojson([]), 'empty.geojson'), 422, 'CC_EMPTY_LAYER')
    const parts = shapefileParts({
      name: 'a',
      features: [street('A', 0, 10)],
      fields: [{ name: 'code', type: 'C', length: 5 }],
    })
    const e = expectError(
      await upload(
        t.app,
        2025,
        'streets',
        zip({ ...parts, 'b.shp': parts['a.shp'], 'b.dbf': parts['a.dbf'] }),
        'two.zip',
      ),
      400,
      'CC_ZIP_MANY_SHAPEFILES',
    )
    expect(e.message).toContain('a.shp')
    const noDbf = shapefileParts({
      features: [street('A', 0, 10)],
      fields: [{ name: 'code', type: 'C', length: 5 }],
      omit: ['dbf'],
    })
    expect(
      expectError(await upload(t.app, 2025, 'streets', zip(noDbf), 'nodbf.zip'), 400, 'CC_SHAPEFILE_PART_MISSING')
        .message,
    ).toContain('.dbf')
    expectError(
      await upload(t.app, 2025, 'streets', zip({ 'readme.txt': Buffer.from('hi') }), 'none.zip'),
      400,
      'CC_ZIP_NO_SHAPEFILE',
    )
    expectError(
      await upload(t.app, 2025, 'streets', geojson([street('A', 0, 10)]), 's.geojson', { encoding: 'EBCDIC-X' }),
      400,
      'CC_ENCODING_UNSUPPORTED',
    )
  })

  it('bad paths and requests', async () => {
    expectError(
      await upload(t.app, 2025, 'rivers', geojson([street('A', 0, 10)]), 's.geojson'),
      404,
      'CC_LAYER_UNKNOWN',
    )
    expectError(
      await upload(t.app, 1800, 'streets', geojson([street('A', 0, 10)]), 's.geojson'),
      400,
      'CC_YEAR_INVALID',
    )
    expectError(await get(t.app, '/api/years/2025/layers/rivers'), 404, 'CC_LAYER_UNKNOWN')
    expectError(await get(t.app, '/api/nothing-here'), 404, 'CC_NOT_FOUND')
    expectError(
      await upload(t.app, 2025, 'streets', geojson([street('A', 0, 10)]), 's.geojson', { onInvalid: 'ignore' }),
      400,
      'CC_OPTION_INVALID',
    )
  })

  it('every failed attempt is in the upload log with its error', async () => {
    const log = await get(t.app, '/api/uploads?year=2024&layer=communities')
    expect(log.body.uploads.length).toBeGreaterThanOrEqual(2)
    expect(log.body.uploads[0]).toMatchObject({
      status: 'failed',
      uploader: 'tester',
      file_name: 'c.geojson',
      error: { code: 'CC_COMMUNITY_OVERLAP' },
    })
  })
})
