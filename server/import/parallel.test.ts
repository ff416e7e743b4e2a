// A large GeoJSON converted on two cores (parallel.ts, convert-worker.ts) stores the same rows and
// reports the same problems as one thread: duplicate codes across the blocks the two threads take,
// field problems and control characters in the worker's blocks, unknown facility types first seen in
// either, a coordinate outside the declared zone (a CRS error, thrown) in a worker's block.
import iconv from 'iconv-lite'
import { describe, expect, it } from 'vitest'
import { AppError } from '../errors.ts'
import { TEST_CITY, useTestApp } from '../../test/helpers/app.ts'
import { geojson, ll, pointF, polygonF, rect } from '../../test/helpers/fixtures.ts'
import { importLayer } from './pipeline.ts'
import { readGeoJson } from './readers/geojson.ts'

const t = useTestApp()
const BLOCK = 50 // blocks of 50 features: feature 1–50 this thread, 51–100 the worker, …

async function run(layer: string, buffer: Buffer, mode: 'always' | 'never', options = {}) {
  try {
    const r = await importLayer(
      t.db,
      { city: TEST_CITY, year: 2025, layer, fileName: `${layer}.geojson`, buffer, uploader: 'tester', options },
      { ...t.config, keepParsedBytes: 0, convertWorker: mode, convertBlock: BLOCK },
    )
    const rows = await t.db.knex.raw(
      `SELECT md5(string_agg(fid::text || coalesce(code, '') || encode(ST_AsEWKB(geom), 'hex') || coalesce(props::text, ''),
        ',' ORDER BY fid)) sum, count(*)::int n FROM ${layer === 'facilities' ? 'facilities' : 'buildings'} WHERE upload_id = ?`,
      [r.uploadId],
    )
    return { ok: rows.rows[0], warnings: r.warnings }
  } catch (e) {
    if (!(e instanceof AppError)) throw e
    return { error: e.code, issues: e.issues?.map((i) => [i.feature, i.code, i.field]) ?? e.params }
  }
}

const building = (k: number, props: Record<string, unknown> = {}) =>
  polygonF(rect((k % 40) * 30, Math.floor(k / 40) * 30, (k % 40) * 30 + 20, Math.floor(k / 40) * 30 + 20), {
    code: `B${k}`,
    floors: (k % 9) + 1,
    名称: `楼 ${k} "引号" \\ 反斜杠`,
    ...props,
  })

describe('a large GeoJSON converted on two cores', () => {
  it('stores the same rows as one thread, in fid order', async () => {
    const file = geojson(Array.from({ length: 730 }, (_, k) => building(k)))
    const one = await run('buildings', file, 'never')
    const two = await run('buildings', file, 'always')
    expect(one.ok).toEqual({ sum: expect.any(String), n: 730 })
    expect(two).toEqual(one)
  })

  it('reports the same problems: duplicate codes across blocks, bad fields and control characters', async () => {
    const features = Array.from({ length: 400 }, (_, k) => building(k))
    features[60] = building(60, { code: 'B10' }) // a worker block repeats a code of this thread's block
    features[120] = building(120, { code: 'B70' }) // and this thread's repeats the worker's
    features[75] = building(75, { floors: -3 }) // out of range, in a worker block
    features[80] = building(80, { note: 'a\u0001b' }) // a control character in a kept attribute
    features[81] = building(81, { code: 'B75' }) // a code whose first feature was left out
    features[90] = { ...building(90), geometry: { type: 'Polygon', coordinates: [[[117.2, 31.8]]] } } // malformed
    const file = geojson(features)
    const one = await run('buildings', file, 'never')
    expect(one.issues).toEqual([
      [61, 'CC_DUPLICATE_CODE', 'code'],
      [76, 'CC_FIELD_RANGE', 'floors'],
      [81, 'CC_FIELD_CONTROL_CHAR', 'note'],
      [91, expect.stringMatching(/^CC_GEOMETRY/), 'geometry'],
      [121, 'CC_DUPLICATE_CODE', 'code'],
    ])
    expect(await run('buildings', file, 'always')).toEqual(one)
  })

  it('reports each unknown facility type at its first feature, whichever thread saw it', async () => {
    const f = (k: number, type: string) => pointF(ll(k * 10, 0), { code: `F${k}`, name: `设施${k}`, type })
    const features = Array.from({ length: 300 }, (_, k) => f(k, '幼儿园'))
    features[55] = f(55, '飞艇站') // first in a worker block, again in this thread's
    features[130] = f(130, '飞艇站')
    features[20] = f(20, '时光机') // first in this thread's block, again in the worker's
    features[90] = f(90, '时光机')
    const file = geojson(features)
    const one = await run('facilities', file, 'never')
    expect(one.issues).toEqual([
      [21, 'CC_FIELD_UNKNOWN_VALUE', 'type'],
      [56, 'CC_FIELD_UNKNOWN_VALUE', 'type'],
    ])
    expect(await run('facilities', file, 'always')).toEqual(one)
  })

  it('the first pass: names in file order, the extent and malformed features, the broken feature named', () => {
    const read = (buf: Buffer, worker: 'always' | 'never') => {
      try {
        const r = readGeoJson(buf, 'f.geojson', {
          maxUnpackedBytes: 0,
          maxFeatures: 1e6,
          keepParsedBytes: 0,
          worker,
          block: BLOCK,
        })
        return { names: r.fieldNames, extent: r.extent && { ...r.extent, malformed: [...r.extent.malformed] } }
      } catch (e) {
        return { error: (e as AppError).code, message: (e as AppError).message }
      }
    }
    const features = Array.from({ length: 420 }, (_, k) => building(k, { [`only_${k}`]: k % 97 === 0 ? 1 : undefined }))
    features[333] = building(333, { 晚到的字段: '只在第 334 个要素' }) // a name first seen in a worker block
    features[64] = { ...building(64), geometry: { type: 'Polygon', coordinates: [[[117.2, 31.8]]] } }
    const file = geojson(features)
    const one = read(file, 'never')
    expect(one.names).toContain('晚到的字段')
    expect(one.extent?.malformed.map(([i]) => i)).toEqual([64])
    expect(read(file, 'always')).toEqual(one)
    // JSON broken in a worker block (feature 160), then bytes that are not GBK there (feature 180).
    const text = file.toString('latin1')
    const at = (k: number) => text.indexOf(`"code":"B${k}"`)
    const broken = Buffer.from(`${text.slice(0, at(159))}"code":B159,${text.slice(at(159) + 12)}`, 'latin1')
    const bad = read(broken, 'never')
    expect(bad).toMatchObject({ error: 'CC_PARSE_FAILED', message: expect.stringContaining('160') })
    expect(read(broken, 'always')).toEqual(bad)
    const gbk = iconv.encode(file.toString('utf8'), 'gbk')
    const gbkText = gbk.toString('latin1')
    gbk.set([0x81, 0x20], gbkText.indexOf('"code":"B179"') + 8) // a lead byte and a space: not GBK
    const notGbk = (w: 'always' | 'never') =>
      (() => {
        try {
          readGeoJson(gbk, 'g.geojson', {
            maxUnpackedBytes: 0,
            maxFeatures: 1e6,
            keepParsedBytes: 0,
            encoding: 'gbk',
            worker: w,
            block: BLOCK,
          })
          return null
        } catch (e) {
          return { error: (e as AppError).code, params: (e as AppError).params }
        }
      })()
    expect(notGbk('never')).toMatchObject({ error: 'CC_ENCODING_INVALID', params: { feature: 180 } })
    expect(notGbk('always')).toEqual(notGbk('never'))
  })

  it('throws the same CRS error for a coordinate outside the declared zone in a worker block', async () => {
    // Gauss-Kruger zone 39 (EPSG:4527, prefixed eastings); feature 77 carries zone 40's easting.
    const gk = (k: number, x: number) =>
      polygonF(
        [
          [x, 3_500_000 + k * 50],
          [x + 20, 3_500_000 + k * 50],
          [x + 20, 3_500_020 + k * 50],
          [x, 3_500_020 + k * 50],
          [x, 3_500_000 + k * 50],
        ],
        { code: `G${k}` },
      )
    const features = Array.from({ length: 200 }, (_, k) => gk(k, 39_500_000 + k))
    features[76] = gk(76, 40_500_000)
    const file = geojson(features)
    const one = await run('buildings', file, 'never', { crs: 'EPSG:4527' })
    expect(one).toMatchObject({ error: 'CC_COORDS_OUTSIDE_ZONE' })
    expect(await run('buildings', file, 'always', { crs: 'EPSG:4527' })).toEqual(one)
  })
})
