// A Shapefile's geometries, read straight from the .shp bytes. The `shapefile` package (which this
// replaces, and whose results the tests compare against) reads a record through two promises, a
// slice and a copy each: on a million footprints that was ~5 s of an import's read step. Here one
// pass finds where each record starts, and a record's geometry is built only when it is asked for,
// so an import holds the file's bytes and one offset per record, not a million parsed polygons.
// The geometry rules are the package's (and the specification's): outer rings run clockwise, a
// counter-clockwise ring is a hole of the first outer ring that contains it (else a polygon of its
// own), Z and M values are dropped.
import type { Geometry, Position } from 'geojson'
import { AppError } from '../../errors.ts'

// Shape types: 0 null; 1/11/21 point; 3/13/23 polyline; 5/15/25 polygon; 8/18/28 multipoint (plain/Z/M).
const KIND: Record<number, 'point' | 'line' | 'polygon' | 'multipoint'> = {
  1: 'point',
  11: 'point',
  21: 'point',
  3: 'line',
  13: 'line',
  23: 'line',
  5: 'polygon',
  15: 'polygon',
  25: 'polygon',
  8: 'multipoint',
  18: 'multipoint',
  28: 'multipoint',
}

export interface Shp {
  /** The file's shape type (one per file in a Shapefile). */
  type: number
  /** Records in the file (null shapes included). */
  count: number
  /** Record i's geometry (null for a null shape). */
  geometry(i: number): Geometry | null
}

const cutShort = (file: string, record: number) =>
  new AppError('CC_PARSE_FAILED', {
    file,
    reason: `.shp 第 ${record} 条记录不完整 / record ${record} of the .shp is cut short`,
  })

export function openShp(buf: Uint8Array, file: string, maxRecords = Infinity): Shp {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  if (buf.length < 100 || dv.getInt32(0, false) !== 9994)
    throw new AppError('CC_PARSE_FAILED', {
      file,
      reason: '不是 Shapefile：.shp 的文件头不对 / not a Shapefile: the .shp header is wrong',
    })
  const type = dv.getInt32(32, true)
  if (type !== 0 && !KIND[type])
    throw new AppError('CC_PARSE_FAILED', {
      file,
      reason: `.shp 的几何类型 ${type} 不受支持 / unsupported shape type ${type}`,
    })
  // Where each record's content starts (after its 8-byte header) and how long it is, in bytes.
  const startList: number[] = []
  const lengthList: number[] = []
  for (let p = 100; p + 12 <= buf.length; ) {
    let len = dv.getInt32(p + 4, false) * 2
    let t = dv.getInt32(p + 8, true)
    // A record whose length or shape type is impossible: as the package does (its issue #36), scan
    // ahead in 4-byte steps for the header of the record expected next.
    if (len < 4 || (t !== 0 && t !== type)) {
      let q = p + 4
      for (; q + 12 <= buf.length; q += 4) {
        len = dv.getInt32(q + 4, false) * 2
        t = dv.getInt32(q + 8, true)
        if (dv.getInt32(q, false) === startList.length + 1 && len >= 4 && (t === 0 || t === type)) break
      }
      if (q + 12 > buf.length) break
      p = q
    }
    if (p + 8 + len > buf.length) throw cutShort(file, startList.length + 1)
    if (startList.length >= maxRecords) throw new AppError('CC_TOO_MANY_FEATURES', { file, limit: maxRecords })
    startList.push(p + 8)
    lengthList.push(len)
    p += 8 + len
  }
  const starts = Uint32Array.from(startList)
  const lengths = Uint32Array.from(lengthList)
  const n = starts.length
  return {
    type,
    count: n,
    geometry(i) {
      if (i < 0 || i >= n) return null
      const s = starts[i]
      const t = dv.getInt32(s, true)
      if (t === 0) return null
      try {
        return parse(dv, s, lengths[i], KIND[t])
      } catch (e) {
        if (e instanceof RangeError) throw cutShort(file, i + 1)
        throw e
      }
    },
  }
}

function parse(dv: DataView, s: number, len: number, kind: (typeof KIND)[number]): Geometry {
  if (kind === 'point') return { type: 'Point', coordinates: [dv.getFloat64(s + 4, true), dv.getFloat64(s + 12, true)] }
  if (kind === 'multipoint') {
    const m = dv.getInt32(s + 36, true)
    if (m < 0 || 40 + 16 * m > len) throw new RangeError('points')
    const coordinates = new Array<Position>(m)
    for (let j = 0, q = s + 40; j < m; j++, q += 16)
      coordinates[j] = [dv.getFloat64(q, true), dv.getFloat64(q + 8, true)]
    return { type: 'MultiPoint', coordinates }
  }
  const parts = dv.getInt32(s + 36, true)
  const m = dv.getInt32(s + 40, true)
  if (parts < 0 || m < 0 || 44 + 4 * parts + 16 * m > len) throw new RangeError('parts')
  const rings = new Array<Position[]>(parts)
  const p0 = s + 44 + 4 * parts
  for (let j = 0; j < parts; j++) {
    const from = Math.max(0, Math.min(m, dv.getInt32(s + 44 + 4 * j, true)))
    const to = j + 1 < parts ? Math.max(from, Math.min(m, dv.getInt32(s + 48 + 4 * j, true))) : m
    const ring = new Array<Position>(to - from)
    for (let k = from, q = p0 + 16 * from; k < to; k++, q += 16)
      ring[k - from] = [dv.getFloat64(q, true), dv.getFloat64(q + 8, true)]
    rings[j] = ring
  }
  if (kind === 'line')
    return parts === 1 ? { type: 'LineString', coordinates: rings[0] } : { type: 'MultiLineString', coordinates: rings }
  return polygonOf(rings)
}

/** Rings in file order → a Polygon or MultiPolygon, by ring direction and containment. */
export function polygonOf(rings: Position[][]): Geometry {
  const polygons: Position[][][] = []
  const holes: Position[][] = []
  for (const ring of rings) {
    if (ringClockwise(ring)) polygons.push([ring])
    else holes.push(ring)
  }
  for (const hole of holes) {
    const owner = polygons.find((p) => ringContainsSome(p[0], hole))
    if (owner) owner.push(hole)
    else polygons.push([hole])
  }
  return polygons.length === 1
    ? { type: 'Polygon', coordinates: polygons[0] }
    : { type: 'MultiPolygon', coordinates: polygons }
}

function ringClockwise(ring: Position[]): boolean {
  const n = ring.length
  if (n < 4) return false
  let area = ring[n - 1][1] * ring[0][0] - ring[n - 1][0] * ring[0][1]
  for (let i = 1; i < n; i++) area += ring[i - 1][1] * ring[i][0] - ring[i - 1][0] * ring[i][1]
  return area >= 0
}

// Whether the hole lies inside the ring: decided by the first of its points that is not on the ring.
function ringContainsSome(ring: Position[], hole: Position[]): boolean {
  for (const p of hole) {
    const c = ringContains(ring, p)
    if (c) return c > 0
  }
  return false
}

// 1 inside, -1 outside, 0 on the boundary.
function ringContains(ring: Position[], point: Position): number {
  const [x, y] = point
  let contains = -1
  for (let i = 0, n = ring.length, j = n - 1; i < n; j = i++) {
    const [xi, yi] = ring[i]
    const [xj, yj] = ring[j]
    if (segmentContains(ring[i], ring[j], point)) return 0
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) contains = -contains
  }
  return contains
}

function segmentContains(p0: Position, p1: Position, p2: Position): boolean {
  const x20 = p2[0] - p0[0]
  const y20 = p2[1] - p0[1]
  if (x20 === 0 && y20 === 0) return true
  const x10 = p1[0] - p0[0]
  const y10 = p1[1] - p0[1]
  if (x10 === 0 && y10 === 0) return false
  const t = (x20 * x10 + y20 * y10) / (x10 * x10 + y10 * y10)
  return t < 0 || t > 1 ? false : t === 0 || t === 1 ? true : t * x10 === x20 && t * y10 === y20
}
