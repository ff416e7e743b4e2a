// The GeoJSON reader parses a file whole, or (a large one) feature by feature from its bytes, keeping
// only byte ranges that are parsed again on each read. Both must give the same features, names and
// CRS, in UTF-8 and in GBK (whose two-byte characters can end in a backslash byte), and the same rows.
import iconv from 'iconv-lite'
import { describe, expect, it } from 'vitest'
import { AppError } from '../../errors.ts'
import { layerDef } from '../../layers/definitions.ts'
import { normaliseStream } from '../normalise.ts'
import { readGeoJson } from './geojson.ts'
import type { ReadResult } from './types.ts'

// 乗 and 奬 are 0x81 0x5C and 0x8A 0x5C in GBK: the second byte is the backslash.
const NAMES = ['滨河乗', '望湖"奬', '中关村\\街道', 'Ascii name']
const doc = (extra = '') =>
  `\uFEFF{"type":"FeatureCollection","name":"乗","crs":{"type":"name","properties":{"name":"EPSG:4490"}},` +
  `"features":[\n${NAMES.map(
    (n, i) =>
      `{"type":"Feature","properties":{"code":"S${i}","name":${JSON.stringify(n)}${i === 2 ? ',"note":"only here"' : ''}},` +
      `"geometry":{"type":"Polygon","coordinates":[[[117.${i},31.8],[117.${i}1,31.8],[117.${i}1,31.81],[117.${i},31.8]]]}}`,
  ).join(',\n')}${extra}]}\n`
const OPTS = { maxFeatures: 1000, maxUnpackedBytes: 0 }

function all(r: ReadResult) {
  return Array.from({ length: r.features.length }, (_, i) => r.features.at(i))
}

describe('GeoJSON read from bytes', () => {
  for (const [label, bytes, encoding] of [
    ['UTF-8 with a BOM', Buffer.from(doc()), undefined],
    ['GBK, detected', iconv.encode(doc().slice(1), 'gbk'), undefined],
    ['GBK, declared', iconv.encode(doc().slice(1), 'gbk'), 'GBK'],
  ] as const)
    it(`${label}: parsed features and byte ranges read the same`, () => {
      const kept = readGeoJson(bytes, 'f.geojson', { ...OPTS, encoding })
      const ranges = readGeoJson(bytes, 'f.geojson', { ...OPTS, encoding, keepParsedBytes: 0 })
      expect(Array.isArray(kept.features)).toBe(true)
      expect(Array.isArray(ranges.features)).toBe(false)
      expect(all(kept).map((f) => f?.properties.name)).toEqual(NAMES)
      expect(all(ranges)).toEqual(all(kept))
      expect(ranges.features.at(4)).toBeUndefined()
      expect(kept.fieldNames).toEqual(['code', 'name', 'note'])
      expect(ranges.fieldNames).toEqual(kept.fieldNames)
      expect(kept.crsName).toBe('EPSG:4490')
      expect(ranges.crsName).toBe('EPSG:4490')
      expect(ranges.encoding).toBe(kept.encoding)
      expect(ranges.extent?.bbox).toEqual({ minX: 117, minY: 31.8, maxX: 117.31, maxY: 31.81 })
      expect(kept.encoding).toBe(encoding ? 'gbk' : bytes[0] === 0xef ? 'utf-8' : 'gbk')
    })

  it('gives the same rows to the import either way', () => {
    const def = layerDef('communities')!
    const rows = (keepParsedBytes?: number) => {
      const r = readGeoJson(Buffer.from(doc()), 'f.geojson', { ...OPTS, keepParsedBytes })
      const n = normaliseStream(r, def, { fields: { street_code: 'code' } })
      return { rows: [...n.rows], errors: n.errors }
    }
    const a = rows()
    expect(a.rows).toHaveLength(4)
    expect(rows(0)).toEqual(a)
  })

  it('names the feature whose JSON is broken, and a file that ends early', () => {
    const broken = doc(',\n{"type":"Feature","properties":{"code":"S9",},"geometry":null}')
    try {
      readGeoJson(Buffer.from(broken), 'f.geojson', { ...OPTS, keepParsedBytes: 0 })
      expect.unreachable()
    } catch (e) {
      expect((e as AppError).code).toBe('CC_PARSE_FAILED')
      expect((e as AppError).toJSON().error).toMatchObject({ file: 'f.geojson', feature: 5 })
      expect((e as AppError).message).toContain('第 5 个要素')
    }
    expect(() => readGeoJson(Buffer.from(broken), 'f.geojson', OPTS)).toThrow(
      expect.objectContaining({ code: 'CC_PARSE_FAILED' }),
    )
    for (const keepParsedBytes of [0, undefined]) {
      const cut = Buffer.from(doc()).subarray(0, 400)
      expect(() => readGeoJson(cut, 'cut.geojson', { ...OPTS, keepParsedBytes })).toThrow(/cut\.geojson/)
      expect(() => readGeoJson(Buffer.from(`${doc()}x`), 'f.geojson', { ...OPTS, keepParsedBytes })).toThrow(AppError)
    }
  })

  it('refuses too many features before parsing them, and reads a lone Feature, a geometry and UTF-16', () => {
    const R = { ...OPTS, keepParsedBytes: 0 }
    expect(() => readGeoJson(Buffer.from(doc()), 'f.geojson', { ...R, maxFeatures: 3 })).toThrow(
      expect.objectContaining({ code: 'CC_TOO_MANY_FEATURES' }),
    )
    const one = readGeoJson(
      Buffer.from('{"type":"Feature","properties":{"名称":"一"},"geometry":{"type":"Point","coordinates":[117,31]}}'),
      'one.geojson',
      R,
    )
    expect(all(one)).toEqual([{ geometry: { type: 'Point', coordinates: [117, 31] }, properties: { 名称: '一' } }])
    expect(one.fieldNames).toEqual(['名称'])
    const bare = readGeoJson(Buffer.from('{"type":"Point","coordinates":[117,31]}'), 'p.geojson', R)
    expect(bare.features.at(0)?.geometry).toEqual({ type: 'Point', coordinates: [117, 31] })
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(doc().slice(1), 'utf16le')])
    const r16 = readGeoJson(utf16, 'u16.geojson', R)
    expect(r16.encoding).toBe('utf-16le')
    expect(all(r16).map((f) => f?.properties.name)).toEqual(NAMES)
    expect(() => readGeoJson(Buffer.from('[1,2]'), 'a.geojson', R)).toThrow(
      expect.objectContaining({ code: 'CC_PARSE_FAILED' }),
    )
  })

  it('reads a file of 50,000 features or more from its bytes (two cores), fewer parsed whole, by count not size', () => {
    const points = (n: number, pad = 0) =>
      Buffer.from(
        `{"type":"FeatureCollection","features":[${Array.from(
          { length: n },
          (_, i) =>
            `{"type":"Feature","properties":{"code":"P${i}","note":"${'x'.repeat(pad)}"},"geometry":{"type":"Point","coordinates":[117.${i},31.8]}}`,
        ).join(',')}]}`,
      )
    const R = { ...OPTS, maxFeatures: 1e6 }
    const many = points(50_000)
    const few = points(1_000, 5000)
    // both past the size below which a file is parsed whole unseen, both under keepParsedBytes
    for (const b of [many, few]) expect(b.length).toBeGreaterThan(4 * 1024 * 1024)
    const fromBytes = readGeoJson(many, 'many.geojson', R)
    expect(Array.isArray(fromBytes.features)).toBe(false)
    expect(fromBytes.features.length).toBe(50_000)
    expect(fromBytes.features.at(49_999)?.properties.code).toBe('P49999')
    expect(fromBytes.fieldNames).toEqual(['code', 'note'])
    expect(Array.isArray(readGeoJson(few, 'few.geojson', R).features)).toBe(true)
    // with the second core turned off, a file that fits is parsed whole however many features it has
    expect(Array.isArray(readGeoJson(many, 'many.geojson', { ...R, worker: 'never' }).features)).toBe(true)
  })
})
