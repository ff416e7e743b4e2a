// Walking distance from a set of sites to every point joined to the network: one bounded
// multi-source Dijkstra per site set over the typed-array graph (not one search per building), then
// each point's distance = its access leg + the cheaper way along its segment, or along the segment
// directly when a site joins the same segment. Pure, no database.
import { pointPolygonDistance, type MultiPoly } from '../indicators/geom.ts'
import { RADIUS_TOLERANCE_M } from '../indicators/coverage.ts'
import { type Graph, type Snap, snap } from './graph.ts'

/** Points joined to the network, in the order of their point set; seg = −1 when off the network. */
export interface Snapped {
  seg: Int32Array
  t: Float64Array
  leg: Float64Array
}

export function snapAll(g: Graph, xs: Float64Array, ys: Float64Array, cap: number): Snapped {
  const n = xs.length
  const out: Snapped = { seg: new Int32Array(n).fill(-1), t: new Float64Array(n), leg: new Float64Array(n) }
  for (let i = 0; i < n; i++) {
    const s = snap(g, xs[i], ys[i], cap)
    if (!s) continue
    out.seg[i] = s.seg
    out.t[i] = s.t
    out.leg[i] = s.leg
  }
  return out
}

/** Binary min-heap of (key, node), duplicates allowed (stale entries are skipped when popped). */
class Heap {
  keys = new Float64Array(1024)
  vals = new Int32Array(1024)
  size = 0
  push(k: number, v: number) {
    if (this.size === this.keys.length) {
      const k2 = new Float64Array(this.size * 2)
      k2.set(this.keys)
      this.keys = k2
      const v2 = new Int32Array(this.size * 2)
      v2.set(this.vals)
      this.vals = v2
    }
    let i = this.size++
    while (i > 0) {
      const p = (i - 1) >> 1
      if (this.keys[p] <= k) break
      this.keys[i] = this.keys[p]
      this.vals[i] = this.vals[p]
      i = p
    }
    this.keys[i] = k
    this.vals[i] = v
  }
  pop(): number {
    const top = this.vals[0]
    const k = this.keys[--this.size]
    const v = this.vals[this.size]
    let i = 0
    for (;;) {
      let c = 2 * i + 1
      if (c >= this.size) break
      if (c + 1 < this.size && this.keys[c + 1] < this.keys[c]) c++
      if (this.keys[c] >= k) break
      this.keys[i] = this.keys[c]
      this.vals[i] = this.vals[c]
      i = c
    }
    this.keys[i] = k
    this.vals[i] = v
    return top
  }
  get minKey() {
    return this.keys[0]
  }
}

/** Network distance from the nearest source to every node, up to `bound` (Infinity beyond). */
export function nodeDistances(g: Graph, sources: Snap[], bound: number, dist?: Float64Array): Float64Array {
  const d = dist ?? new Float64Array(g.nodes)
  d.fill(Infinity)
  const h = new Heap()
  const relax = (v: number, k: number) => {
    if (k < d[v] && k <= bound) {
      d[v] = k
      h.push(k, v)
    }
  }
  for (const s of sources) {
    relax(g.segA[s.seg], s.leg + s.t * g.segLen[s.seg])
    relax(g.segB[s.seg], s.leg + (1 - s.t) * g.segLen[s.seg])
  }
  while (h.size) {
    const k = h.minKey
    const u = h.pop()
    if (k > d[u]) continue
    for (let e = g.off[u]; e < g.off[u + 1]; e++) relax(g.adj[e], k + g.w[e])
  }
  return d
}

/** Each point's walking distance to the nearest source (Infinity when off the network or beyond the bound). */
export function pointDistances(g: Graph, pts: Snapped, sources: Snap[], bound: number, nodeDist?: Float64Array) {
  const d = nodeDistances(g, sources, bound, nodeDist)
  // Sources on the same segment as a point are reached along the segment itself.
  const bySeg = new Map<number, Snap[]>()
  for (const s of sources) {
    const a = bySeg.get(s.seg)
    if (a) a.push(s)
    else bySeg.set(s.seg, [s])
  }
  const out = new Float64Array(pts.seg.length).fill(Infinity)
  for (let i = 0; i < out.length; i++) {
    const s = pts.seg[i]
    if (s < 0) continue
    const len = g.segLen[s]
    let best = Math.min(d[g.segA[s]] + pts.t[i] * len, d[g.segB[s]] + (1 - pts.t[i]) * len)
    const same = bySeg.get(s)
    if (same) for (const x of same) best = Math.min(best, x.leg + Math.abs(x.t - pts.t[i]) * len)
    out[i] = pts.leg[i] + best
  }
  return out
}

export interface NetworkSite {
  x: number
  y: number
  geom?: MultiPoly
}

/**
 * Where sites join the network. A point joins at its nearest segment (within `cap`). A polygon joins
 * at its gates where it has any (gates within 20 m of its outline), else at every segment point
 * within `edgeSnap` metres of its outline (the outline sampled every 10 m), the access leg being the
 * distance from the outline.
 */
export function siteSources(
  g: Graph,
  sites: NetworkSite[],
  opts: { cap: number; edgeSnap: number; gates?: { x: Float64Array; y: Float64Array } },
): Snap[] {
  const out: Snap[] = []
  for (const s of sites) {
    if (!s.geom) {
      const p = snap(g, s.x, s.y, opts.cap)
      if (p) out.push(p)
      continue
    }
    let gated = false
    if (opts.gates)
      for (let k = 0; k < opts.gates.x.length; k++) {
        const gx = opts.gates.x[k],
          gy = opts.gates.y[k]
        if (pointPolygonDistance(gx, gy, s.geom) > 20) continue
        const p = snap(g, gx, gy, opts.cap)
        if (p) {
          out.push(p)
          gated = true
        }
      }
    if (gated) continue
    for (const poly of s.geom)
      for (const ring of poly)
        for (let k = 0; k + 1 < ring.length; k++) {
          const [ax, ay] = ring[k],
            [bx, by] = ring[k + 1]
          const len = Math.hypot(bx - ax, by - ay)
          const steps = Math.max(1, Math.ceil(len / 10))
          for (let j = 0; j < steps; j++) {
            const p = snap(g, ax + ((bx - ax) * j) / steps, ay + ((by - ay) * j) / steps, opts.edgeSnap)
            if (p) out.push(p)
          }
        }
  }
  return out
}

/** Marks out[ids[k]] = 1 for every point within `radius` walking metres of a source. */
export function markNetworkCovered(
  g: Graph,
  pts: Snapped,
  ids: Int32Array,
  sources: Snap[],
  radius: number,
  out: Uint8Array,
  scratch?: Float64Array,
): void {
  if (!sources.length) return
  const r = radius + RADIUS_TOLERANCE_M
  const d = pointDistances(g, pts, sources, r, scratch)
  for (let k = 0; k < d.length; k++) if (d[k] <= r) out[ids[k]] = 1
}
