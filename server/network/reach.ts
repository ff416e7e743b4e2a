// Walking distance from a set of sites to every point joined to the network: one bounded
// multi-source Dijkstra per site set over the typed-array graph (not one search per building), then
// each point's distance = its access leg + the cheaper way along its segment, or along the segment
// directly when a site joins the same segment. Pure, no database.
import { pointPolygonDistance, type MultiPoly } from '../indicators/geom.ts'
import { RADIUS_TOLERANCE_M } from '../indicators/coverage.ts'
import { type Graph, type Snap, snap, snapMany } from './graph.ts'

/** Points joined to the network, in the order of their point set; seg = −1 when off the network. */
export interface Snapped {
  seg: Int32Array
  t: Float64Array
  leg: Float64Array
}

export function snapAll(g: Graph, xs: Float64Array, ys: Float64Array, cap: number): Snapped {
  const n = xs.length
  const out: Snapped = { seg: new Int32Array(n).fill(-1), t: new Float64Array(n), leg: new Float64Array(n) }
  snapMany(g, xs, ys, cap, (i, s) => {
    out.seg[i] = s.seg
    out.t[i] = s.t
    out.leg[i] = s.leg
  })
  return out
}

/**
 * The graph with its chains of degree-2 nodes contracted: junctions (every node of another degree)
 * joined by chains. Most nodes of a road network only shape a road between two junctions (92 % of a
 * generated million-building city's 1.04 M nodes), so the search runs on the junctions and each chain's
 * nodes are then filled in by one sweep along it from either end. Made once per graph.
 */
interface Chains {
  /** junction number of each node, −1 for a chain's inner node */
  junction: Int32Array
  /** the node of each junction */
  junctionNode: Int32Array
  /** junction CSR: junction i's chains are entries jOff[i] .. jOff[i + 1]: far junction, length, chain */
  jOff: Int32Array
  jAdj: Int32Array
  jW: Float64Array
  jChain: Int32Array
  /** chain c runs from junction node `from[c]` through inner nodes inner[iOff[c] .. iOff[c + 1]) to `to[c]` */
  from: Int32Array
  to: Int32Array
  iOff: Int32Array
  inner: Int32Array
  /** the length of the edge before each inner node, and of each chain's last edge */
  innerW: Float64Array
  lastW: Float64Array
  /** the chain of each node (inner nodes only; −1 for junctions) */
  chainOf: Int32Array
}
const chainsOf = new WeakMap<Graph, Chains>()

/** Contracts the graph's chains now (else the first search does). */
export const prepareSearch = (g: Graph): void => void chains(g)

function chains(g: Graph): Chains {
  const hit = chainsOf.get(g)
  if (hit) return hit
  const { off, adj, w } = g
  const n = g.nodes
  const junction = new Int32Array(n).fill(-1)
  const junctionNodes: number[] = []
  const mark = (v: number) => {
    junction[v] = junctionNodes.length
    junctionNodes.push(v)
  }
  for (let v = 0; v < n; v++) if (off[v + 1] - off[v] !== 2) mark(v)
  const chainOf = new Int32Array(n).fill(-1)
  const from: number[] = [],
    to: number[] = [],
    iOff: number[] = [0],
    inner: number[] = [],
    innerW: number[] = [],
    lastW: number[] = [],
    length: number[] = []
  // Entry x of node u leads to adj[x]; the entry back is the other node's entry to u of the same length
  // (parallel edges of one length are interchangeable).
  const otherEntry = (v: number, cameFrom: number, weight: number) => {
    const a = off[v],
      b = a + 1
    return adj[a] === cameFrom && w[a] === weight ? b : a
  }
  // Chains from each junction's entries; a chain is kept once, from its end reached first.
  const chainOfEntry = new Int32Array(adj.length).fill(-1)
  const walkFrom = (start: number) => {
    for (let x = off[start]; x < off[start + 1]; x++) {
      if (chainOfEntry[x] >= 0) continue
      const c = from.length
      from.push(start)
      chainOfEntry[x] = c
      let prev = start,
        v = adj[x],
        weight = w[x],
        total = 0
      while (junction[v] < 0) {
        chainOf[v] = c
        inner.push(v)
        innerW.push(weight)
        total += weight
        const y = otherEntry(v, prev, weight)
        prev = v
        v = adj[y]
        weight = w[y]
      }
      total += weight
      to.push(v)
      lastW.push(weight)
      length.push(total)
      iOff.push(inner.length)
      // The far end's entry back along this chain is this chain too.
      const last = inner.length > iOff[c] ? inner[inner.length - 1] : start
      for (let y = off[v]; y < off[v + 1]; y++)
        if (chainOfEntry[y] < 0 && adj[y] === last && w[y] === weight && !(v === start && y === x)) {
          chainOfEntry[y] = c
          break
        }
    }
  }
  for (let j = 0; j < junctionNodes.length; j++) walkFrom(junctionNodes[j])
  // A ring of degree-2 nodes only (no junction on it): one of its nodes is made a junction.
  for (let v = 0; v < n; v++)
    if (junction[v] < 0 && chainOf[v] < 0) {
      mark(v)
      walkFrom(v)
    }
  const J = junctionNodes.length
  const deg = new Int32Array(J + 1)
  for (let c = 0; c < from.length; c++) {
    deg[junction[from[c]] + 1]++
    deg[junction[to[c]] + 1]++
  }
  for (let i = 0; i < J; i++) deg[i + 1] += deg[i]
  const fill = deg.slice(0, J)
  const jAdj = new Int32Array(deg[J]),
    jW = new Float64Array(deg[J]),
    jChain = new Int32Array(deg[J])
  for (let c = 0; c < from.length; c++) {
    const a = junction[from[c]],
      b = junction[to[c]]
    jAdj[fill[a]] = b
    jW[fill[a]] = length[c]
    jChain[fill[a]++] = c
    jAdj[fill[b]] = a
    jW[fill[b]] = length[c]
    jChain[fill[b]++] = c
  }
  const out: Chains = {
    junction,
    junctionNode: Int32Array.from(junctionNodes),
    jOff: deg,
    jAdj,
    jW,
    jChain,
    from: Int32Array.from(from),
    to: Int32Array.from(to),
    iOff: Int32Array.from(iOff),
    inner: Int32Array.from(inner),
    innerW: Float64Array.from(innerW),
    lastW: Float64Array.from(lastW),
    chainOf,
  }
  chainsOf.set(g, out)
  return out
}

/**
 * Network distance from the nearest source to every node, up to `bound` (Infinity beyond). Each
 * source starts both ends of its segment; the search runs over the junctions (Dijkstra with a bucket
 * queue of 2 m buckets, so no heap; junctions that share a bucket may be settled out of order, so one is
 * relaxed again whenever its distance improves: label-correcting, exact), a source inside a chain
 * starting the chain's two junctions; then each chain reached is swept from either end, edge by edge,
 * taking the sources on it as it passes them. Exact as a search over every node (tested against one),
 * to the last bits of the sums: a chain's length is summed before it is added.
 */
export function nodeDistances(g: Graph, sources: Snap[], bound: number, dist?: Float64Array): Float64Array {
  const ch = chains(g)
  const d = dist ?? new Float64Array(g.nodes)
  d.fill(Infinity)
  const q = new ChainSearch(ch, d, bound)
  for (const s of sources) {
    q.start(g.segA[s.seg], s.leg + s.t * g.segLen[s.seg])
    q.start(g.segB[s.seg], s.leg + (1 - s.t) * g.segLen[s.seg])
  }
  // An inner source reaches its chain's ends along the chain: swept now so the ends start the search.
  const { iOff, inner, innerW, lastW, from, to } = ch
  for (const c of q.seeded) {
    let best = Infinity
    for (let k = iOff[c]; k < iOff[c + 1]; k++) {
      if (k > iOff[c]) best += innerW[k]
      if (d[inner[k]] < best) best = d[inner[k]]
    }
    q.relaxJ(ch.junction[to[c]], best + lastW[c])
    best = Infinity
    for (let k = iOff[c + 1] - 1; k >= iOff[c]; k--) {
      if (k < iOff[c + 1] - 1) best += innerW[k + 1]
      if (d[inner[k]] < best) best = d[inner[k]]
    }
    q.relaxJ(ch.junction[from[c]], best + innerW[iOff[c]])
  }
  q.settle()
  // Junctions, then the inner nodes of every chain with a reached end or a source: forward from its
  // first junction, then back from its last, each node taking the lower.
  const { junctionNode, jOff, jChain } = ch
  const { D } = q
  for (let j = 0; j < D.length; j++) {
    if (D[j] === Infinity) continue
    d[junctionNode[j]] = D[j]
    for (let x = jOff[j]; x < jOff[j + 1]; x++) q.sweep(jChain[x])
  }
  for (const c of q.seeded) q.sweep(c)
  return d
}

/**
 * One nodeDistances search: the junctions' labels and bucket queue, and the chains swept. A class, not
 * closures made per call: V8 inlines a closure as that very function object, so each search's fresh
 * closures sent the optimised search back to the interpreter ("wrong call target") — 21 compilations,
 * ~0.75 s of a cold run's compiler threads at a million buildings. Methods keep one target.
 */
class ChainSearch {
  /** each junction's distance; `done` the distance it was settled at */
  readonly D: Float64Array
  private readonly done: Float64Array
  /** chains with a source on an inner node */
  readonly seeded: number[] = []
  private readonly isSeeded: Uint8Array
  private readonly swept: Uint8Array
  private readonly head: Int32Array
  private node = new Int32Array(1024)
  private next = new Int32Array(1024)
  private used = 0
  /** bucket width (m) */
  private static readonly W = 2

  constructor(
    private readonly ch: Chains,
    private readonly d: Float64Array,
    private readonly bound: number,
  ) {
    const J = ch.junctionNode.length
    this.D = new Float64Array(J).fill(Infinity)
    this.done = new Float64Array(J).fill(Infinity)
    this.isSeeded = new Uint8Array(ch.from.length)
    this.swept = new Uint8Array(ch.from.length)
    this.head = new Int32Array(Math.floor(bound / ChainSearch.W) + 1).fill(-1)
  }

  private push(v: number, k: number) {
    if (this.used === this.node.length) {
      const n2 = new Int32Array(this.used * 2)
      n2.set(this.node)
      this.node = n2
      const x2 = new Int32Array(this.used * 2)
      x2.set(this.next)
      this.next = x2
    }
    const b = Math.floor(k / ChainSearch.W)
    this.node[this.used] = v
    this.next[this.used] = this.head[b]
    this.head[b] = this.used++
  }

  relaxJ(j: number, k: number) {
    if (k < this.D[j] && k <= this.bound) {
      this.D[j] = k
      this.push(j, k)
    }
  }

  /** A source's start at node v, k metres from it. */
  start(v: number, k: number) {
    if (!(k <= this.bound)) return
    const j = this.ch.junction[v]
    if (j >= 0) return this.relaxJ(j, k)
    if (k >= this.d[v]) return
    this.d[v] = k
    const c = this.ch.chainOf[v]
    if (!this.isSeeded[c]) {
      this.isSeeded[c] = 1
      this.seeded.push(c)
    }
  }

  /** The search over the junctions, bucket by bucket. */
  settle() {
    const { head, D, done, bound } = this
    const { jOff, jAdj, jW } = this.ch
    for (let b = 0; b < head.length; b++)
      while (head[b] !== -1) {
        const e = head[b]
        head[b] = this.next[e]
        const u = this.node[e]
        const k = D[u]
        if (k >= done[u]) continue
        done[u] = k
        for (let x = jOff[u]; x < jOff[u + 1]; x++) {
          const v = jAdj[x],
            nk = k + jW[x]
          if (nk < D[v] && nk <= bound) {
            D[v] = nk
            this.push(v, nk)
          }
        }
      }
  }

  /** Chain c's inner nodes from either end (once). */
  sweep(c: number) {
    if (this.swept[c]) return
    this.swept[c] = 1
    const { iOff, inner, innerW, lastW, from, to, junction } = this.ch
    const { d, D, bound } = this
    const a = iOff[c],
      z = iOff[c + 1]
    if (a === z) return
    let best = D[junction[from[c]]]
    for (let q = a; q < z; q++) {
      best += innerW[q]
      const v = inner[q]
      if (d[v] < best) best = d[v]
      else d[v] = best
    }
    best = D[junction[to[c]]] + lastW[c]
    for (let q = z - 1; q >= a; q--) {
      const v = inner[q]
      if (d[v] < best) best = d[v]
      else d[v] = best
      best += innerW[q]
    }
    for (let q = a; q < z; q++) if (d[inner[q]] > bound) d[inner[q]] = Infinity
  }
}

/**
 * Many small bounded searches (one per candidate site): the distance arrays stay allocated and only the
 * nodes a search touched are reset, so each search costs what it explores, not the city's size.
 */
export class BoundedSearch {
  readonly d: Float64Array
  private done: Float64Array
  private touched: number[] = []
  constructor(private g: Graph) {
    this.d = new Float64Array(g.nodes).fill(Infinity)
    this.done = new Float64Array(g.nodes).fill(Infinity)
  }
  /** Walking distance from the sources to a point joined at (seg, t, leg), within the last search. */
  at(p: Snap, sources: Snap[]): number {
    const g = this.g
    const len = g.segLen[p.seg]
    let best = Math.min(this.d[g.segA[p.seg]] + p.t * len, this.d[g.segB[p.seg]] + (1 - p.t) * len)
    for (const s of sources) if (s.seg === p.seg) best = Math.min(best, s.leg + Math.abs(s.t - p.t) * len)
    return p.leg + best
  }
  run(sources: Snap[], bound: number): void {
    for (const u of this.touched) {
      this.d[u] = Infinity
      this.done[u] = Infinity
    }
    this.touched.length = 0
    const { g, d, done, touched } = this
    const heap: [number, number][] = []
    const push = (k: number, v: number) => {
      heap.push([k, v])
      let i = heap.length - 1
      while (i > 0) {
        const p = (i - 1) >> 1
        if (heap[p][0] <= heap[i][0]) break
        ;[heap[p], heap[i]] = [heap[i], heap[p]]
        i = p
      }
    }
    const pop = () => {
      const top = heap[0]
      const last = heap.pop()!
      if (heap.length) {
        heap[0] = last
        let i = 0
        for (;;) {
          let c = 2 * i + 1
          if (c >= heap.length) break
          if (c + 1 < heap.length && heap[c + 1][0] < heap[c][0]) c++
          if (heap[c][0] >= heap[i][0]) break
          ;[heap[c], heap[i]] = [heap[i], heap[c]]
          i = c
        }
      }
      return top
    }
    const relax = (v: number, k: number) => {
      if (k < d[v] && k <= bound) {
        if (d[v] === Infinity) touched.push(v)
        d[v] = k
        push(k, v)
      }
    }
    for (const s of sources) {
      relax(g.segA[s.seg], s.leg + s.t * g.segLen[s.seg])
      relax(g.segB[s.seg], s.leg + (1 - s.t) * g.segLen[s.seg])
    }
    while (heap.length) {
      const [k, u] = pop()
      if (k > d[u] || k >= done[u]) continue
      done[u] = k
      for (let e = g.off[u]; e < g.off[u + 1]; e++) relax(g.adj[e], k + g.w[e])
    }
  }
}

/** Each point's walking distance to the nearest source (Infinity when off the network or beyond the bound). */
export function pointDistances(g: Graph, pts: Snapped, sources: Snap[], bound: number, nodeDist?: Float64Array) {
  return distancesAt(g, pts, sources, nodeDistances(g, sources, bound, nodeDist))
}

/** Point distances from node distances already computed for these sources. */
export function distancesAt(
  g: Graph,
  pts: Snapped,
  sources: Snap[],
  d: Float64Array,
  into?: Float64Array,
): Float64Array {
  const out = (into ?? new Float64Array(pts.seg.length)).fill(Infinity)
  const { a, b, toA, toB } = segmentEnds(g, pts)
  return onSourceSegments(g, sources, (flag, bySeg) => {
    for (let i = 0; i < out.length; i++) {
      const s = pts.seg[i]
      if (s < 0) continue
      let best = Math.min(d[a[i]] + toA[i], d[b[i]] + toB[i])
      if (flag[s]) for (const x of bySeg.get(s)!) best = Math.min(best, x.leg + Math.abs(x.t - pts.t[i]) * g.segLen[s])
      out[i] = pts.leg[i] + best
    }
    return out
  })
}

/**
 * Marks out[ids[i]] = 1 for every point whose distance (as distancesAt gives it) is within `r`: the
 * same sums and test, without writing each distance out and reading it back (7 MB each way a request
 * at a million homes).
 */
function markReached(
  g: Graph,
  pts: Snapped,
  sources: Snap[],
  d: Float64Array,
  r: number,
  ids: Int32Array,
  out: Uint8Array,
): void {
  const { a, b, toA, toB } = segmentEnds(g, pts)
  const { seg, leg, t } = pts
  onSourceSegments(g, sources, (flag, bySeg) => {
    for (let i = 0; i < seg.length; i++) {
      const s = seg[i]
      if (s < 0) continue
      let best = Math.min(d[a[i]] + toA[i], d[b[i]] + toB[i])
      if (flag[s]) for (const x of bySeg.get(s)!) best = Math.min(best, x.leg + Math.abs(x.t - t[i]) * g.segLen[s])
      if (leg[i] + best <= r) out[ids[i]] = 1
    }
  })
}

/**
 * Calls `body` with a flag per segment set where a source joins it, and those sources by segment.
 * Sources on the same segment as a point are reached along the segment itself; few segments hold a
 * source, so the flag answers most points before the map is asked (a map lookup for each of 900,000
 * homes, for each of ~25 requests, was ~3 s of the flags worker at city scale).
 */
function onSourceSegments<T>(g: Graph, sources: Snap[], body: (flag: Uint8Array, bySeg: Map<number, Snap[]>) => T): T {
  const bySeg = new Map<number, Snap[]>()
  let flag = sourceSegments.get(g)
  if (!flag) sourceSegments.set(g, (flag = new Uint8Array(g.segA.length)))
  for (const s of sources) {
    flag[s.seg] = 1
    const a = bySeg.get(s.seg)
    if (a) a.push(s)
    else bySeg.set(s.seg, [s])
  }
  try {
    return body(flag, bySeg)
  } finally {
    for (const s of sources) flag[s.seg] = 0
  }
}
/** A zeroed flag per segment, borrowed by distancesAt (and left zeroed). */
const sourceSegments = new WeakMap<Graph, Uint8Array>()

/**
 * Each joined point's segment ends and its distances along the segment to them (t·len and (1 − t)·len,
 * the products distancesAt took), in the points' order: read in sequence for each of a run's ~25
 * requests instead of through the segment arrays at random. Made once per point set.
 */
function segmentEnds(g: Graph, pts: Snapped) {
  let hit = ends.get(pts)
  if (hit) return hit
  const n = pts.seg.length
  hit = { a: new Int32Array(n), b: new Int32Array(n), toA: new Float64Array(n), toB: new Float64Array(n) }
  for (let i = 0; i < n; i++) {
    const s = pts.seg[i]
    if (s < 0) continue
    const len = g.segLen[s]
    hit.a[i] = g.segA[s]
    hit.b[i] = g.segB[s]
    hit.toA[i] = pts.t[i] * len
    hit.toB[i] = (1 - pts.t[i]) * len
  }
  ends.set(pts, hit)
  return hit
}
const ends = new WeakMap<Snapped, { a: Int32Array; b: Int32Array; toA: Float64Array; toB: Float64Array }>()

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
// A site's joins depend only on the site and the graph: kept for the next indicator using the same site,
// for as long as the graph lives (its model's sites with it). A Map per graph, not a WeakMap per site:
// the collector marks a WeakMap's entries as ephemerons, and 83,000 sites' were ~140 ms of one full
// collection of the flags worker at a million buildings.
const joins = new WeakMap<Graph, Map<NetworkSite, Snap[]>>()

export function siteSources(
  g: Graph,
  sites: NetworkSite[],
  opts: { cap: number; edgeSnap: number; gates?: { x: Float64Array; y: Float64Array } },
): Snap[] {
  let memo = joins.get(g)
  if (!memo) {
    memo = new Map()
    joins.set(g, memo)
  }
  const all: Snap[] = []
  for (const s of sites) {
    let own = memo.get(s)
    if (!own) {
      own = siteJoins(g, s, opts)
      memo.set(s, own)
    }
    for (const j of own) all.push(j)
  }
  return all
}

function siteJoins(
  g: Graph,
  s: NetworkSite,
  opts: { cap: number; edgeSnap: number; gates?: { x: Float64Array; y: Float64Array } },
): Snap[] {
  const out: Snap[] = []
  {
    if (!s.geom) {
      const p = snap(g, s.x, s.y, opts.cap)
      if (p) out.push(p)
      return out
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
    if (gated) return out
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

/** One point set to mark: its joins, the ids they stand for, and the flags to set. */
export interface PointFlags {
  pts: Snapped
  ids: Int32Array
  out: Uint8Array
}

/** Marks out[ids[k]] = 1 for every point of each set within `radius` walking metres of a source (one search). */
export function markWithin(g: Graph, sets: PointFlags[], sources: Snap[], radius: number, scratch?: Float64Array) {
  if (!sources.length) return
  const r = radius + RADIUS_TOLERANCE_M
  const nd = nodeDistances(g, sources, r, scratch)
  for (const { pts, ids, out } of sets) markReached(g, pts, sources, nd, r, ids, out)
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
  markWithin(g, [{ pts, ids, out }], sources, radius, scratch)
}
