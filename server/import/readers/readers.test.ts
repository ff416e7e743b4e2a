import iconv from 'iconv-lite'
import { describe, expect, it } from 'vitest'
import { parseCsv } from './csv.ts'
import { decodeText, normaliseEncoding } from './encoding.ts'
import { openDbf as packageDbf } from 'shapefile'
import { openDbf } from './dbf.ts'
import { dbfEncoding } from './shapefile.ts'
import { parseWkt } from './wkt.ts'
import { shapefileParts, pointF, ll } from '../../../test/helpers/fixtures.ts'

describe('CSV', () => {
  it('handles quotes, doubled quotes, CRLF and tabs', () => {
    expect(parseCsv('a,b\r\n"x, y","say ""hi"""\r\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
    ])
    expect(parseCsv('a\tb\n1\t2\n')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ])
  })
  it('keeps a stray quote inside a field as text, skips empty lines, and names the line of an open quote', () => {
    expect(parseCsv('a,b\n1,x"y\n\n2,3\n')).toEqual([
      ['a', 'b'],
      ['1', 'x"y'],
      ['2', '3'],
    ])
    expect(() => parseCsv('a,b\n1,"open\n2,3\n', 'f.csv')).toThrow(/f\.csv.*引号没有闭合：到第 3 行/)
  })
})

describe('WKT', () => {
  it('reads points, polygons and multipolygons, with SRID prefix and Z', () => {
    expect(parseWkt('POINT (116.3 39.9)')).toEqual({ type: 'Point', coordinates: [116.3, 39.9] })
    expect(parseWkt('SRID=4490;POLYGON((0 0,1 0,1 1,0 0))')).toEqual({
      type: 'Polygon',
      coordinates: [
        [
          [0, 0],
          [1, 0],
          [1, 1],
          [0, 0],
        ],
      ],
    })
    expect(parseWkt('MULTIPOLYGON Z (((0 0 5,1 0 5,1 1 5,0 0 5)))').type).toBe('MultiPolygon')
    expect(() => parseWkt('POLYGON((0 0, 1 0')).toThrow()
  })
})

describe('text encodings', () => {
  it('names GBK under its usual aliases', () => {
    for (const n of ['GBK', 'gb2312', 'CP936', '936', 'cp_936']) expect(normaliseEncoding(n)).toBe('gbk')
    expect(() => normaliseEncoding('klingon')).toThrow(/klingon/)
  })
  it('decodes GBK text when it is not valid UTF-8', () => {
    const buf = iconv.encode('{"name":"中关村街道"}', 'gbk')
    expect(decodeText(buf)).toMatchObject({ text: '{"name":"中关村街道"}', encoding: 'gbk', source: 'detected' })
    expect(decodeText(Buffer.from('{"name":"中关村"}')).encoding).toBe('utf-8')
  })
  const dbfOf = (encoding: string, ldid = 0) =>
    Buffer.from(
      shapefileParts({
        features: [pointF(ll(0, 0), { 名称: '学院路街道' })],
        fields: [{ name: '名称', type: 'C', length: 40 }],
        encoding,
        ldid,
      })['layer.dbf'],
    )
  it('chooses the .dbf encoding: declared → .cpg → LDID → detection', () => {
    expect(dbfEncoding(dbfOf('gbk'), 'UTF-8', 'GBK')).toEqual({ encoding: 'gbk', source: 'declared' })
    expect(dbfEncoding(dbfOf('utf-8'), 'UTF-8', undefined)).toEqual({ encoding: 'utf-8', source: 'cpg' })
    expect(dbfEncoding(dbfOf('gbk', 0x4d), undefined, undefined)).toEqual({ encoding: 'gbk', source: 'ldid' })
    expect(dbfEncoding(dbfOf('gbk'), undefined, undefined)).toMatchObject({ encoding: 'gbk', source: 'detected' })
    expect(dbfEncoding(dbfOf('utf-8'), undefined, undefined)).toEqual({ encoding: 'utf-8', source: 'detected' })
  })
})

describe('.dbf records', () => {
  it('reads the same values as the shapefile package: text in GBK and UTF-8, numbers, blanks', async () => {
    const names = ['学院路街道', '  中关村  ', null, '乗奬（含反斜杠字节）', 'Ascii']
    for (const encoding of ['gbk', 'utf-8']) {
      const dbf = Buffer.from(
        shapefileParts({
          features: names.map((n, i) =>
            pointF(ll(i, 0), { 名称: n, 层数: i === 2 ? null : i * 3, 面积: i === 4 ? null : 12.5 * i }),
          ),
          fields: [
            { name: '名称', type: 'C', length: 40 },
            { name: '层数', type: 'N', length: 4 },
            { name: '面积', type: 'N', length: 10, decimals: 2 },
          ],
          encoding,
        })['layer.dbf'],
      )
      const ours = openDbf(dbf, encoding, 'layer.dbf')
      expect(ours.fields.map((f) => f.name)).toEqual(['名称', '层数', '面积'])
      const theirs = await packageDbf(new Uint8Array(dbf), { encoding })
      for (let i = 0; i < names.length; i++) expect(ours.record(i)).toEqual((await theirs.read()).value)
      expect(ours.record(1)).toEqual({ 名称: '中关村', 层数: 3, 面积: 12.5 })
      expect(ours.record(2)).toMatchObject({ 名称: null, 层数: null })
    }
  })
})
