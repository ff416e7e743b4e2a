// Planar geometry in projected metres (the city's CGCS2000 3° Gauss-Kruger zone). Small, pure,
// allocation-free where it matters: these run once per building or per candidate pair.

export type Ring = number[][] // [[x, y], …], closed
export type Poly = Ring[] // outer ring first, then holes
export type MultiPoly = Poly[]
export type BBox = [number, number, number, number]

export function bboxOf(mp: MultiPoly): BBox {
  const b: BBox = [Infinity, Infinity, -Infinity, -Infinity]
  for (const poly of mp) for (const p of poly[0]) {
    if (p[0] < b[0]) b[0] = p[0]
    if (p[1] < b[1]) b[1] = p[1]
    if (p[0] > b[2]) b[2] = p[0]
    if (p[1] > b[3]) b[3] = p[1]
  }
  return b
}

/** Even-odd ray casting over every ring, so holes are handled without knowing which ring is which. */
export function pointInMultiPolygon(x: number, y: number, mp: MultiPoly): boolean {
  let inside = false
  for (const poly of mp) {
    for (const ring of poly) {
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1]
        if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside
      }
    }
  }
  return inside
}

export function pointSegmentDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax, dy = by - ay
  const len2 = dx * dx + dy * dy
  let t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0
  t = t < 0 ? 0 : t > 1 ? 1 : t
  const qx = ax + t * dx - px, qy = ay + t * dy - py
  return Math.sqrt(qx * qx + qy * qy)
}

/** Distance from a point to a (multi)polygon: 0 inside, else to the nearest edge (so a park is reached at its edge). */
export function pointPolygonDistance(x: number, y: number, mp: MultiPoly): number {
  if (pointInMultiPolygon(x, y, mp)) return 0
  let best = Infinity
  for (const poly of mp) for (const ring of poly) {
    for (let i = 1; i < ring.length; i++) {
      const d = pointSegmentDistance(x, y, ring[i - 1][0], ring[i - 1][1], ring[i][0], ring[i][1])
      if (d < best) best = d
    }
  }
  return best
}

function segmentsCross(a: number[], b: number[], c: number[], d: number[]): boolean {
  const o = (p: number[], q: number[], r: number[]) => Math.sign((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]))
  return o(a, b, c) !== o(a, b, d) && o(c, d, a) !== o(c, d, b)
}

/** Distance between two (multi)polygons: 0 when they meet; else the least vertex-to-edge distance. */
export function polygonPolygonDistance(a: MultiPoly, b: MultiPoly): number {
  if (pointInMultiPolygon(a[0][0][0][0], a[0][0][0][1], b) || pointInMultiPolygon(b[0][0][0][0], b[0][0][0][1], a)) return 0
  let best = Infinity
  for (const pa of a) for (const ra of pa) for (const pb of b) for (const rb of pb) {
    for (let i = 1; i < ra.length; i++) {
      for (let j = 1; j < rb.length; j++) if (segmentsCross(ra[i - 1], ra[i], rb[j - 1], rb[j])) return 0
    }
  }
  for (const pa of a) for (const ra of pa) for (const p of ra) best = Math.min(best, pointPolygonDistance(p[0], p[1], b))
  for (const pb of b) for (const rb of pb) for (const p of rb) best = Math.min(best, pointPolygonDistance(p[0], p[1], a))
  return best
}

/** Shoelace area of a (multi)polygon, holes subtracted. */
export function area(mp: MultiPoly): number {
  let total = 0
  for (const poly of mp) {
    poly.forEach((ring, i) => {
      let s = 0
      for (let k = 1; k < ring.length; k++) s += ring[k - 1][0] * ring[k][1] - ring[k][0] * ring[k - 1][1]
      total += (i === 0 ? 1 : -1) * Math.abs(s / 2)
    })
  }
  return total
}

/** GeoJSON Polygon/MultiPolygon coordinates → MultiPoly. */
export function toMultiPoly(g: { type: string; coordinates: unknown }): MultiPoly {
  if (g.type === 'Polygon') return [g.coordinates as Poly]
  if (g.type === 'MultiPolygon') return g.coordinates as MultiPoly
  throw new Error(`not a polygon: ${g.type}`)
}

// Lengths of one degree on the GRS80/WGS84 ellipsoid at latitude φ (to ~1 cm per degree), used to
// turn a footprint's area in square degrees into m² without projecting every polygon.
export function metresPerDegree(latDeg: number): [number, number] {
  const p = (latDeg * Math.PI) / 180
  const lat = 111132.92 - 559.82 * Math.cos(2 * p) + 1.175 * Math.cos(4 * p)
  const lon = 111412.84 * Math.cos(p) - 93.5 * Math.cos(3 * p)
  return [lon, lat]
}
