// The geometry kernel against Turf, on the work an indicator run does at city scale: a million
// point-in-polygon tests (building → 社区), a million point-to-polygon distances (building → polygon
// facility, in metres) and 50,000 polygon areas. Same inputs for both; the answers are compared.
// Ours works in planar metres in the city's Gauss-Kruger zone (the model's coordinates); Turf in
// lon/lat (its distances and areas are geodesic), so each is given its own coordinates. Point in
// polygon is Turf's in the kernel now; the ray cast it replaced is kept here for the comparison.
//   npm run bench:geometry [-- --points 1000000]
import { parseArgs } from 'node:util'
import proj4 from 'proj4'
import * as turf from '@turf/turf'
import { gaussKrugerEpsg } from '../server/import/crs.ts'
import { area, pointInMultiPolygon, pointPolygonDistance, type MultiPoly } from '../server/indicators/geom.ts'

/** The hand-written even-odd ray cast the kernel had before it used Turf's test (kept here to measure). */
function rayCast(x: number, y: number, mp: MultiPoly): boolean {
  let inside = false
  for (const poly of mp)
    for (const ring of poly)
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const xi = ring[i][0],
          yi = ring[i][1],
          xj = ring[j][0],
          yj = ring[j][1]
        if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside
      }
  return inside
}

const { values: a } = parseArgs({ options: { points: { type: 'string', default: '1000000' } } })
const N = Number(a.points)
const inv = proj4(gaussKrugerEpsg(4548)!.proj!, 'EPSG:4326')
let seed = 3
const rnd = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31
  return seed / 2 ** 31
}
// 400 社区-like polygons (irregular 24-gons, ~1 km across) over a 20 km square; points all over it.
const X0 = 490000,
  Y0 = 3510000
const polys: MultiPoly[] = []
for (let i = 0; i < 400; i++) {
  const cx = X0 + (i % 20) * 1000 + 500,
    cy = Y0 + Math.floor(i / 20) * 1000 + 500
  const ring: number[][] = []
  for (let k = 0; k < 24; k++) {
    const ang = (k / 24) * 2 * Math.PI
    const r = 350 + rnd() * 150
    ring.push([cx + r * Math.cos(ang), cy + r * Math.sin(ang)])
  }
  ring.push(ring[0])
  polys.push([[ring]] as unknown as MultiPoly)
}
const toLL = (mp: MultiPoly) => mp.map((p) => p.map((r) => r.map((q) => inv.forward(q as [number, number]))))
const turfPolys = polys.map((mp) => turf.multiPolygon(toLL(mp) as number[][][][]))
const px = new Float64Array(N),
  py = new Float64Array(N)
const ll: [number, number][] = []
for (let i = 0; i < N; i++) {
  px[i] = X0 + rnd() * 20000
  py[i] = Y0 + rnd() * 20000
  ll.push(inv.forward([px[i], py[i]]))
}
const which = (i: number) => Math.floor((px[i] - X0) / 1000) + 20 * Math.floor((py[i] - Y0) / 1000)
const sec = (t: number) => (performance.now() - t) / 1000

// point in polygon: each point against the polygon of its grid cell
let t = performance.now()
let oursIn = 0
for (let i = 0; i < N; i++) if (rayCast(px[i], py[i], polys[which(i)])) oursIn++
const pipOurs = sec(t)
t = performance.now()
let turfIn = 0
for (let i = 0; i < N; i++) if (turf.booleanPointInPolygon(ll[i], turfPolys[which(i)])) turfIn++
const pipTurf = sec(t)
console.log(
  `point in polygon × ${N}: hand-written ray cast ${pipOurs.toFixed(2)} s, Turf ${pipTurf.toFixed(2)} s (${(pipTurf / pipOurs).toFixed(1)}×); inside: ${oursIn} vs ${turfIn} (the kernel now uses Turf's)`,
)

// distance from a point to a polygon (a facility site), metres
t = performance.now()
const dOurs = new Float64Array(N)
for (let i = 0; i < N; i++) dOurs[i] = pointPolygonDistance(px[i], py[i], polys[(which(i) + 1) % polys.length])
const distOurs = sec(t)
t = performance.now()
let maxDiff = 0
for (let i = 0; i < N; i++) {
  const d = pointInMultiPolygon(px[i], py[i], polys[(which(i) + 1) % polys.length])
    ? 0
    : turf.pointToPolygonDistance(ll[i], turfPolys[(which(i) + 1) % polys.length], { units: 'meters' })
  maxDiff = Math.max(maxDiff, Math.abs(Math.abs(d) - dOurs[i]) / Math.max(1, dOurs[i]))
}
const distTurf = sec(t)
console.log(
  `point-to-polygon distance × ${N}: ours ${distOurs.toFixed(2)} s, Turf ${distTurf.toFixed(2)} s (${(distTurf / distOurs).toFixed(1)}×); largest relative difference ${(maxDiff * 100).toFixed(3)} % (planar zone metres vs geodesic)`,
)

// polygon areas
const M = 50000
t = performance.now()
let aOurs = 0
for (let i = 0; i < M; i++) aOurs += area(polys[i % polys.length])
const areaOurs = sec(t)
t = performance.now()
let aTurf = 0
for (let i = 0; i < M; i++) aTurf += turf.area(turfPolys[i % polys.length])
const areaTurf = sec(t)
console.log(
  `area × ${M}: ours ${areaOurs.toFixed(3)} s, Turf ${areaTurf.toFixed(3)} s (${(areaTurf / areaOurs).toFixed(1)}×); total ${(aOurs / 1e6).toFixed(1)} vs ${(aTurf / 1e6).toFixed(1)} km²`,
)
