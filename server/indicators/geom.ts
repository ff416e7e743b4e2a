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
 * crosses look at their points. Same answer as testing every point, far fewer tests. Weights are
 * finite (residents, jobs).
 */
export class DiscSums {
  private cellTotal: Float64Array
  private start: Int32Array
  /** the points' positions and weights in cell order (a cell's points in their own order) */
  private px: Float64Array
  private py: Float64Array
  private pw: Float64Array
  private nx: number
  private ny: number
  private x0: number
  private y0: number
  constructor(
    xs: Float64Array,
    ys: Float64Array,
    w: Float64Array,
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
    // Copied in cell order, so a crossed cell's points are read in sequence: through an index into the
    // arrays as given, the reads of a 5 km disc's ~8,000 boundary points a 社区 went all over a
    // million homes' 24 MB (jobs_housing_5km: 0.46 s of a 1M city's run).
    const n = xs.length
    this.px = new Float64Array(n)
    this.py = new Float64Array(n)
    this.pw = new Float64Array(n)
    const fill = count.slice()
    for (let i = 0; i < n; i++) {
      const q = fill[cellOf[i]]++
      this.px[q] = xs[i]
      this.py[q] = ys[i]
      this.pw[q] = w[i]
    }
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
      const dn2 = dyNear * dyNear,
        df2 = dyFar * dyFar
      if (dn2 > r2) continue // the whole row is outside
      // The row's cells the circle does not leave out are one run of columns, and those wholly inside
      // one run within it: each run's ends are estimated from the chord and settled by the same tests
      // a cell-by-cell pass makes, so the cells and the order they are added in are that pass's.
      const h = Math.sqrt(r2 - dn2)
      let p0 = Math.min(i1 + 1, Math.max(i0, Math.floor((cx - h - this.x0) / c)))
      while (p0 > i0 && !this.outside(p0 - 1, cx, dn2, r2)) p0--
      while (p0 <= i1 && this.outside(p0, cx, dn2, r2)) p0++
      let p1 = Math.max(p0 - 1, Math.min(i1, Math.floor((cx + h - this.x0) / c)))
      while (p1 < i1 && !this.outside(p1 + 1, cx, dn2, r2)) p1++
      while (p1 >= p0 && this.outside(p1, cx, dn2, r2)) p1--
      // Wholly inside: none unless the cell nearest the centre's column is (the far edge is nearest there).
      let w0 = p1 + 1,
        w1 = p1
      const ic = Math.min(p1, Math.max(p0, Math.floor((cx - this.x0) / c)))
      if (p0 <= p1 && this.inside(ic, cx, df2, r2)) {
        w0 = w1 = ic
        while (w0 > p0 && this.inside(w0 - 1, cx, df2, r2)) w0--
        while (w1 < p1 && this.inside(w1 + 1, cx, df2, r2)) w1++
      }
      const row = j * this.nx
      for (let i = p0; i < w0; i++) total = this.crossed(row + i, cx, cy, r2, total)
      for (let i = w0; i <= w1; i++) total += this.cellTotal[row + i]
      for (let i = w1 + 1; i <= p1; i++) total = this.crossed(row + i, cx, cy, r2, total)
    }
    return total
  }
  /** Whether column i of a row dn2 (squared) from the centre is wholly outside the circle. */
  private outside(i: number, cx: number, dn2: number, r2: number): boolean {
    const xa = this.x0 + i * this.cell,
      xb = xa + this.cell
    const dxNear = cx < xa ? xa - cx : cx > xb ? cx - xb : 0
    return dxNear * dxNear + dn2 > r2
  }
  /** Whether column i of a row whose far edge is df2 (squared) from the centre is wholly inside. */
  private inside(i: number, cx: number, df2: number, r2: number): boolean {
    const xa = this.x0 + i * this.cell,
      xb = xa + this.cell
    const dxFar = Math.max(Math.abs(xa - cx), Math.abs(xb - cx))
    return dxFar * dxFar + df2 <= r2
  }
  /** `total` plus the weights of cell k's points within the circle, added one by one. */
  private crossed(k: number, cx: number, cy: number, r2: number, total: number): number {
    const { px, py, pw } = this
    for (let q = this.start[k], q1 = this.start[k + 1]; q < q1; q++) {
      const dx = px[q] - cx,
        dy = py[q] - cy
      // (adding its weight times 0 for a point outside rather than branching: half the points of a
      // crossed cell are outside, in no order a branch predictor learns; x + 0 is x, the weights finite)
      total += pw[q] * +(dx * dx + dy * dy <= r2)
    }
    return total
  }
}
