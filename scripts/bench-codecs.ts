// The hand-written codecs against well-kept libraries, on the same inputs, same process:
//  - WKT → GeoJSON geometry (CSV uploads with a WKT column): the hand-written reader (kept below) vs wkx,
//    which server/import/readers/wkt.ts now uses (it measured faster with identical answers).
//  - GeoJSON → EWKB hex (every imported feature): ours (server/import/geometry.ts) vs wkx.
//  - WGS84 ↔ GCJ-02 and BD-09 (uploads from AMap/Baidu tools): ours (server/import/gcj02.ts) vs gcoord.
// Prints time per million, the ratio, and whether the answers agree (exactly, or the largest difference in
// metres); for the inverse offsets, the round-trip error of each (the inverse has no closed form).
//   npm run bench:codecs [-- --n 1000000]
import { parseArgs } from 'node:util'
import gcoordModule from 'gcoord'
import wkx from 'wkx'
import type { Geometry, Position } from 'geojson'
import { bd09ToWgs84, gcj02ToBd09, gcj02ToWgs84, wgs84ToGcj02 } from '../server/import/gcj02.ts'
import { toEwkbHex } from '../server/import/geometry.ts'
import { parseWkt } from '../server/import/readers/wkt.ts'

// gcoord is CommonJS: under Node's ESM its default import is module.exports, while its types declare
// `export default`; take whichever holds the API.
type Gcoord = typeof gcoordModule.default
const gcoord: Gcoord = (gcoordModule as unknown as { default?: Gcoord }).default ?? (gcoordModule as unknown as Gcoord)

/** The hand-written WKT reader the CSV import had before it used wkx (kept here to measure). A small reader for POINT, LINESTRING, POLYGON and their MULTI forms (optionally with SRID=…;). */
function handWrittenWkt(input: string): Geometry {
  const s = input.replace(/^SRID=\d+;/i, '').trim()
  let i = 0
  const ws = () => {
    while (i < s.length && /\s/.test(s[i])) i++
  }
  const word = () => {
    ws()
    const m = /^[A-Za-z]+/.exec(s.slice(i))
    if (!m) throw new Error(`expected a type at ${i}`)
    i += m[0].length
    return m[0].toUpperCase()
  }
  const expect = (c: string) => {
    ws()
    if (s[i] !== c) throw new Error(`expected "${c}" at ${i}`)
    i++
  }
  const peek = () => {
    ws()
    return s[i]
  }
  const pos = (): Position => {
    ws()
    const m = /^([-+\d.eE]+)\s+([-+\d.eE]+)(?:\s+[-+\d.eE]+)*/.exec(s.slice(i))
    if (!m) throw new Error(`expected a coordinate at ${i}`)
    i += m[0].length
    return [Number(m[1]), Number(m[2])]
  }
  const list = <T>(item: () => T): T[] => {
    expect('(')
    const out = [item()]
    while (peek() === ',') {
      i++
      out.push(item())
    }
    expect(')')
    return out
  }
  const point = (): Position => (peek() === '(' ? list(pos)[0] : pos())
  const type = word()
  if (/^(Z|M|ZM)$/i.test(peek() ?? '')) word()
  let g: Geometry
  switch (type) {
    case 'POINT':
      g = { type: 'Point', coordinates: list(pos)[0] }
      break
    case 'LINESTRING':
      g = { type: 'LineString', coordinates: list(pos) }
      break
    case 'POLYGON':
      g = { type: 'Polygon', coordinates: list(() => list(pos)) }
      break
    case 'MULTIPOINT':
      g = { type: 'MultiPoint', coordinates: list(point) }
      break
    case 'MULTILINESTRING':
      g = { type: 'MultiLineString', coordinates: list(() => list(pos)) }
      break
    case 'MULTIPOLYGON':
      g = { type: 'MultiPolygon', coordinates: list(() => list(() => list(pos))) }
      break
    default:
      throw new Error(`unsupported WKT type ${type}`)
  }
  ws()
  if (i !== s.length) throw new Error(`unexpected text at ${i}`)
  return g
}

const { values: a } = parseArgs({ options: { n: { type: 'string', default: '1000000' } } })
const N = Number(a.n)
let seed = 7
const rnd = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31
  return seed / 2 ** 31
}
const once = (f: () => void) => {
  const t = performance.now()
  f()
  return performance.now() - t
}
/** Best of three, the two sides alternating, so neither gets the warm JIT or the quiet GC alone. */
function pair(a: () => void, b: () => void): [number, number] {
  let ta = Number.POSITIVE_INFINITY
  let tb = Number.POSITIVE_INFINITY
  for (let i = 0; i < 3; i++) {
    ta = Math.min(ta, once(a))
    tb = Math.min(tb, once(b))
  }
  return [ta, tb]
}
const perM = (ms: number, n: number) => `${((ms * 1e6) / n / 1000).toFixed(2)} s/M`
const row = (what: string, ours: number, lib: number, n: number, agree: string) =>
  console.log(
    `${what.padEnd(34)} ours ${perM(ours, n).padStart(10)}   library ${perM(lib, n).padStart(10)}   ` +
      `library/ours ${(lib / ours).toFixed(2)}×   ${agree}`,
  )

// ---- WKT and EWKB: building-like footprints (rectangles of 5–12 vertices) around a city, 7 decimals ----
const footprint = (): Geometry => {
  const cx = 116.2 + rnd() * 0.4,
    cy = 39.8 + rnd() * 0.3
  const k = 5 + Math.floor(rnd() * 8)
  const ring: [number, number][] = []
  for (let i = 0; i < k; i++) {
    const t = (i / k) * 2 * Math.PI
    ring.push([+(cx + Math.cos(t) * 0.0002).toFixed(7), +(cy + Math.sin(t) * 0.00015).toFixed(7)])
  }
  ring.push(ring[0])
  return { type: 'MultiPolygon', coordinates: [[ring]] }
}
const nGeom = Math.min(N, 300_000)
const geoms = Array.from({ length: nGeom }, footprint)
const wkts = geoms.map((g) => wkx.Geometry.parseGeoJSON(g).toWkt())

let ours: Geometry[] = []
let lib: Geometry[] = []
// The service's reader: wkx plus the 2D flattening it applies.
const [tOurs, tLib] = pair(
  () => {
    ours = wkts.map((w) => handWrittenWkt(w))
  },
  () => {
    lib = wkts.map((w) => parseWkt(w))
  },
)
let same = 0
for (let i = 0; i < nGeom; i++) if (JSON.stringify(ours[i]) === JSON.stringify(lib[i])) same++
console.log(`citycheck codecs vs libraries — ${nGeom.toLocaleString()} footprints, ${N.toLocaleString()} points\n`)
row('WKT → geometry (wkx in use)', tOurs, tLib, nGeom, `identical ${same}/${nGeom}`)

let hexOurs: string[] = []
let hexLib: string[] = []
const [eOurs, eLib] = pair(
  () => {
    hexOurs = geoms.map((g) => toEwkbHex(g, 4490))
  },
  () => {
    hexLib = geoms.map((g) => {
      const w = wkx.Geometry.parseGeoJSON(g)
      w.srid = 4490
      return w.toEwkb().toString('hex')
    })
  },
)
let sameHex = 0
for (let i = 0; i < nGeom; i++) if (hexOurs[i].toLowerCase() === hexLib[i].toLowerCase()) sameHex++
row('geometry → EWKB hex', eOurs, eLib, nGeom, `identical ${sameHex}/${nGeom}`)

// ---- GCJ-02 / BD-09 on points all over China's mainland ----
const pts = Array.from({ length: N }, () => [74 + rnd() * 60, 18 + rnd() * 35] as [number, number])
const metres = (p: number[], q: number[]) => {
  const dy = (p[1] - q[1]) * 110574
  const dx = (p[0] - q[0]) * 111320 * Math.cos((p[1] * Math.PI) / 180)
  return Math.hypot(dx, dy)
}
let fOurs: [number, number][] = []
let fLib: number[][] = []
const [gOurs, gLib] = pair(
  () => {
    fOurs = pts.map(([x, y]) => wgs84ToGcj02(x, y))
  },
  () => {
    fLib = pts.map((p) => gcoord.transform(p, gcoord.WGS84, gcoord.GCJ02) as number[])
  },
)
let maxF = 0
for (let i = 0; i < N; i++) maxF = Math.max(maxF, metres(fOurs[i], fLib[i]))
row('WGS84 → GCJ-02', gOurs, gLib, N, `largest difference ${maxF.toExponential(2)} m`)

// Inverse: back from the (shared) forward result; the error is the distance to where we started.
let iOurs: [number, number][] = []
let iLib: number[][] = []
const [bOurs, bLib] = pair(
  () => {
    iOurs = fOurs.map(([x, y]) => gcj02ToWgs84(x, y))
  },
  () => {
    iLib = fOurs.map((p) => gcoord.transform(p, gcoord.GCJ02, gcoord.WGS84) as number[])
  },
)
let eo = 0,
  el = 0
for (let i = 0; i < N; i++) {
  eo = Math.max(eo, metres(iOurs[i], pts[i]))
  el = Math.max(el, metres(iLib[i], pts[i]))
}
row(
  'GCJ-02 → WGS84 (inverse)',
  bOurs,
  bLib,
  N,
  `round trip: ours ${eo.toExponential(2)} m, library ${el.toExponential(2)} m`,
)

const bd = fOurs.map(([x, y]) => gcj02ToBd09(x, y))
let dOurs: [number, number][] = []
let dLib: number[][] = []
const [cOurs, cLib] = pair(
  () => {
    dOurs = bd.map(([x, y]) => bd09ToWgs84(x, y))
  },
  () => {
    dLib = bd.map((p) => gcoord.transform(p, gcoord.BD09, gcoord.WGS84) as number[])
  },
)
let bo = 0,
  bl = 0
for (let i = 0; i < N; i++) {
  bo = Math.max(bo, metres(dOurs[i], pts[i]))
  bl = Math.max(bl, metres(dLib[i], pts[i]))
}
row(
  'BD-09 → WGS84 (inverse)',
  cOurs,
  cLib,
  N,
  `round trip: ours ${bo.toExponential(2)} m, library ${bl.toExponential(2)} m`,
)
