// The codecs kept by hand agree with the well-kept libraries on the same inputs (bench:codecs measures
// speed): EWKB with wkx byte for byte, the GCJ-02 offset with gcoord exactly; our GCJ-02 inverse is
// the more exact one. WKT is read by wkx itself (server/import/readers/wkt.ts).
import gcoordModule from 'gcoord'
import type { Geometry } from 'geojson'
import wkx from 'wkx'
import { describe, expect, it } from 'vitest'
import { gcj02ToWgs84, wgs84ToGcj02 } from './gcj02.ts'
import { toEwkbHex } from './geometry.ts'
import { parseWkt } from './readers/wkt.ts'

// gcoord is CommonJS: under Node's ESM its default import is module.exports, while its types declare
// `export default`; take whichever holds the API.
type Gcoord = typeof gcoordModule.default
const gcoord: Gcoord = (gcoordModule as unknown as { default?: Gcoord }).default ?? (gcoordModule as unknown as Gcoord)

describe('codecs against libraries', () => {
  it('reads WKT and EWKT in every form a CSV carries, 2D', () => {
    expect(parseWkt('SRID=4490;POINT Z (116.3 39.9 45)')).toEqual({ type: 'Point', coordinates: [116.3, 39.9] })
    expect(parseWkt('MULTIPOINT ((1 2), (3 4))')).toEqual({
      type: 'MultiPoint',
      coordinates: [
        [1, 2],
        [3, 4],
      ],
    })
    expect(parseWkt('multipolygon (((0 0, 1 0, 1 1, 0 0)))')).toEqual({
      type: 'MultiPolygon',
      coordinates: [
        [
          [
            [0, 0],
            [1, 0],
            [1, 1],
            [0, 0],
          ],
        ],
      ],
    })
    expect(() => parseWkt('GEOMETRYCOLLECTION (POINT (1 2))')).toThrow(/unsupported/)
    expect(() => parseWkt('POLYGON((0 0, 1 0')).toThrow(/not WKT/)
  })

  it('writes the same EWKB as wkx, byte for byte', () => {
    const cases: Geometry[] = [
      { type: 'Point', coordinates: [116.391, 39.907] },
      {
        type: 'MultiPoint',
        coordinates: [
          [1, 2],
          [3.5, -4.25],
        ],
      },
      {
        type: 'MultiPolygon',
        coordinates: [
          [
            [
              [0, 0],
              [10, 0],
              [10, 10],
              [0, 0],
            ],
            [
              [1, 1],
              [2, 1],
              [2, 2],
              [1, 1],
            ],
          ],
        ],
      },
    ]
    for (const g of cases) {
      const w = wkx.Geometry.parseGeoJSON(g)
      w.srid = 4490
      expect(toEwkbHex(g, 4490).toLowerCase(), g.type).toBe(w.toEwkb().toString('hex'))
    }
  })

  it('applies the same GCJ-02 offset as gcoord, and inverts it more exactly', () => {
    let worstOurs = 0
    let worstLib = 0
    for (let i = 0; i < 2000; i++) {
      const p: [number, number] = [75 + ((i * 37) % 60) + (i % 7) / 10, 19 + ((i * 13) % 34) + (i % 5) / 10]
      const g = wgs84ToGcj02(...p)
      const lib = gcoord.transform(p, gcoord.WGS84, gcoord.GCJ02) as number[]
      expect(Math.abs(g[0] - lib[0]) + Math.abs(g[1] - lib[1])).toBeLessThan(1e-12)
      const back = gcj02ToWgs84(...g)
      const libBack = gcoord.transform(g, gcoord.GCJ02, gcoord.WGS84) as number[]
      worstOurs = Math.max(worstOurs, Math.hypot(back[0] - p[0], back[1] - p[1]) * 111_000)
      worstLib = Math.max(worstLib, Math.hypot(libBack[0] - p[0], libBack[1] - p[1]) * 111_000)
    }
    expect(worstOurs).toBeLessThan(1e-3) // metres
    expect(worstLib).toBeGreaterThan(worstOurs)
  })
})
