// Small pure helpers over GeoJSON geometries: walk positions, coerce to a layer's type, write EWKB.
import type { Geometry, Position } from 'geojson'

export function forEachPosition(g: Geometry, fn: (p: Position) => void): void {
  switch (g.type) {
    case 'Point':
      fn(g.coordinates)
      break
    case 'MultiPoint':
    case 'LineString':
      for (const p of g.coordinates) fn(p)
      break
    case 'Polygon':
    case 'MultiLineString':
      for (const r of g.coordinates) for (const p of r) fn(p)
      break
    case 'MultiPolygon':
      for (const poly of g.coordinates) for (const r of poly) for (const p of r) fn(p)
      break
    case 'GeometryCollection':
      for (const c of g.geometries) forEachPosition(c, fn)
      break
  }
}

/** Positions are rewritten in place (x, y only; Z and M are dropped). */
export function mapPositions(g: Geometry, fn: (x: number, y: number) => [number, number]): void {
  forEachPosition(g, (p) => {
    const [x, y] = fn(p[0], p[1])
    p[0] = x
    p[1] = y
    if (p.length > 2) p.length = 2
  })
}

/** Why a geometry cannot be read, in both languages; null when it is well formed. */
export interface Malformed {
  code: 'CC_GEOMETRY_EMPTY' | 'CC_GEOMETRY_MALFORMED'
  reason: string
  reasonEn: string
}

/**
 * The extent of a layer's well-formed geometries, with the malformed ones noted by feature index (the
 * row pass reports them). Built feature by feature, so a reader that parses each feature once can
 * build it on the way (see readers/geojson.ts) and nothing has to walk the features again for it.
 */
export interface Extent {
  bbox: { minX: number; minY: number; maxX: number; maxY: number }
  malformed: Map<number, Malformed>
}

export const newExtent = (): Extent => ({
  bbox: { minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity },
  malformed: new Map(),
})

export function addToExtent(x: Extent, i: number, g: unknown): void {
  const prob = geometryProblem(g)
  if (prob) {
    x.malformed.set(i, prob)
    return
  }
  const b = x.bbox
  forEachPosition(g as Geometry, (p) => {
    if (p[0] < b.minX) b.minX = p[0]
    if (p[0] > b.maxX) b.maxX = p[0]
    if (p[1] < b.minY) b.minY = p[1]
    if (p[1] > b.maxY) b.maxY = p[1]
  })
}

const DEPTH: Record<string, number> = {
  Point: 0,
  MultiPoint: 1,
  LineString: 1,
  MultiLineString: 2,
  Polygon: 2,
  MultiPolygon: 3,
}

/**
 * Checks a geometry's structure before anything reads it: a known type, coordinates nested exactly
 * as deep as the type says (no deeper: a file may nest arrays thousands deep), finite numbers, and
 * closed polygon rings of at least four positions. Iterative, so no input can overflow the stack.
 */
// At module level: a closure made per call costs a microsecond under tsx (it names each one), a
// second on a million footprints.
const bad = (reason: string, reasonEn: string): Malformed => ({ code: 'CC_GEOMETRY_MALFORMED', reason, reasonEn })

export function geometryProblem(g: unknown): Malformed | null {
  if (g === null || g === undefined) return { code: 'CC_GEOMETRY_EMPTY', reason: '没有几何', reasonEn: 'no geometry' }
  const geom = g as { type?: unknown; coordinates?: unknown; geometries?: unknown }
  if (typeof geom.type !== 'string') return bad('几何缺少 type', 'the geometry has no type')
  if (geom.type === 'GeometryCollection') {
    if (!Array.isArray(geom.geometries) || !geom.geometries.length)
      return { code: 'CC_GEOMETRY_EMPTY', reason: '空的几何集合', reasonEn: 'an empty geometry collection' }
    for (const c of geom.geometries) {
      if ((c as { type?: string })?.type === 'GeometryCollection')
        return bad('几何集合嵌套', 'nested geometry collections')
      const p = geometryProblem(c)
      if (p) return p
    }
    return null
  }
  const depth = DEPTH[geom.type]
  if (depth === undefined)
    return bad(
      `未知的几何类型 ${String(geom.type).slice(0, 40)}`,
      `unknown geometry type ${String(geom.type).slice(0, 40)}`,
    )
  if (!('coordinates' in geom) || geom.coordinates === null)
    return bad('几何缺少 coordinates', 'the geometry has no coordinates')
  // Walk level by level: every array at `depth` must be a position, every array above it a list.
  let level: unknown[] = [geom.coordinates]
  for (let d = 0; d < depth; d++) {
    const next: unknown[] = []
    for (const a of level) {
      if (!Array.isArray(a))
        return bad('坐标嵌套层次不符合几何类型', 'the coordinates are not nested as the geometry type requires')
      for (const x of a) next.push(x)
    }
    level = next
  }
  if (!level.length) return { code: 'CC_GEOMETRY_EMPTY', reason: '没有坐标', reasonEn: 'no coordinates' }
  for (const p of level) {
    if (!Array.isArray(p) || p.length < 2) return bad('坐标点应为 [x, y]', 'a position must be [x, y]')
    for (const n of p)
      if (typeof n !== 'number' || !Number.isFinite(n))
        return bad(
          '坐标不是有限的数值（空值、NaN 或嵌套过深）',
          'a coordinate is not a finite number (null, NaN or nested too deep)',
        )
  }
  if (geom.type === 'Polygon' || geom.type === 'MultiPolygon') {
    const polys = (geom.type === 'Polygon' ? [geom.coordinates] : geom.coordinates) as number[][][][]
    for (const poly of polys) {
      if (!poly.length) return bad('多边形没有环', 'a polygon without rings')
      for (const r of poly) {
        if (r.length < 4)
          return bad(
            `多边形的环只有 ${r.length} 个点（至少 4 个，首尾相同）`,
            `a polygon ring has only ${r.length} positions (at least 4, first equal to last)`,
          )
        const [a, b] = [r[0], r[r.length - 1]]
        if (a[0] !== b[0] || a[1] !== b[1])
          return bad(
            '多边形的环没有闭合（首尾点不同）',
            'a polygon ring is not closed (its first and last positions differ)',
          )
      }
    }
  }
  return null
}

export function hasPositions(g: Geometry | null): g is Geometry {
  if (!g) return false
  let any = false
  forEachPosition(g, () => {
    any = true
  })
  return any
}

// ---- EWKB (little endian, with SRID) --------------------------------------------------------
// PostGIS reads hex EWKB as geometry text input, so the same string goes through COPY and through
// json_populate_recordset on the embedded engine.

const WKB_POINT = 1,
  WKB_LINESTRING = 2,
  WKB_POLYGON = 3,
  WKB_MULTIPOINT = 4,
  WKB_MULTILINESTRING = 5,
  WKB_MULTIPOLYGON = 6
const SRID_FLAG = 0x20000000

function ringBytes(ring: Position[]): number {
  return 4 + ring.length * 16
}
function polyBytes(poly: Position[][]): number {
  let n = 9
  for (const r of poly) n += ringBytes(r)
  return n
}

/** Hex EWKB for a LineString or MultiLineString, always written as MultiLineString. */
function linesEwkbHex(lines: Position[][], srid: number): string {
  let size = 9 + 4
  for (const l of lines) size += 9 + l.length * 16
  const b = Buffer.allocUnsafe(size)
  b[0] = 1
  b.writeUInt32LE((WKB_MULTILINESTRING | SRID_FLAG) >>> 0, 1)
  b.writeUInt32LE(srid, 5)
  b.writeUInt32LE(lines.length, 9)
  let o = 13
  for (const l of lines) {
    b[o++] = 1
    b.writeUInt32LE(WKB_LINESTRING, o)
    b.writeUInt32LE(l.length, o + 4)
    o += 8
    for (const p of l) {
      b.writeDoubleLE(p[0], o)
      b.writeDoubleLE(p[1], o + 8)
      o += 16
    }
  }
  return b.toString('hex')
}

// EWKB writers: module-level functions over (buffer, offset), not closures made per geometry (under
// tsx each closure is named when made: ~0.6 s of a million-footprint import).
function wkbHeader(b: Buffer, o: number, type: number, srid: number | null): number {
  b[o++] = 1
  b.writeUInt32LE(srid === null ? type : (type | SRID_FLAG) >>> 0, o)
  o += 4
  if (srid !== null) {
    b.writeUInt32LE(srid, o)
    o += 4
  }
  return o
}
function wkbPosition(b: Buffer, o: number, p: Position): number {
  b.writeDoubleLE(p[0], o)
  b.writeDoubleLE(p[1], o + 8)
  return o + 16
}
function wkbRings(b: Buffer, o: number, rings: Position[][]): number {
  b.writeUInt32LE(rings.length, o)
  o += 4
  for (const r of rings) {
    b.writeUInt32LE(r.length, o)
    o += 4
    for (const p of r) o = wkbPosition(b, o, p)
  }
  return o
}

/** Hex EWKB for a Point, MultiPoint, Polygon (written as MultiPolygon when `multi`), MultiPolygon or lines. */
export function toEwkbHex(g: Geometry, srid: number, multiPolygon = true): string {
  if (g.type === 'LineString') return linesEwkbHex([g.coordinates], srid)
  if (g.type === 'MultiLineString') return linesEwkbHex(g.coordinates, srid)
  let size = 0
  // 9 = byte order + type + SRID; 4 = a count; a nested point is 21 bytes.
  if (g.type === 'Point') size = 9 + 16
  else if (g.type === 'MultiPoint') size = 9 + 4 + g.coordinates.length * 21
  else if (g.type === 'Polygon') size = multiPolygon ? 9 + 4 + polyBytes(g.coordinates) : 4 + polyBytes(g.coordinates)
  else if (g.type === 'MultiPolygon') {
    size = 9 + 4
    for (const p of g.coordinates) size += polyBytes(p)
  } else throw new Error(`cannot write ${g.type} as EWKB`)
  const b = Buffer.allocUnsafe(size)
  let o = 0
  if (g.type === 'Point') {
    o = wkbHeader(b, o, WKB_POINT, srid)
    o = wkbPosition(b, o, g.coordinates)
  } else if (g.type === 'MultiPoint') {
    o = wkbHeader(b, o, WKB_MULTIPOINT, srid)
    b.writeUInt32LE(g.coordinates.length, o)
    o += 4
    for (const p of g.coordinates) o = wkbPosition(b, wkbHeader(b, o, WKB_POINT, null), p)
  } else if (g.type === 'Polygon' && !multiPolygon) {
    o = wkbRings(b, wkbHeader(b, o, WKB_POLYGON, srid), g.coordinates)
  } else {
    const polys = g.type === 'Polygon' ? [g.coordinates] : (g as { coordinates: Position[][][] }).coordinates
    o = wkbHeader(b, o, WKB_MULTIPOLYGON, srid)
    b.writeUInt32LE(polys.length, o)
    o += 4
    for (const p of polys) o = wkbRings(b, wkbHeader(b, o, WKB_POLYGON, null), p)
  }
  return b.toString('hex')
}
