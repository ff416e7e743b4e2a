// Small hand-made inputs: rectangles in local metres turned into lon/lat, GeoJSON collections,
// zipped Shapefiles written byte by byte (so each test controls .prj, .cpg and the LDID byte),
// and multipart bodies.
import iconv from 'iconv-lite'
import { zipSync } from 'fflate'

export const LON0 = 117.2
export const LAT0 = 31.8
const MX = 1 / (111320 * Math.cos((LAT0 * Math.PI) / 180))
const MY = 1 / 110574

export type Pos = [number, number]
/** Local metres (east, north) from (LON0, LAT0) → lon/lat. */
export const ll = (x: number, y: number): Pos => [LON0 + x * MX, LAT0 + y * MY]
export const rect = (x0: number, y0: number, x1: number, y1: number): Pos[] => [
  ll(x0, y0),
  ll(x1, y0),
  ll(x1, y1),
  ll(x0, y1),
  ll(x0, y0),
]

export interface F {
  geometry: { type: string; coordinates: unknown } | null
  properties: Record<string, unknown>
}
export const polygonF = (ring: Pos[], properties: Record<string, unknown>): F => ({
  geometry: { type: 'Polygon', coordinates: [ring] },
  properties,
})
export const pointF = (p: Pos, properties: Record<string, unknown>): F => ({
  geometry: { type: 'Point', coordinates: p },
  properties,
})

export function geojson(features: F[], extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({ type: 'FeatureCollection', ...extra, features: features.map((f) => ({ type: 'Feature', ...f })) }),
  )
}

export function mapCoords(features: F[], fn: (p: Pos) => Pos): F[] {
  const walk = (c: unknown): unknown =>
    typeof (c as number[])[0] === 'number' ? fn(c as Pos) : (c as unknown[]).map(walk)
  return features.map((f) => ({
    ...f,
    geometry: f.geometry && { ...f.geometry, coordinates: walk(f.geometry.coordinates) },
  }))
}

// ---- Shapefile writer (points and polygons) ------------------------------------------------

export interface DbfField {
  name: string
  type: 'C' | 'N'
  length: number
  decimals?: number
}

export interface ShapefileSpec {
  name?: string
  features: F[]
  fields: DbfField[]
  encoding?: string // of the .dbf text; default utf-8
  prj?: string
  cpg?: string
  ldid?: number
  omit?: ('dbf' | 'shx')[]
}

function ringsOf(g: F['geometry']): Pos[][] {
  if (!g) return []
  if (g.type === 'Polygon') return g.coordinates as Pos[][]
  if (g.type === 'MultiPolygon') return (g.coordinates as Pos[][][]).flat()
  throw new Error(g.type)
}

function signedArea(r: Pos[]): number {
  let a = 0
  for (let i = 0; i + 1 < r.length; i++) a += r[i][0] * r[i + 1][1] - r[i + 1][0] * r[i][1]
  return a / 2
}

export function shapefileParts(spec: ShapefileSpec): Record<string, Uint8Array> {
  const isPoint = spec.features[0].geometry!.type === 'Point'
  const shapeType = isPoint ? 1 : 5
  const contents: Buffer[] = []
  let bbox = [Infinity, Infinity, -Infinity, -Infinity]
  const grow = (p: Pos) => {
    bbox = [Math.min(bbox[0], p[0]), Math.min(bbox[1], p[1]), Math.max(bbox[2], p[0]), Math.max(bbox[3], p[1])]
  }
  for (const f of spec.features) {
    if (isPoint) {
      const p = f.geometry!.coordinates as Pos
      grow(p)
      const b = Buffer.alloc(20)
      b.writeInt32LE(1, 0)
      b.writeDoubleLE(p[0], 4)
      b.writeDoubleLE(p[1], 12)
      contents.push(b)
      continue
    }
    // Shapefile outer rings run clockwise: signed area < 0.
    const rings = ringsOf(f.geometry).map((r, i) => ((i === 0) === signedArea(r) > 0 ? [...r].reverse() : r))
    const pts = rings.flat()
    const fb = [Infinity, Infinity, -Infinity, -Infinity]
    for (const p of pts) {
      grow(p)
      fb[0] = Math.min(fb[0], p[0])
      fb[1] = Math.min(fb[1], p[1])
      fb[2] = Math.max(fb[2], p[0])
      fb[3] = Math.max(fb[3], p[1])
    }
    const b = Buffer.alloc(44 + 4 * rings.length + 16 * pts.length)
    b.writeInt32LE(5, 0)
    fb.forEach((v, i) => {
      b.writeDoubleLE(v, 4 + 8 * i)
    })
    b.writeInt32LE(rings.length, 36)
    b.writeInt32LE(pts.length, 40)
    let start = 0
    rings.forEach((r, i) => {
      b.writeInt32LE(start, 44 + 4 * i)
      start += r.length
    })
    pts.forEach((p, i) => {
      b.writeDoubleLE(p[0], 44 + 4 * rings.length + 16 * i)
      b.writeDoubleLE(p[1], 52 + 4 * rings.length + 16 * i)
    })
    contents.push(b)
  }
  const header = (lengthBytes: number) => {
    const h = Buffer.alloc(100)
    h.writeInt32BE(9994, 0)
    h.writeInt32BE(lengthBytes / 2, 24)
    h.writeInt32LE(1000, 28)
    h.writeInt32LE(shapeType, 32)
    bbox.forEach((v, i) => {
      h.writeDoubleLE(v, 36 + 8 * i)
    })
    return h
  }
  const shpLen = 100 + contents.reduce((a, c) => a + 8 + c.length, 0)
  const shp: Buffer[] = [header(shpLen)],
    shx: Buffer[] = [header(100 + 8 * contents.length)]
  let offset = 100
  contents.forEach((c, i) => {
    const rh = Buffer.alloc(8)
    rh.writeInt32BE(i + 1, 0)
    rh.writeInt32BE(c.length / 2, 4)
    shp.push(rh, c)
    const xr = Buffer.alloc(8)
    xr.writeInt32BE(offset / 2, 0)
    xr.writeInt32BE(c.length / 2, 4)
    shx.push(xr)
    offset += 8 + c.length
  })

  const enc = (s: string) => iconv.encode(s, spec.encoding ?? 'utf-8')
  const recordLength = 1 + spec.fields.reduce((a, f) => a + f.length, 0)
  const headerLength = 32 + 32 * spec.fields.length + 1
  const dbf = Buffer.alloc(headerLength + recordLength * spec.features.length + 1, 0x20)
  dbf.fill(0, 0, headerLength)
  dbf[0] = 0x03
  dbf[1] = 125
  dbf[2] = 11
  dbf[3] = 22
  dbf.writeUInt32LE(spec.features.length, 4)
  dbf.writeUInt16LE(headerLength, 8)
  dbf.writeUInt16LE(recordLength, 10)
  dbf[29] = spec.ldid ?? 0
  spec.fields.forEach((f, i) => {
    enc(f.name).copy(dbf, 32 + 32 * i, 0, 10)
    dbf[32 + 32 * i + 11] = f.type.charCodeAt(0)
    dbf[32 + 32 * i + 16] = f.length
    dbf[32 + 32 * i + 17] = f.decimals ?? 0
  })
  dbf[headerLength - 1] = 0x0d
  spec.features.forEach((feat, r) => {
    let o = headerLength + r * recordLength + 1
    for (const f of spec.fields) {
      const v = feat.properties[f.name]
      const bytes =
        v === null || v === undefined
          ? Buffer.alloc(0)
          : f.type === 'N'
            ? Buffer.from(String(v).padStart(f.length))
            : enc(String(v))
      bytes.copy(dbf, o, 0, Math.min(bytes.length, f.length))
      o += f.length
    }
  })
  dbf[dbf.length - 1] = 0x1a

  const name = spec.name ?? 'layer'
  const out: Record<string, Uint8Array> = { [`${name}.shp`]: Buffer.concat(shp) }
  if (!spec.omit?.includes('shx')) out[`${name}.shx`] = Buffer.concat(shx)
  if (!spec.omit?.includes('dbf')) out[`${name}.dbf`] = dbf
  if (spec.prj) out[`${name}.prj`] = Buffer.from(spec.prj)
  if (spec.cpg) out[`${name}.cpg`] = Buffer.from(spec.cpg)
  return out
}

export function zip(files: Record<string, Uint8Array>): Buffer {
  return Buffer.from(zipSync(files))
}

export const shapefileZip = (spec: ShapefileSpec) => zip(shapefileParts(spec))

export const PRJ_GK_CM117 =
  'PROJCS["CGCS2000_3_Degree_GK_CM_117E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",117.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]'
