import proj4 from 'proj4'
import { describe, expect, it } from 'vitest'
import { detectCrs, fromEpsg, fromName, fromPrj, gaussKrugerEpsg, localZoneEpsg, toCgcs2000 } from './crs.ts'
import { bd09ToWgs84, gcj02ToBd09, gcj02ToWgs84, wgs84ToGcj02 } from './gcj02.ts'
import { PRJ_GK_CM117 } from '../../test/helpers/fixtures.ts'

describe('CGCS2000 Gauss-Kruger EPSG codes', () => {
  it.each([
    [4548, 117, 500000],
    [4534, 75, 500000],
    [4554, 135, 500000],
    [4543, 102, 500000],
    [4547, 114, 500000],
    [4551, 126, 500000],
    [4527, 117, 39500000],
    [4513, 75, 25500000],
    [4533, 135, 45500000],
    [4528, 120, 40500000],
    [4498, 117, 20500000],
    [4491, 75, 13500000],
    [4502, 75, 500000],
    [4510, 123, 500000],
  ])('EPSG:%i has CM %i°E and false easting %i', (code, cm, fe) => {
    const c = gaussKrugerEpsg(code)!
    expect(c.proj).toContain(`+lon_0=${cm} `)
    expect(c.proj).toContain(`+x_0=${fe} `)
  })
  it('picks the nearest 3° zone for metric work', () => {
    expect(localZoneEpsg(116.3)).toBe(4548) // Beijing → CM 117E
    expect(localZoneEpsg(121.4)).toBe(4549) // Shanghai → CM 120E
    expect(localZoneEpsg(113.3)).toBe(4547) // Guangzhou → CM 114E
  })
  it('refuses legacy datums with a reason', () => {
    expect(() => fromEpsg(4214)).toThrow(/Beijing 1954/)
    expect(() => fromEpsg(2412)).toThrow(/CGCS2000/)
  })
})

describe('CRS from names and .prj', () => {
  it('reads declared names', () => {
    expect(fromName('EPSG:4548').id).toBe('EPSG:4548')
    expect(fromName('4490').kind).toBe('geographic')
    expect(fromName('urn:ogc:def:crs:EPSG::4490').id).toBe('EPSG:4490')
    expect(fromName('urn:ogc:def:crs:OGC:1.3:CRS84').id).toBe('EPSG:4326')
    expect(fromName('gcj-02').kind).toBe('gcj02')
    expect(fromName('BD09').kind).toBe('bd09')
    expect(() => fromName('NAD83')).toThrow()
  })
  it('reads an ESRI .prj for a CGCS2000 3° zone', () => {
    const c = fromPrj(PRJ_GK_CM117)
    expect(c.kind).toBe('gauss-kruger')
    expect(c.proj).toContain('+lon_0=117')
    expect(c.proj).toContain('+x_0=500000')
  })
  it('reads a geographic CGCS2000 .prj and an OGC WKT with an EPSG authority', () => {
    expect(
      fromPrj(
        'GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]',
      ).id,
    ).toBe('EPSG:4490')
    expect(
      fromPrj(
        'PROJCS["CGCS2000 / 3-degree Gauss-Kruger zone 39",GEOGCS["China Geodetic Coordinate System 2000",AUTHORITY["EPSG","4490"]],PROJECTION["Transverse_Mercator"],AUTHORITY["EPSG","4527"]]',
      ).id,
    ).toBe('EPSG:4527')
    expect(
      fromPrj(
        'PROJCS["WGS_1984_Web_Mercator_Auxiliary_Sphere",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]]],PROJECTION["Mercator_Auxiliary_Sphere"]]',
      ).id,
    ).toBe('EPSG:3857')
    expect(() =>
      fromPrj(
        'PROJCS["Xian_1980_3_Degree_GK_CM_117E",GEOGCS["GCS_Xian_1980",DATUM["D_Xian_1980",SPHEROID["Xian_1980",6378140.0,298.257]]],PROJECTION["Gauss_Kruger"]]',
      ),
    ).toThrow(/CGCS2000/)
  })
})

describe('CRS detection from the extent', () => {
  const box = (minX: number, minY: number, maxX: number, maxY: number) => ({ minX, minY, maxX, maxY })
  it('longitude/latitude in China → CGCS2000', () =>
    expect(detectCrs(box(116.2, 39.9, 116.4, 40.0)).crs!.id).toBe('EPSG:4490'))
  it('8-digit eastings with prefix 39 → 3° zone 39 (EPSG:4527)', () =>
    expect(detectCrs(box(39440000, 4420000, 39450000, 4430000)).crs!.id).toBe('EPSG:4527'))
  it('8-digit eastings with prefix 20 → 6° zone 20 (EPSG:4498)', () =>
    expect(detectCrs(box(20440000, 4420000, 20450000, 4430000)).crs!.id).toBe('EPSG:4498'))
  it('Web Mercator metres → EPSG:3857', () =>
    expect(detectCrs(box(12950000, 4850000, 12960000, 4860000)).crs!.id).toBe('EPSG:3857'))
  it('6-digit eastings cannot say their zone → a hint naming EPSG:4548', () => {
    const d = detectCrs(box(440000, 4420000, 450000, 4430000))
    expect(d.crs).toBeUndefined()
    expect(d.hint).toContain('EPSG:4548')
    expect(d.hintEn).toContain('zone prefix')
  })
  it('swapped latitude/longitude → a hint to swap', () =>
    expect(detectCrs(box(39.9, 116.2, 40.0, 116.4)).hint).toContain('颠倒'))
  it('Shanghai in Web Mercator also fits 6° zone 13 → ambiguous, asks for a declaration', () => {
    const d = detectCrs(box(13520000, 3630000, 13530000, 3640000))
    expect(d.crs).toBeUndefined()
    expect(d.hint).toContain('EPSG:3857')
  })
  it('nothing Chinese → says so', () => expect(detectCrs(box(-74, 40, -73, 41)).hintEn).toMatch(/do not look like/))
})

describe('transforms to CGCS2000 longitude/latitude', () => {
  it('Gauss-Kruger CM 117E inverse matches proj4 forward to 1e-8°', () => {
    const def = gaussKrugerEpsg(4548)!
    const fwd = proj4('EPSG:4326', def.proj!)
    const [x, y] = fwd.forward([116.3, 39.99])
    const [lon, lat] = toCgcs2000(def)!(x, y)
    expect(lon).toBeCloseTo(116.3, 8)
    expect(lat).toBeCloseTo(39.99, 8)
    expect(x).toBeCloseTo(440215.319, 2) // the same point through PostGIS ST_Transform(…, 4548) (see the API test)
  })
  it('GCJ-02 offset at (120, 40) is the published (120.00568, 40.00130)', () => {
    const [lon, lat] = wgs84ToGcj02(120, 40)
    expect(lon).toBeCloseTo(120.00568, 5)
    expect(lat).toBeCloseTo(40.0013, 5)
  })
  it('GCJ-02 → WGS84 iterates to under 1e-8°', () => {
    const [g1, g2] = wgs84ToGcj02(116.3, 39.99)
    const [lon, lat] = gcj02ToWgs84(g1, g2)
    expect(Math.abs(lon - 116.3)).toBeLessThan(1e-8)
    expect(Math.abs(lat - 39.99)).toBeLessThan(1e-8)
  })
  it('BD-09 → WGS84 round trip', () => {
    const [b1, b2] = gcj02ToBd09(...wgs84ToGcj02(117.2, 31.8))
    const [lon, lat] = bd09ToWgs84(b1, b2)
    expect(Math.abs(lon - 117.2)).toBeLessThan(1e-6)
    expect(Math.abs(lat - 31.8)).toBeLessThan(1e-6)
  })
})
