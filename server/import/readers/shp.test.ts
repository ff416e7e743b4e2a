// The .shp reader against the `shapefile` package it replaced: the same geometry for every shape type
// (rings sorted into polygons and holes by direction and containment, Z and M dropped, null shapes),
// the same recovery from a record with an impossible header, and clear errors where the package threw
// a bare RangeError.
import { openShp as packageShp } from 'shapefile'
import { describe, expect, it } from 'vitest'
import { openShp } from './shp.ts'

type XY = [number, number]
type Rec = null | { point: XY } | { points: XY[] } | { parts: XY[][] }

/** A .shp of one shape type (Z types get z = 7 per point, M types m = 9), written as the spec lays it out. */
function shpFile(type: number, records: Rec[], junkAfter = -1): Buffer {
  const z = type > 10 && type < 20
  const m = type > 20 || z
  const bodies: Buffer[] = []
  for (const r of records) {
    const w: number[] = [] // [kind, value] pairs: 0 int32 LE, 1 float64 LE
    const int = (v: number) => w.push(0, v)
    const dbl = (v: number) => w.push(1, v)
    if (r === null) int(0)
    else if ('point' in r) {
      int(type)
      dbl(r.point[0])
      dbl(r.point[1])
      if (z) dbl(7)
      if (m) dbl(9)
    } else {
      const parts = 'points' in r ? [r.points] : r.parts
      const pts = parts.flat()
      int(type)
      for (const v of [0, 0, 1, 1]) dbl(v) // box (not read)
      if ('parts' in r) int(parts.length)
      int(pts.length)
      if ('parts' in r) {
        let at = 0
        for (const p of parts) {
          int(at)
          at += p.length
        }
      }
      for (const p of pts) {
        dbl(p[0])
        dbl(p[1])
      }
      for (const [on, v] of [
        [z, 7],
        [m, 9],
      ] as const)
        if (on) {
          dbl(v)
          dbl(v)
          for (const _ of pts) dbl(v)
        }
    }
    let size = 0
    for (let i = 0; i < w.length; i += 2) size += w[i] ? 8 : 4
    const b = Buffer.alloc(size)
    for (let i = 0, o = 0; i < w.length; i += 2) {
      if (w[i]) b.writeDoubleLE(w[i + 1], o)
      else b.writeInt32LE(w[i + 1], o)
      o += w[i] ? 8 : 4
    }
    bodies.push(b)
  }
  const chunks: Buffer[] = []
  bodies.forEach((b, i) => {
    const h = Buffer.alloc(8)
    h.writeInt32BE(i + 1, 0)
    h.writeInt32BE(b.length / 2, 4)
    chunks.push(h, b)
    if (i === junkAfter) chunks.push(Buffer.from([0xff, 0xff, 0xff, 0xff])) // 4 stray bytes
  })
  const header = Buffer.alloc(100)
  const length = 100 + chunks.reduce((s, c) => s + c.length, 0)
  header.writeInt32BE(9994, 0)
  header.writeInt32BE(length / 2, 24)
  header.writeInt32LE(1000, 28)
  header.writeInt32LE(type, 32)
  return Buffer.concat([header, ...chunks])
}

async function packageRead(buf: Buffer) {
  const src = await packageShp(new Uint8Array(buf))
  const out: unknown[] = []
  for (let r = await src.read(); !r.done; r = await src.read()) out.push(r.value)
  return out
}

async function sameAsPackage(buf: Buffer) {
  const ours = openShp(buf, 'layer.shp')
  const theirs = await packageRead(buf)
  expect(ours.count).toBe(theirs.length)
  for (let i = 0; i < ours.count; i++) expect(ours.geometry(i)).toEqual(theirs[i])
  return ours
}

// Clockwise (outer) and counter-clockwise (hole) squares, closed.
const cw = (x: number, y: number, s: number): XY[] => [
  [x, y],
  [x, y + s],
  [x + s, y + s],
  [x + s, y],
  [x, y],
]
const ccw = (x: number, y: number, s: number): XY[] => cw(x, y, s).reverse()

const polygons: Rec[] = [
  { parts: [cw(0, 0, 10), ccw(2, 2, 2)] }, // a polygon with a hole
  { parts: [cw(0, 0, 1), cw(20, 20, 10), ccw(22, 22, 2)] }, // two polygons, the hole in the second
  null,
  { parts: [ccw(5, 5, 1)] }, // a lone hole: a polygon of its own
  { parts: [ccw(50, 50, 1), cw(0, 0, 10)] }, // a hole outside its polygon, listed first
  {
    parts: [
      [
        [0, 0],
        [1, 1],
        [0, 0],
      ],
    ],
  }, // too short to be a ring
]

describe('.shp geometry', () => {
  it('builds the same polygons and multipolygons as the shapefile package, plain and with Z and M', async () => {
    for (const type of [5, 15, 25]) {
      const ours = await sameAsPackage(shpFile(type, polygons))
      expect(ours.geometry(0)).toEqual({ type: 'Polygon', coordinates: [cw(0, 0, 10), ccw(2, 2, 2)] })
      expect(ours.geometry(1)).toMatchObject({ type: 'MultiPolygon' })
      expect((ours.geometry(1) as { coordinates: unknown[][] }).coordinates[1]).toHaveLength(2)
      expect(ours.geometry(2)).toBeNull()
    }
  })
  it('reads lines, points and multipoints as the package does', async () => {
    const lines: Rec[] = [{ parts: [cw(0, 0, 1)] }, { parts: [cw(0, 0, 1), cw(3, 3, 1)] }]
    for (const type of [3, 13, 23]) {
      const ours = await sameAsPackage(shpFile(type, lines))
      expect(ours.geometry(0)?.type).toBe('LineString')
      expect(ours.geometry(1)?.type).toBe('MultiLineString')
    }
    for (const type of [1, 11, 21]) {
      const ours = await sameAsPackage(shpFile(type, [{ point: [116.3, 39.9] }, null, { point: [-1, 2] }]))
      expect(ours.geometry(0)).toEqual({ type: 'Point', coordinates: [116.3, 39.9] })
    }
    for (const type of [8, 18, 28])
      await sameAsPackage(
        shpFile(type, [
          {
            points: [
              [1, 2],
              [3, 4],
            ],
          },
        ]),
      )
  })
  it('skips stray bytes between records to the next record, as the package does', async () => {
    const ours = await sameAsPackage(shpFile(5, polygons, 0))
    expect(ours.count).toBe(polygons.length)
  })
  it('names the record a cut-short file ends in, and refuses a file that is not a .shp', () => {
    const buf = shpFile(5, polygons)
    expect(() => openShp(buf.subarray(0, buf.length - 10), '街道.shp')).toThrow(
      expect.objectContaining({ code: 'CC_PARSE_FAILED', message: expect.stringMatching(/街道\.shp.*第 6 条记录/) }),
    )
    // A record whose point count runs past its own length: the same error when its geometry is read.
    const bad = Buffer.from(buf)
    bad.writeInt32LE(1e6, 100 + 8 + 40)
    expect(() => openShp(bad, 'a.shp').geometry(0)).toThrow(expect.objectContaining({ code: 'CC_PARSE_FAILED' }))
    expect(() => openShp(Buffer.from('{"type":"FeatureCollection"}'.padEnd(120)), 'a.shp')).toThrow(
      expect.objectContaining({ code: 'CC_PARSE_FAILED' }),
    )
    const odd = Buffer.from(buf)
    odd.writeInt32LE(31, 32)
    expect(() => openShp(odd, 'a.shp')).toThrow(/31/)
  })
  it('stops at the feature limit', () => {
    expect(() => openShp(shpFile(5, polygons), 'a.shp', 3)).toThrow(
      expect.objectContaining({ code: 'CC_TOO_MANY_FEATURES' }),
    )
  })
})
