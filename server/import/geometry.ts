// Small pure helpers over GeoJSON geometries: walk positions, coerce to a layer's type, write EWKB.
import type { Geometry, Position } from 'geojson'

export function forEachPosition(g: Geometry, fn: (p: Position) => void): void {
  switch (g.type) {
    case 'Point': fn(g.coordinates); break
    case 'MultiPoint': case 'LineString': for (const p of g.coordinates) fn(p); break
    case 'Polygon': case 'MultiLineString': for (const r of g.coordinates) for (const p of r) fn(p); break
    case 'MultiPolygon': for (const poly of g.coordinates) for (const r of poly) for (const p of r) fn(p); break
    case 'GeometryCollection': for (const c of g.geometries) forEachPosition(c, fn); break
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

export function hasPositions(g: Geometry | null): g is Geometry {
  if (!g) return false
  let any = false
  forEachPosition(g, () => { any = true })
  return any
}

// ---- EWKB (little endian, with SRID) --------------------------------------------------------
// PostGIS reads hex EWKB as geometry text input, so the same string goes through COPY and through
// json_populate_recordset on the embedded engine.

const WKB_POINT = 1, WKB_POLYGON = 3, WKB_MULTIPOINT = 4, WKB_MULTIPOLYGON = 6
const SRID_FLAG = 0x20000000

function ringBytes(ring: Position[]): number { return 4 + ring.length * 16 }
function polyBytes(poly: Position[][]): number { let n = 9; for (const r of poly) n += ringBytes(r); return n }

/** Hex EWKB for a Point, MultiPoint, Polygon (written as MultiPolygon when `multi`) or MultiPolygon. */
export function toEwkbHex(g: Geometry, srid: number, multiPolygon = true): string {
  let size = 0
  // 9 = byte order + type + SRID; 4 = a count; a nested point is 21 bytes.
  if (g.type === 'Point') size = 9 + 16
  else if (g.type === 'MultiPoint') size = 9 + 4 + g.coordinates.length * 21
  else if (g.type === 'Polygon') size = multiPolygon ? 9 + 4 + polyBytes(g.coordinates) : 4 + polyBytes(g.coordinates)
  else if (g.type === 'MultiPolygon') { size = 9 + 4; for (const p of g.coordinates) size += polyBytes(p) }
  else throw new Error(`cannot write ${g.type} as EWKB`)
  const b = Buffer.allocUnsafe(size)
  let o = 0
  const header = (type: number, withSrid: boolean) => {
    b[o++] = 1
    b.writeUInt32LE(withSrid ? (type | SRID_FLAG) >>> 0 : type, o); o += 4
    if (withSrid) { b.writeUInt32LE(srid, o); o += 4 }
  }
  const pos = (p: Position) => { b.writeDoubleLE(p[0], o); b.writeDoubleLE(p[1], o + 8); o += 16 }
  const poly = (rings: Position[][]) => {
    header(WKB_POLYGON, false)
    b.writeUInt32LE(rings.length, o); o += 4
    for (const r of rings) { b.writeUInt32LE(r.length, o); o += 4; for (const p of r) pos(p) }
  }
  if (g.type === 'Point') { header(WKB_POINT, true); pos(g.coordinates) }
  else if (g.type === 'MultiPoint') {
    header(WKB_MULTIPOINT, true); b.writeUInt32LE(g.coordinates.length, o); o += 4
    for (const p of g.coordinates) { header(WKB_POINT, false); pos(p) }
  } else if (g.type === 'Polygon' && !multiPolygon) {
    b[o++] = 1; b.writeUInt32LE((WKB_POLYGON | SRID_FLAG) >>> 0, o); o += 4; b.writeUInt32LE(srid, o); o += 4
    b.writeUInt32LE(g.coordinates.length, o); o += 4
    for (const r of g.coordinates) { b.writeUInt32LE(r.length, o); o += 4; for (const p of r) pos(p) }
  } else {
    const polys = g.type === 'Polygon' ? [g.coordinates] : (g as { coordinates: Position[][][] }).coordinates
    header(WKB_MULTIPOLYGON, true); b.writeUInt32LE(polys.length, o); o += 4
    for (const p of polys) poly(p)
  }
  return b.toString('hex')
}
