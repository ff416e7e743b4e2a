// The walking network as a compact graph in typed arrays (metres, in the city's Gauss-Kruger zone):
// nodes, edges in CSR form, segments (joined to points through a grid of cells made when first asked)
// and connected components. Built from the roads layer when a year is loaded; pure, no database.
//
// Noding: lines that share a vertex are joined there (OSM ways meet at shared nodes). With
// `noding: 'crossings'` (centreline files that are not noded) two segments that cross are also
// joined at the crossing — unless they are on different levels (bridge, tunnel or `layer`).
export interface RoadLine {
  /** x0, y0, x1, y1, … in metres */
  coords: Float64Array
  /** 0 = ground; bridges +1 and tunnels −1 unless `layer` says otherwise */
  level: number
}

export interface Graph {
  nodes: number
  x: Float64Array
  y: Float64Array
  /** CSR adjacency: neighbours of node i are adj[off[i] .. off[i+1]), with lengths w */
  off: Int32Array
  adj: Int32Array
  w: Float64Array
  /** segments (one per edge): end nodes and length (their grid for nearest-segment queries: SegmentGrid) */
  segA: Int32Array
  segB: Int32Array
  segLen: Float64Array
  component: Int32Array
  componentSize: Int32Array
}

/**
 * Node ids by position on a 1 cm grid: an open-addressing hash of the two integer coordinates (a Map
 * keyed by strings costs a string per vertex, ~3× slower on a million nodes).
 */
class NodeTable {
  private kx = new Int32Array(1 << 16)
  private ky = new Int32Array(1 << 16)
  private id = new Int32Array(1 << 16).fill(-1)
  private size = 0
  /** The id at (x, y), or `fresh` (then stored) when the position is new. */
  idOf(x: number, y: number, fresh: number): number {
    if (this.size * 2 >= this.id.length) this.grow()
    const mask = this.id.length - 1
    let h = (Math.imul(x, 0x9e3779b1) ^ Math.imul(y, 0x85ebca6b)) & mask
    while (this.id[h] !== -1) {
      if (this.kx[h] === x && this.ky[h] === y) return this.id[h]
      h = (h + 1) & mask
    }
    this.kx[h] = x
    this.ky[h] = y
    this.id[h] = fresh
    this.size++
    return fresh
  }
  private grow() {
    const { kx, ky, id } = this
    this.kx = new Int32Array(kx.length * 2)
    this.ky = new Int32Array(kx.length * 2)
    this.id = new Int32Array(kx.length * 2).fill(-1)
    this.size = 0
    for (let h = 0; h < id.length; h++) if (id[h] !== -1) this.idOf(kx[h], ky[h], id[h])
  }
}

/** Where two segments cross strictly inside both (not at an end): the fractions along each, or null. */
export function crossing(
  ax: number,
  ay: number,
  bx: number,
  by: number,
  cx: number,
  cy: number,
  dx: number,
  dy: number,
): [number, number] | null {
  const rx = bx - ax,
    ry = by - ay,
    sx = dx - cx,
    sy = dy - cy
  const den = rx * sy - ry * sx
  if (Math.abs(den) < 1e-12) return null
  const t = ((cx - ax) * sy - (cy - ay) * sx) / den
  const u = ((cx - ax) * ry - (cy - ay) * rx) / den
  const e = 1e-9
  return t > e && t < 1 - e && u > e && u < 1 - e ? [t, u] : null
}

export function buildGraph(lines: RoadLine[], opts: { noding: 'vertices' | 'crossings' }): Graph {
  // Split points per line segment when crossings are noded: line k, segment j → fractions.
  // The point itself is kept with its fraction, so a T-junction's node is exactly the other line's end.
  const splits = new Map<number, [number, number, number][]>() // key: segment serial → [t, x, y]
  const serialOf: number[] = [] // first segment serial of each line
  let serials = 0
  for (const l of lines) {
    serialOf.push(serials)
    serials += Math.max(0, l.coords.length / 2 - 1)
  }
  if (opts.noding === 'crossings' && serials > 1) {
    const segLine = new Int32Array(serials)
    const segJ = new Int32Array(serials)
    const ax = new Float64Array(serials),
      ay = new Float64Array(serials),
      bx = new Float64Array(serials),
      by = new Float64Array(serials)
    lines.forEach((l, k) => {
      const c = l.coords
      for (let j = 0; j + 3 < c.length; j += 2) {
        const s = serialOf[k] + j / 2
        segLine[s] = k
        segJ[s] = j
        ax[s] = c[j]
        ay[s] = c[j + 1]
        bx[s] = c[j + 2]
        by[s] = c[j + 3]
      }
    })
    // Candidates from a grid of the segments' boxes (cells ~2 mean segments wide), not a Flatbush search
    // per segment and line end (a fresh array each: ~2 s of the network's thread for a million
    // segments). A cell's segments are a superset of those whose boxes meet a box inside it, and the
    // tests below decide on the segments themselves, so the same crossings and T-junctions are found;
    // a pair seen in two cells is tested once (`seen`).
    let total = 0
    for (let s = 0; s < serials; s++) total += Math.abs(bx[s] - ax[s]) + Math.abs(by[s] - ay[s])
    const grid = boxGrid(ax, ay, bx, by, Math.max(1, total / serials))
    const { x0: gx0, y0: gy0, size, nx, ny, start, seg } = grid
    const cell = (v: number, origin: number, n: number) => Math.min(n - 1, Math.max(0, Math.floor((v - origin) / size)))
    const seen = new Int32Array(serials).fill(-1)
    const add = (s: number, t: number, at?: [number, number]) => {
      const c = lines[segLine[s]].coords
      const j = segJ[s]
      const p: [number, number, number] = at
        ? [t, at[0], at[1]]
        : [t, c[j] + t * (c[j + 2] - c[j]), c[j + 1] + t * (c[j + 3] - c[j + 1])]
      const a = splits.get(s)
      if (a) a.push(p)
      else splits.set(s, [p])
    }
    // A line's end on another line's interior is a T-junction, whatever the levels (a bridge lands there).
    let query = 0
    lines.forEach((l, k) => {
      const c = l.coords
      for (const j of [0, c.length - 2]) {
        const px = c[j],
          py = c[j + 1]
        query++
        for (let cy = cell(py - 0.01, gy0, ny), cy1 = cell(py + 0.01, gy0, ny); cy <= cy1; cy++)
          for (let cx = cell(px - 0.01, gx0, nx), cx1 = cell(px + 0.01, gx0, nx); cx <= cx1; cx++)
            for (let q = start[cy * nx + cx]; q < start[cy * nx + cx + 1]; q++) {
              const o = seg[q]
              if (seen[o] === -query - 1) continue
              seen[o] = -query - 1
              if (segLine[o] === k && (segJ[o] === j || segJ[o] + 2 === j)) continue
              const d = lines[segLine[o]].coords
              const j2 = segJ[o]
              const dx = d[j2 + 2] - d[j2],
                dy = d[j2 + 3] - d[j2 + 1]
              const l2 = dx * dx + dy * dy
              if (!(l2 > 0)) continue
              const t = ((px - d[j2]) * dx + (py - d[j2 + 1]) * dy) / l2
              if (t <= 1e-9 || t >= 1 - 1e-9) continue
              if (Math.hypot(px - (d[j2] + t * dx), py - (d[j2 + 1] + t * dy)) <= 0.01) add(o, t, [px, py])
            }
      }
    })
    // Crossings: each pair of segments sharing a cell, tested once (o > s, not seen for this s).
    seen.fill(-1)
    for (let s = 0; s < serials; s++) {
      const l = lines[segLine[s]]
      const j = segJ[s]
      const c = l.coords
      for (let cy = grid.j0[s]; cy <= grid.j1[s]; cy++)
        for (let cx = grid.i0[s]; cx <= grid.i1[s]; cx++)
          for (let q = start[cy * nx + cx]; q < start[cy * nx + cx + 1]; q++) {
            const o = seg[q]
            if (o <= s || seen[o] === s) continue
            seen[o] = s
            const l2 = lines[segLine[o]]
            if (l2.level !== l.level) continue
            const d = l2.coords
            const j2 = segJ[o]
            const hit = crossing(c[j], c[j + 1], c[j + 2], c[j + 3], d[j2], d[j2 + 1], d[j2 + 2], d[j2 + 3])
            if (!hit) continue
            // Both sides get the same point, computed once, so they meet at one node.
            const at: [number, number] = [c[j] + hit[0] * (c[j + 2] - c[j]), c[j + 1] + hit[0] * (c[j + 3] - c[j + 1])]
            add(s, hit[0], at)
            add(o, hit[1], at)
          }
    }
  }

  const ids = new NodeTable()
  const xs: number[] = [],
    ys: number[] = []
  // Keys relative to the first vertex, so they stay well inside 32 bits in any zone (prefixed eastings
  // are 8 digits of metres).
  const ox = lines.length ? Math.round(lines[0].coords[0] * 100) : 0,
    oy = lines.length ? Math.round(lines[0].coords[1] * 100) : 0
  const node = (x: number, y: number) => {
    const id = ids.idOf(Math.round(x * 100) - ox, Math.round(y * 100) - oy, xs.length)
    if (id === xs.length) {
      xs.push(x)
      ys.push(y)
    }
    return id
  }
  const ea: number[] = [],
    eb: number[] = []
  const edge = (a: number, b: number) => {
    if (a === b || !(Math.hypot(xs[b] - xs[a], ys[b] - ys[a]) > 0)) return
    ea.push(a)
    eb.push(b)
  }
  lines.forEach((l, k) => {
    const c = l.coords
    let prev = node(c[0], c[1])
    for (let j = 0; j + 3 < c.length; j += 2) {
      const ts = splits.get(serialOf[k] + j / 2)
      if (ts) {
        ts.sort((p, q) => p[0] - q[0])
        for (const [, x, y] of ts) {
          const n = node(x, y)
          edge(prev, n)
          prev = n
        }
      }
      const n = node(c[j + 2], c[j + 3])
      edge(prev, n)
      prev = n
    }
  })

  return graphFromEdges(Float64Array.from(xs), Float64Array.from(ys), Int32Array.from(ea), Int32Array.from(eb))
}

/**
 * The graph of these nodes and edges: adjacency, lengths and components, all derived
 * from the nodes' positions and each edge's two ends (so a stored graph keeps only those: cache.ts).
 */
export function graphFromEdges(x: Float64Array, y: Float64Array, segA: Int32Array, segB: Int32Array): Graph {
  const nodes = x.length
  const E = segA.length
  // The same expression as when the edge was made, so a graph rebuilt from its edges is the same.
  const segLen = new Float64Array(E)
  for (let e = 0; e < E; e++) segLen[e] = Math.hypot(x[segB[e]] - x[segA[e]], y[segB[e]] - y[segA[e]])
  const deg = new Int32Array(nodes + 1)
  for (let e = 0; e < E; e++) {
    deg[segA[e] + 1]++
    deg[segB[e] + 1]++
  }
  for (let i = 0; i < nodes; i++) deg[i + 1] += deg[i]
  const off = deg
  const fill = off.slice(0, nodes)
  const adj = new Int32Array(2 * E),
    w = new Float64Array(2 * E)
  for (let e = 0; e < E; e++) {
    adj[fill[segA[e]]] = segB[e]
    w[fill[segA[e]]++] = segLen[e]
    adj[fill[segB[e]]] = segA[e]
    w[fill[segB[e]]++] = segLen[e]
  }
  // Connected components (iterative flood fill).
  const component = new Int32Array(nodes).fill(-1)
  const sizes: number[] = []
  const stack = new Int32Array(nodes)
  for (let s = 0; s < nodes; s++) {
    if (component[s] >= 0) continue
    const c = sizes.length
    let top = 0,
      size = 0
    stack[top++] = s
    component[s] = c
    while (top) {
      const u = stack[--top]
      size++
      for (let k = off[u]; k < off[u + 1]; k++)
        if (component[adj[k]] < 0) {
          component[adj[k]] = c
          stack[top++] = adj[k]
        }
    }
    sizes.push(size)
  }
  return { nodes, x, y, off, adj, w, segA, segB, segLen, component, componentSize: Int32Array.from(sizes) }
}

/** A point joined to the network: the nearest segment, the fraction along it, and the access leg. */
export interface Snap {
  seg: number
  t: number
  leg: number
}

/**
 * The nearest point of the nearest segment within `cap` metres, or null (off the network). From the
 * segment grid, as snapMany (a Flatbush search allocated an array per square: the joins of a 1M city's
 * parks, sampled every 10 m of their outlines, were ~0.5 s of the flags worker that way).
 */
export function snap(g: Graph, px: number, py: number, cap: number): Snap | null {
  if (!g.segA.length || !Number.isFinite(px) || !Number.isFinite(py)) return null
  return snapAt(g, segmentGrid(g), px, py, cap, snapCandidates)
}
const snapCandidates: number[] = []

/**
 * The segments in the grid cells meeting a square around the point, the square doubled until the
 * nearest of them is no farther than its half-width: every segment wholly outside the square is farther
 * than that, so the answer (ties to the lower segment) is exact, and most points are settled by the
 * first square. (A box search was ~3× cheaper than the k-nearest one it replaced; the grid cheaper again.)
 */
function snapAt(g: Graph, grid: SegmentGrid, px: number, py: number, cap: number, candidates: number[]): Snap | null {
  const { x0, y0, size, nx, ny, start, seg } = grid
  for (let r = Math.min(SNAP_FIRST_M, cap); ; r = Math.min(r * 2, cap)) {
    candidates.length = 0
    const i0 = Math.max(0, Math.floor((px - r - x0) / size)),
      i1 = Math.min(nx - 1, Math.floor((px + r - x0) / size))
    const j0 = Math.max(0, Math.floor((py - r - y0) / size)),
      j1 = Math.min(ny - 1, Math.floor((py + r - y0) / size))
    for (let j = j0; j <= j1; j++)
      for (let c = j * nx + i0, c1 = j * nx + i1; c <= c1; c++)
        for (let q = start[c]; q < start[c + 1]; q++) candidates.push(seg[q])
    const best = nearestOf(g, px, py, cap, candidates)
    if ((best && best.leg <= r) || r >= cap) return best
  }
}

/** The first square's half-width: a typical home's distance to its street. */
const SNAP_FIRST_M = 40

/**
 * The segments bucketed into square cells by their boxes: what snap and snapMany ask. A Flatbush index
 * of the segments, which they asked before, returned a fresh array per square, a million times when a
 * city's homes are joined (with the collector's work, ~2.5 s of the network's thread); a cell lists its
 * segments in place. A cell's segments are a superset of those whose boxes meet a square covering it,
 * and every segment outside the square is farther than its half-width, so the nearest is exact.
 */
interface SegmentGrid {
  x0: number
  y0: number
  size: number
  nx: number
  ny: number
  /** cell c's segments are seg[start[c] .. start[c + 1]) */
  start: Int32Array
  seg: Int32Array
  /** each segment's cells: columns i0[e] .. i1[e], rows j0[e] .. j1[e] */
  i0: Int32Array
  i1: Int32Array
  j0: Int32Array
  j1: Int32Array
}
const segmentGrids = new WeakMap<Graph, SegmentGrid>()

/**
 * Boxes (segment k from (ax[k], ay[k]) to (bx[k], by[k])) bucketed into square cells of at least
 * `minSize`, at most ~4M cells however far they spread: each box listed in every cell it meets.
 */
function boxGrid(ax: Float64Array, ay: Float64Array, bx: Float64Array, by: Float64Array, minSize: number): SegmentGrid {
  const E = ax.length
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity]
  for (let e = 0; e < E; e++) {
    x0 = Math.min(x0, ax[e], bx[e])
    x1 = Math.max(x1, ax[e], bx[e])
    y0 = Math.min(y0, ay[e], by[e])
    y1 = Math.max(y1, ay[e], by[e])
  }
  if (!E) [x0, y0, x1, y1] = [0, 0, 0, 0]
  const size = Math.max(minSize, Math.sqrt(((x1 - x0) * (y1 - y0)) / (4 << 20)), 1e-6)
  const nx = Math.floor((x1 - x0) / size) + 1,
    ny = Math.floor((y1 - y0) / size) + 1
  const cell = (v: number, origin: number, n: number) => Math.min(n - 1, Math.max(0, Math.floor((v - origin) / size)))
  // Each box's cell range, then a count and a fill pass over it (written out: a callback per cell
  // cost more than the passes).
  const i0 = new Int32Array(E),
    i1 = new Int32Array(E),
    j0 = new Int32Array(E),
    j1 = new Int32Array(E)
  const start = new Int32Array(nx * ny + 1)
  for (let e = 0; e < E; e++) {
    i0[e] = cell(Math.min(ax[e], bx[e]), x0, nx)
    i1[e] = cell(Math.max(ax[e], bx[e]), x0, nx)
    j0[e] = cell(Math.min(ay[e], by[e]), y0, ny)
    j1[e] = cell(Math.max(ay[e], by[e]), y0, ny)
    for (let j = j0[e]; j <= j1[e]; j++) for (let i = i0[e]; i <= i1[e]; i++) start[j * nx + i + 1]++
  }
  for (let c = 0; c < nx * ny; c++) start[c + 1] += start[c]
  const fill = start.slice(0, nx * ny)
  const seg = new Int32Array(start[nx * ny])
  for (let e = 0; e < E; e++)
    for (let j = j0[e]; j <= j1[e]; j++) for (let i = i0[e]; i <= i1[e]; i++) seg[fill[j * nx + i]++] = e
  return { x0, y0, size, nx, ny, start, seg, i0, i1, j0, j1 }
}

function segmentGrid(g: Graph): SegmentGrid {
  let hit = segmentGrids.get(g)
  if (hit) return hit
  const E = g.segA.length
  const ax = new Float64Array(E),
    ay = new Float64Array(E),
    bx = new Float64Array(E),
    by = new Float64Array(E)
  for (let e = 0; e < E; e++) {
    ax[e] = g.x[g.segA[e]]
    ay[e] = g.y[g.segA[e]]
    bx[e] = g.x[g.segB[e]]
    by[e] = g.y[g.segB[e]]
  }
  // Cells of the first square's half-width.
  hit = boxGrid(ax, ay, bx, by, SNAP_FIRST_M)
  segmentGrids.set(g, hit)
  return hit
}

/** Makes the graph's segment grid now (else snapMany makes it when first asked). */
export const prepareSnapping = (g: Graph): void => void segmentGrid(g)

/** snap for many points: the same answers, from the segment grid (see SegmentGrid). */
export function snapMany(
  g: Graph,
  xs: Float64Array,
  ys: Float64Array,
  cap: number,
  each: (i: number, s: Snap) => void,
) {
  if (!g.segA.length) return
  const grid = segmentGrid(g)
  const candidates: number[] = []
  for (let i = 0; i < xs.length; i++) {
    const px = xs[i],
      py = ys[i]
    if (!Number.isFinite(px) || !Number.isFinite(py)) continue
    const best = snapAt(g, grid, px, py, cap, candidates)
    if (best) each(i, best)
  }
}

function nearestOf(g: Graph, px: number, py: number, cap: number, candidates: number[]): Snap | null {
  // Compared by Math.sqrt, which is several times cheaper than Math.hypot in V8 (~20 candidates for
  // each of a million homes); the winner's leg is then computed by Math.hypot as before.
  let bestSeg = -1,
    bestT = 0,
    bestLeg = Infinity
  for (const s of candidates) {
    const ax = g.x[g.segA[s]],
      ay = g.y[g.segA[s]],
      bx = g.x[g.segB[s]],
      by = g.y[g.segB[s]]
    const dx = bx - ax,
      dy = by - ay
    const l2 = dx * dx + dy * dy
    const t = l2 > 0 ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / l2)) : 0
    const ex = px - (ax + t * dx),
      ey = py - (ay + t * dy)
    const leg = Math.sqrt(ex * ex + ey * ey)
    // Ties go to the lower segment number, so the answer does not depend on the candidates' order.
    if (leg <= cap && (bestSeg < 0 || leg < bestLeg - 1e-9 || (Math.abs(leg - bestLeg) <= 1e-9 && s < bestSeg))) {
      bestSeg = s
      bestT = t
      bestLeg = leg
    }
  }
  if (bestSeg < 0) return null
  const dx = g.x[g.segB[bestSeg]] - g.x[g.segA[bestSeg]],
    dy = g.y[g.segB[bestSeg]] - g.y[g.segA[bestSeg]]
  const leg = Math.hypot(px - (g.x[g.segA[bestSeg]] + bestT * dx), py - (g.y[g.segA[bestSeg]] + bestT * dy))
  return leg <= cap ? { seg: bestSeg, t: bestT, leg } : null
}
