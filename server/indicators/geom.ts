// Planar geometry in projected metres (the city's CGCS2000 3° Gauss-Kruger zone). Small, pure,
// allocation-free where it matters: these run once per building or per candidate pair.
import pointInPolygon from 'point-in-polygon-hao'

export type Ring = number[][] // [[x, y], …], closed
export type Poly = Ring[] // outer ring first, then holes
export type MultiPoly = Poly[]
export type BBox = [number, number, number, number]

export function bboxOf(mp: MultiPoly): BBox {
  const b: BBox = [Infinity, Infinity, -Infinity, -Infinity]
  for (const poly of mp)
    for (const p of poly[0]) {
      if (p[0] < b[0]) b[0] = p[0]
      if (p[1] < b[1]) b[1] = p[1]
      if (p[0] > b[2]) b[2] = p[0]
      if (p[1] > b[3]) b[3] = p[1]
    }
  return b
}

const PT: [number, number] = [0, 0]

/**
 * Whether a point lies in a (multi)polygon, boundary included: the robust test Turf's
 * booleanPointInPolygon runs (point-in-polygon-hao: 0 on the boundary), called directly on each part.
 * Turf's wrapper (reading the point and geometry through its invariant helpers) was a third of the
 * test's time in a CPU profile of the 1M cold run; the answers are the same by construction.
 */
export function pointInMultiPolygon(x: number, y: number, mp: MultiPoly): boolean {
  // One point array reused (the test reads it and keeps nothing): a new one a call was ~150 MB of
  // garbage in a 1M city's run, millions of tests for polygon facilities and parks.
  PT[0] = x
  PT[1] = y
  for (let k = 0; k < mp.length; k++) if (pointInPolygon(PT, mp[k]) !== false) return true
  return false
}

export function pointSegmentDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax,
    dy = by - ay
  const len2 = dx * dx + dy * dy
  let t = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0
  t = t < 0 ? 0 : Math.min(t, 1)
  const qx = ax + t * dx - px,
    qy = ay + t * dy - py
  return Math.sqrt(qx * qx + qy * qy)
}

/** Distance from a point to a (multi)polygon: 0 inside, else to the nearest edge (so a park is reached at its edge). */
export function pointPolygonDistance(x: number, y: number, mp: MultiPoly): number {
  if (pointInMultiPolygon(x, y, mp)) return 0
  let best = Infinity
  for (const poly of mp)
    for (const ring of poly) {
      for (let i = 1; i < ring.length; i++) {
        const d = pointSegmentDistance(x, y, ring[i - 1][0], ring[i - 1][1], ring[i][0], ring[i][1])
        if (d < best) best = d
      }
    }
  return best
}

/**
 * Whether pointPolygonDistance(x, y, mp) <= r, answered with less work: an edge within r settles it
 * (most points a park or a polygon facility reaches lie near its edge), and only a point no edge
 * reaches is tested for lying inside. The same distances as pointPolygonDistance, so the same answer;
 * in a 1M city's cold run the full test (inside first, then every edge) was ~0.5 s.
 */
export function withinPolygon(x: number, y: number, mp: MultiPoly, r: number): boolean {
  for (let p = 0; p < mp.length; p++) {
    const poly = mp[p]
    for (let k = 0; k < poly.length; k++) {
      const ring = poly[k]
      for (let i = 1; i < ring.length; i++) {
        const a = ring[i - 1],
          b = ring[i]
        if (pointSegmentDistance(x, y, a[0], a[1], b[0], b[1]) <= r) return true
      }
    }
  }
  return pointInMultiPolygon(x, y, mp)
}

function segmentsCross(a: number[], b: number[], c: number[], d: number[]): boolean {
  const o = (p: number[], q: number[], r: number[]) =>
    Math.sign((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]))
  return o(a, b, c) !== o(a, b, d) && o(c, d, a) !== o(c, d, b)
}

/** Distance between two (multi)polygons: 0 when they meet; else the least vertex-to-edge distance. */
export function polygonPolygonDistance(a: MultiPoly, b: MultiPoly): number {
  if (pointInMultiPolygon(a[0][0][0][0], a[0][0][0][1], b) || pointInMultiPolygon(b[0][0][0][0], b[0][0][0][1], a))
    return 0
  let best = Infinity
  for (const pa of a)
    for (const ra of pa)
      for (const pb of b)
        for (const rb of pb) {
          for (let i = 1; i < ra.length; i++) {
            for (let j = 1; j < rb.length; j++) if (segmentsCross(ra[i - 1], ra[i], rb[j - 1], rb[j])) return 0
          }
        }
  for (const pa of a)
    for (const ra of pa) for (const p of ra) best = Math.min(best, pointPolygonDistance(p[0], p[1], b))
  for (const pb of b)
    for (const rb of pb) for (const p of rb) best = Math.min(best, pointPolygonDistance(p[0], p[1], a))
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
// turn a footprint's area in square degrees into m² without projecting every polygon. Two functions,
// not one returning a pair: a pair a building was a million arrays for the collector each run.
export function metresPerDegreeLon(latDeg: number): number {
  const p = (latDeg * Math.PI) / 180
  return 111412.84 * Math.cos(p) - 93.5 * Math.cos(3 * p)
}

export function metresPerDegreeLat(latDeg: number): number {
  const p = (latDeg * Math.PI) / 180
  return 111132.92 - 559.82 * Math.cos(2 * p) + 1.175 * Math.cos(4 * p)
}

/**
 * Exact sums of weighted points within a radius, for many centres: points are binned in a grid
 * with per-cell totals; cells wholly inside the disc add their total, only cells the circle
 * crosses look at their points. Same answer as testing every point, far fewer tests.
 */
export class DiscSums {
  private cellTotal: Float64Array
  private start: Int32Array
  private order: Int32Array
  private nx: number
  private ny: number
  private x0: number
  private y0: number
  constructor(
    private xs: Float64Array,
    private ys: Float64Array,
    private w: Float64Array,
    private cell: number,
  ) {
    let minX = Infinity,
      minY = Infinity,
      maxX = -Infinity,
      maxY = -Infinity
    for (let i = 0; i < xs.length; i++) {
      minX = Math.min(minX, xs[i])
      minY = Math.min(minY, ys[i])
      maxX = Math.max(maxX, xs[i])
      maxY = Math.max(maxY, ys[i])
    }
    if (!xs.length) {
      minX = minY = 0
      maxX = maxY = 1
    }
    this.x0 = minX
    this.y0 = minY
    this.nx = Math.max(1, Math.ceil((maxX - minX) / cell) + 1)
    this.ny = Math.max(1, Math.ceil((maxY - minY) / cell) + 1)
    const cells = this.nx * this.ny
    const count = new Int32Array(cells + 1)
    const cellOf = new Int32Array(xs.length)
    this.cellTotal = new Float64Array(cells)
    for (let i = 0; i < xs.length; i++) {
      const c = Math.floor((xs[i] - minX) / cell) + Math.floor((ys[i] - minY) / cell) * this.nx
      cellOf[i] = c
      count[c + 1]++
      this.cellTotal[c] += w[i]
    }
    for (let c = 0; c < cells; c++) count[c + 1] += count[c]
    this.start = count.slice()
    this.order = new Int32Array(xs.length)
    const fill = count.slice()
    for (let i = 0; i < xs.length; i++) this.order[fill[cellOf[i]]++] = i
  }
  sum(cx: number, cy: number, r: number): number {
    const c = this.cell,
      r2 = r * r
    const i0 = Math.max(0, Math.floor((cx - r - this.x0) / c)),
      i1 = Math.min(this.nx - 1, Math.floor((cx + r - this.x0) / c))
    const j0 = Math.max(0, Math.floor((cy - r - this.y0) / c)),
      j1 = Math.min(this.ny - 1, Math.floor((cy + r - this.y0) / c))
    let total = 0
    for (let j = j0; j <= j1; j++) {
      const ya = this.y0 + j * c,
        yb = ya + c
      const dyFar = Math.max(Math.abs(ya - cy), Math.abs(yb - cy))
      const dyNear = cy < ya ? ya - cy : cy > yb ? cy - yb : 0
      for (let i = i0; i <= i1; i++) {
        const xa = this.x0 + i * c,
          xb = xa + c
        const dxFar = Math.max(Math.abs(xa - cx), Math.abs(xb - cx))
        const dxNear = cx < xa ? xa - cx : cx > xb ? cx - xb : 0
        if (dxNear * dxNear + dyNear * dyNear > r2) continue // wholly outside
        const k = i + j * this.nx
        if (dxFar * dxFar + dyFar * dyFar <= r2) {
          total += this.cellTotal[k]
          continue
        } // wholly inside
        for (let q = this.start[k]; q < this.start[k + 1]; q++) {
          const p = this.order[q]
          const dx = this.xs[p] - cx,
            dy = this.ys[p] - cy
          if (dx * dx + dy * dy <= r2) total += this.w[p]
        }
      }
    }
    return total
  }
}
