// Which unit (街道, 社区, 小区) a point lies in, for a million buildings at a time. A bounding-box tree
// answers each point with a search (an array allocated, every candidate's polygon tested); in a CPU
// profile of the 1M model load that search alone was ~2 s. Here the units' extent is cut into a grid
// of cells about a sixth of a unit's side, and each cell knows, for each unit whose box it meets,
// whether it lies wholly inside that unit, wholly outside it, or on its boundary. Most points fall in
// a cell wholly inside one unit and are answered by two array reads; only points in boundary cells
// are tested against the polygons, and only against the units whose boundary crosses their cell.
//
// The answer is the lowest-numbered unit containing the point (boundary included, as
// pointInMultiPolygon), so where units overlap or share an edge it is the same on every load.
import { pointInMultiPolygon, type BBox, type MultiPoly } from './geom.ts'

const OUTSIDE = 0
const INSIDE = 1
const BOUNDARY = 2
/** fast[] value of a cell whose points need testing (fast ≥ 0 is the unit, -1 none) */
const TEST = -2
/** At most this many cells (the grid is coarsened past it): 3 Int32 arrays of it, ~24 MB. */
const MAX_CELLS = 2 << 20

export interface GridUnit {
  geom: MultiPoly
  bbox: BBox
}

export class UnitGrid {
  private x0 = 0
  private y0 = 0
  private s = 1
  private nx = 0
  private ny = 0
  /** per cell: the unit every point of it is in (≥ 0), none (-1), or TEST */
  private fast = new Int32Array(0)
  /** per cell: where its entries start; entries of cell c are [start[c], start[c + 1]) */
  private start = new Int32Array(1)
  private entryUnit = new Int32Array(0)
  private entryState = new Uint8Array(0)

  constructor(private units: GridUnit[]) {
    const ok = units.map((u) => u.bbox.every(Number.isFinite) && u.bbox[0] <= u.bbox[2] && u.bbox[1] <= u.bbox[3])
    const live = units.filter((_, k) => ok[k])
    if (!live.length) return
    let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity]
    let area = 0
    for (const { bbox: b } of live) {
      x0 = Math.min(x0, b[0])
      y0 = Math.min(y0, b[1])
      x1 = Math.max(x1, b[2])
      y1 = Math.max(y1, b[3])
      area += (b[2] - b[0]) * (b[3] - b[1])
    }
    const [w, h] = [x1 - x0, y1 - y0]
    // A sixth of the mean unit's side: ~36 cells a unit, most of them wholly inside it.
    let s = Math.sqrt(area / live.length) / 6
    if (!(s > 0)) s = Math.max(w, h) / 1024 || 1
    if ((w / s + 1) * (h / s + 1) > MAX_CELLS) s = Math.sqrt((w * h) / MAX_CELLS) * 1.01 + Math.max(w, h) / MAX_CELLS
    // The grid starts half a cell out, so units drawn on round coordinates do not have their edges
    // on the cells' edges (where an edge marks the cells on both sides).
    x0 -= s / 2
    y0 -= s / 2
    Object.assign(this, { x0, y0, s, nx: Math.floor((x1 - x0) / s) + 1, ny: Math.floor((y1 - y0) / s) + 1 })
    const cells = this.nx * this.ny

    // Two passes over the units' boxes: count the entries of each cell, then fill them in unit order.
    const start = new Int32Array(cells + 1)
    const range = units.map((u, k) => (ok[k] ? this.cellRange(u.bbox) : null))
    for (const r of range) {
      if (!r) continue
      for (let cy = r[1]; cy <= r[3]; cy++) for (let cx = r[0]; cx <= r[2]; cx++) start[cy * this.nx + cx + 1]++
    }
    for (let c = 0; c < cells; c++) start[c + 1] += start[c]
    const next = start.slice(0, cells)
    const entryUnit = new Int32Array(start[cells])
    const entryState = new Uint8Array(start[cells])
    units.forEach((u, k) => {
      const r = range[k]
      if (!r) return
      const states = this.cellStates(u.geom, r)
      const rw = r[2] - r[0] + 1
      for (let cy = r[1]; cy <= r[3]; cy++)
        for (let cx = r[0]; cx <= r[2]; cx++) {
          const e = next[cy * this.nx + cx]++
          entryUnit[e] = k
          entryState[e] = states[(cy - r[1]) * rw + (cx - r[0])]
        }
    })
    // A cell's answer is known when, in unit order, the units before the first one it lies inside
    // all lie wholly outside it; a boundary met first means its points are tested.
    const fast = new Int32Array(cells).fill(-1)
    for (let c = 0; c < cells; c++)
      for (let e = start[c]; e < start[c + 1]; e++) {
        if (entryState[e] === OUTSIDE) continue
        fast[c] = entryState[e] === INSIDE ? entryUnit[e] : TEST
        break
      }
    Object.assign(this, { start, fast, entryUnit, entryState })
  }

  /** The lowest-numbered unit containing (x, y), boundary included; -1 if none. */
  find(x: number, y: number): number {
    const cx = Math.floor((x - this.x0) / this.s)
    const cy = Math.floor((y - this.y0) / this.s)
    // (written so that NaN coordinates fall out here too)
    if (!(cx >= 0 && cx < this.nx && cy >= 0 && cy < this.ny)) return -1
    const c = cy * this.nx + cx
    const f = this.fast[c]
    if (f !== TEST) return f
    for (let e = this.start[c]; e < this.start[c + 1]; e++) {
      const state = this.entryState[e]
      if (state === OUTSIDE) continue
      const k = this.entryUnit[e]
      if (state === INSIDE) return k
      const b = this.units[k].bbox
      if (x < b[0] || x > b[2] || y < b[1] || y > b[3]) continue
      if (pointInMultiPolygon(x, y, this.units[k].geom)) return k
    }
    return -1
  }

  private cell(v: number, origin: number, n: number): number {
    return Math.min(n - 1, Math.max(0, Math.floor((v - origin) / this.s)))
  }

  private cellRange(b: BBox): [number, number, number, number] {
    return [
      this.cell(b[0], this.x0, this.nx),
      this.cell(b[1], this.y0, this.ny),
      this.cell(b[2], this.x0, this.nx),
      this.cell(b[3], this.y0, this.ny),
    ]
  }

  /**
   * Each cell of a unit's box: BOUNDARY where an edge of the unit may pass (every cell an edge's
   * points map to, a hair wider for rounding), else INSIDE or OUTSIDE. A 4-connected run of cells
   * no edge passes through is wholly inside or wholly outside, so one polygon test per run decides it.
   */
  private cellStates(geom: MultiPoly, r: [number, number, number, number]): Uint8Array {
    const rw = r[2] - r[0] + 1,
      rh = r[3] - r[1] + 1
    const states = new Uint8Array(rw * rh)
    const mark = (ax: number, ay: number, bx: number, by: number) => {
      const eps = 1e-9 * (1 + Math.abs(ax) + Math.abs(ay))
      const cx0 = this.cell(Math.min(ax, bx) - eps, this.x0, this.nx) - r[0]
      const cx1 = this.cell(Math.max(ax, bx) + eps, this.x0, this.nx) - r[0]
      const cy0 = this.cell(Math.min(ay, by) - eps, this.y0, this.ny) - r[1]
      const cy1 = this.cell(Math.max(ay, by) + eps, this.y0, this.ny) - r[1]
      for (let cy = Math.max(0, cy0); cy <= Math.min(rh - 1, cy1); cy++)
        for (let cx = Math.max(0, cx0); cx <= Math.min(rw - 1, cx1); cx++) states[cy * rw + cx] = BOUNDARY
    }
    for (const poly of geom)
      for (const ring of poly)
        for (let i = 1; i < ring.length; i++) {
          const [ax, ay] = ring[i - 1],
            [bx, by] = ring[i]
          // A long edge in pieces no longer than a cell, so a diagonal marks the cells it crosses, not its box.
          const pieces = Math.max(1, Math.ceil(Math.max(Math.abs(bx - ax), Math.abs(by - ay)) / this.s))
          for (let p = 0; p < pieces; p++) {
            const t0 = p / pieces,
              t1 = (p + 1) / pieces
            mark(ax + (bx - ax) * t0, ay + (by - ay) * t0, ax + (bx - ax) * t1, ay + (by - ay) * t1)
          }
        }
    const UNSEEN = 3
    for (let i = 0; i < states.length; i++) if (states[i] !== BOUNDARY) states[i] = UNSEEN
    const stack: number[] = []
    for (let i = 0; i < states.length; i++) {
      if (states[i] !== UNSEEN) continue
      const cx = (i % rw) + r[0],
        cy = Math.floor(i / rw) + r[1]
      const inside = pointInMultiPolygon(this.x0 + (cx + 0.5) * this.s, this.y0 + (cy + 0.5) * this.s, geom)
      const state = inside ? INSIDE : OUTSIDE
      states[i] = state
      stack.push(i)
      while (stack.length) {
        const j = stack.pop()!
        const jx = j % rw
        for (const n of [jx > 0 ? j - 1 : -1, jx < rw - 1 ? j + 1 : -1, j - rw, j + rw])
          if (n >= 0 && n < states.length && states[n] === UNSEEN) {
            states[n] = state
            stack.push(n)
          }
      }
    }
    return states
  }
}
