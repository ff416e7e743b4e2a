// Which buildings are within a radius of a set of facilities. Buildings are points (inside their
// footprints); facilities are points or polygons, reached at their nearest edge. The buildings are
// bucketed into a grid once and the cells around each facility searched, so the cost follows the
// number of covered pairs, not buildings × facilities.
import { type BBox, type MultiPoly, withinPolygon } from './geom.ts'

/** Distances within this of the radius count as inside: it absorbs projection round-off (≪ 1 cm). */
export const RADIUS_TOLERANCE_M = 0.01

export interface Site {
  x: number
  y: number
  geom?: MultiPoly
  bbox?: BBox
}

export interface PointSet {
  ids: Int32Array
  x: Float64Array
  y: Float64Array
}

/** Marks out[ids[k]] = 1 for every indexed point within `radius` of any site. */
export function markCovered(points: PointSet, sites: Site[], radius: number, out: Uint8Array): void {
  const r = radius + RADIUS_TOLERANCE_M
  const g = gridOf(points)
  if (!g) return
  const { gid } = g
  // Marks are kept in the grid's order while the sites are searched (a write beside the coordinates
  // just read, not a jump through ids[] into `out`), and copied to `out` once at the end. Where there
  // are polygons, a point `out` already holds starts marked, so that a polygon does not test it again.
  // (the grid's own scratch, cleared: a new array a call was ~200 MB a 1M city's run for the collector)
  const hit = g.hit
  const polygons = sites.filter((s) => s.geom)
  if (polygons.length) for (let j = 0; j < hit.length; j++) hit[j] = out[gid[j]]
  else hit.fill(0)
  // Point and polygon sites in loops of their own: one loop with both branches was compiled before
  // its polygon branch had run, then thrown away and run unoptimised when a polygon came.
  markPoints(g, polygons.length ? sites.filter((s) => !s.geom) : sites, r, hit)
  if (polygons.length) markPolygons(g, polygons, r, hit)
  for (let j = 0; j < hit.length; j++) if (hit[j]) out[gid[j]] = 1
}

/**
 * The points of every cell meeting the site's box grown by r, each tested as the KDBush searches this
 * replaced tested them (squared distance against r², box bounds inclusive): the same points are
 * marked. (Loops written out: a callback per point cost a fifth of the gain.)
 */
function markPoints(g: PointGrid, sites: Site[], r: number, hit: Uint8Array): void {
  const { gx, gy, start, nx, size } = g
  const r2 = r * r
  // A cell whose four corners are all within r - 1 µm of a point site has all its points within r:
  // they are marked without a test (the margin is far above the cell bounds' round-off, ~1e-10 m at
  // Gauss-Kruger magnitudes, so the points marked are exactly those the test would mark).
  const inner = Math.max(0, r - 1e-6)
  const inner2 = inner * inner
  for (let k = 0; k < sites.length; k++) {
    const { x, y } = sites[k]
    const cx0 = g.cell(x - r, g.x0, nx),
      cx1 = g.cell(x + r, g.x0, nx)
    const cy0 = g.cell(y - r, g.y0, g.ny),
      cy1 = g.cell(y + r, g.y0, g.ny)
    for (let cy = cy0; cy <= cy1; cy++) {
      // The farthest corner's y offset for this row of cells, then each cell of the row.
      const ya = g.y0 + cy * size - y,
        yb = ya + size
      const fy = Math.max(ya * ya, yb * yb)
      for (let cx = cx0; cx <= cx1; cx++) {
        const c = cy * nx + cx
        const from = start[c],
          to = start[c + 1]
        if (from === to) continue
        const xa = g.x0 + cx * size - x,
          xb = xa + size
        if (Math.max(xa * xa, xb * xb) + fy <= inner2) {
          hit.fill(1, from, to)
          continue
        }
        for (let j = from; j < to; j++) {
          const dx = gx[j] - x,
            dy = gy[j] - y
          if (dx * dx + dy * dy <= r2) hit[j] = 1
        }
      }
    }
  }
}

/** Polygon sites: the points in the box grown by r, not yet marked, within r of the polygon's edge or inside it. */
function markPolygons(g: PointGrid, sites: Site[], r: number, hit: Uint8Array): void {
  const { gx, gy, start, nx } = g
  for (let k = 0; k < sites.length; k++) {
    const s = sites[k]
    const b = s.bbox!
    const minX = b[0] - r,
      minY = b[1] - r,
      maxX = b[2] + r,
      maxY = b[3] + r
    const cx0 = g.cell(minX, g.x0, nx),
      cx1 = g.cell(maxX, g.x0, nx)
    for (let cy = g.cell(minY, g.y0, g.ny), cy1 = g.cell(maxY, g.y0, g.ny); cy <= cy1; cy++) {
      const from = start[cy * nx + cx0],
        to = start[cy * nx + cx1 + 1]
      for (let j = from; j < to; j++) {
        if (hit[j]) continue
        const x = gx[j],
          y = gy[j]
        if (x < minX || x > maxX || y < minY || y > maxY) continue
        if (withinPolygon(x, y, s.geom!, r)) hit[j] = 1
      }
    }
  }
}

/**
 * Calls visit(k, j) for every point k within `radius` of site j (polygon sites at their nearest edge),
 * site after site, with the same tests as markCovered (and the KDBush searches both replaced).
 */
export function visitWithin(
  points: PointSet,
  sites: Site[],
  radius: number,
  visit: (k: number, j: number) => void,
): void {
  const r = radius + RADIUS_TOLERANCE_M
  const r2 = r * r
  const g = gridOf(points)
  if (!g) return
  const { gx, gy, gk, start, nx } = g
  for (let j = 0; j < sites.length; j++) {
    const s = sites[j]
    const b = s.geom ? s.bbox! : null
    const minX = (b ? b[0] : s.x) - r,
      minY = (b ? b[1] : s.y) - r,
      maxX = (b ? b[2] : s.x) + r,
      maxY = (b ? b[3] : s.y) + r
    const cx0 = g.cell(minX, g.x0, nx),
      cx1 = g.cell(maxX, g.x0, nx)
    for (let cy = g.cell(minY, g.y0, g.ny), cy1 = g.cell(maxY, g.y0, g.ny); cy <= cy1; cy++)
      for (let q = start[cy * nx + cx0], to = start[cy * nx + cx1 + 1]; q < to; q++) {
        const x = gx[q],
          y = gy[q]
        if (!b) {
          if ((x - s.x) * (x - s.x) + (y - s.y) * (y - s.y) <= r2) visit(gk[q], j)
        } else if (x >= minX && x <= maxX && y >= minY && y <= maxY && withinPolygon(x, y, s.geom!, r)) visit(gk[q], j)
      }
  }
}

/**
 * A point set's points bucketed into square cells (~32 points a cell), their coordinates copied in
 * cell order. A KDBush search per facility allocated an array of every point it found (thousands for
 * a bus stop's 500 m in a dense city, ~60 searches of 75,000 facilities a run): the searches and the
 * collector's work with their arrays were ~3 s of a 1M city's cold run. Made once per point set.
 */
interface PointGrid {
  x0: number
  y0: number
  nx: number
  ny: number
  /** a cell's side (m): cell cx spans [x0 + cx * size, x0 + (cx + 1) * size] */
  size: number
  cell: (v: number, origin: number, n: number) => number
  /** cell c's points are j in [start[c], start[c + 1]): at (gx[j], gy[j]), point number gk[j] of id gid[j] */
  start: Int32Array
  gx: Float64Array
  gy: Float64Array
  gk: Int32Array
  gid: Int32Array
  /** markCovered's marks in cell order (reused call after call: the thread runs one at a time) */
  hit: Uint8Array
}
const grids = new WeakMap<PointSet, PointGrid | null>()

function gridOf(points: PointSet): PointGrid | null {
  if (grids.has(points)) return grids.get(points)!
  const n = points.ids.length
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity]
  let finite = 0
  for (let k = 0; k < n; k++) {
    const x = points.x[k],
      y = points.y[k]
    // (a point without finite coordinates is within no distance of anything, as in the KDBush)
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue
    finite++
    if (x < x0) x0 = x
    if (x > x1) x1 = x
    if (y < y0) y0 = y
    if (y > y1) y1 = y
  }
  if (!finite) {
    grids.set(points, null)
    return null
  }
  const [w, h] = [x1 - x0, y1 - y0]
  let size = Math.sqrt(((w || 1) * (h || 1) * 32) / finite)
  // At most ~4M cells however the points are spread.
  size = Math.max(size, Math.sqrt((w * h) / (4 << 20)), (Math.max(w, h) || 1) / (4 << 20))
  const nx = Math.floor(w / size) + 1,
    ny = Math.floor(h / size) + 1
  const cell = (v: number, origin: number, cells: number) =>
    Math.min(cells - 1, Math.max(0, Math.floor((v - origin) / size)))
  const of = new Int32Array(n).fill(-1)
  const start = new Int32Array(nx * ny + 1)
  for (let k = 0; k < n; k++) {
    const x = points.x[k],
      y = points.y[k]
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue
    of[k] = cell(y, y0, ny) * nx + cell(x, x0, nx)
    start[of[k] + 1]++
  }
  for (let c = 0; c < nx * ny; c++) start[c + 1] += start[c]
  const next = start.slice(0, nx * ny)
  const gx = new Float64Array(finite),
    gy = new Float64Array(finite),
    gk = new Int32Array(finite),
    gid = new Int32Array(finite)
  for (let k = 0; k < n; k++) {
    if (of[k] < 0) continue
    const j = next[of[k]]++
    gx[j] = points.x[k]
    gy[j] = points.y[k]
    gk[j] = k
    gid[j] = points.ids[k]
  }
  const g: PointGrid = { x0, y0, nx, ny, size, cell, start, gx, gy, gk, gid, hit: new Uint8Array(finite) }
  grids.set(points, g)
  return g
}
