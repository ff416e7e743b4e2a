// WKT (and EWKT with SRID=…;) from a CSV/XLSX column, read by wkx: at parity with the hand-written
// reader it replaced and with identical geometry (npm run bench:codecs), so the well-kept library is
// used. Coordinates are kept 2D: a Z or M value is dropped, as the layers are 2D.
import type { Geometry, Position } from 'geojson'
import wkx from 'wkx'

const TYPES = new Set(['Point', 'LineString', 'Polygon', 'MultiPoint', 'MultiLineString', 'MultiPolygon'])

const flat = (c: unknown): unknown =>
  typeof (c as unknown[])[0] === 'number' ? (c as Position).slice(0, 2) : (c as unknown[]).map(flat)

/** Point, LineString, Polygon and their Multi forms; anything else (or broken text) throws. */
export function parseWkt(input: string): Geometry {
  let g: { type: string; coordinates?: unknown }
  try {
    // wkx knows the type words in capitals only; nothing else in WKT depends on case.
    g = wkx.Geometry.parse(input.trim().toUpperCase()).toGeoJSON() as typeof g
  } catch (e) {
    throw new Error(`not WKT: ${(e as Error).message}`)
  }
  if (!TYPES.has(g.type)) throw new Error(`unsupported WKT type ${g.type}`)
  return { type: g.type, coordinates: flat(g.coordinates) } as Geometry
}
