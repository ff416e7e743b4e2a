// The maximal covering location problem: choose p sites from the candidates so that the weight of
// demand within reach of at least one chosen site is as large as possible. Pure functions over
// coverage sets (candidate → demand indices), so they can be tested on instances whose optimum is known.
//
// - greedy(): the lazy greedy (CELF). Coverage is submodular, so a candidate's gain can only shrink as
//   sites are chosen: stale gains in a max-heap are upper bounds, and a popped candidate whose freshly
//   computed gain still tops the heap is the true best. Guarantees ≥ (1 − 1/e) of the optimum.
// - upperBound(): an online bound on the optimum for any solution S (Minoux / Nemhauser–Wolsey):
//   OPT ≤ f(S) + the sum of the p largest marginal gains with respect to S. So every greedy answer comes
//   with a proven distance from the optimum, even where the exact solve cannot finish.
// - exact(): branch and bound with that same bound, for small instances; gives up (exact: false)
//   after a node budget rather than running for ever.

export interface Instance {
  /** weight of each demand point (residents or area still uncovered) */
  weight: Float64Array
  /** for each candidate, the demand points it would cover */
  covers: Int32Array[]
}

export interface Solution {
  sites: number[]
  gains: number[]
  value: number
}

function gainOf(inst: Instance, j: number, covered: Uint8Array): number {
  let g = 0
  for (const d of inst.covers[j]) if (!covered[d]) g += inst.weight[d]
  return g
}

export function value(inst: Instance, sites: number[]): number {
  const covered = new Uint8Array(inst.weight.length)
  let v = 0
  for (const j of sites)
    for (const d of inst.covers[j])
      if (!covered[d]) {
        covered[d] = 1
        v += inst.weight[d]
      }
  return v
}

/** A binary max-heap of [gain, candidate]. */
class Heap {
  private a: [number, number][] = []
  get size() {
    return this.a.length
  }
  peek() {
    return this.a[0]
  }
  push(x: [number, number]) {
    const a = this.a
    a.push(x)
    for (let i = a.length - 1; i > 0; ) {
      const p = (i - 1) >> 1
      if (a[p][0] >= a[i][0]) break
      ;[a[p], a[i]] = [a[i], a[p]]
      i = p
    }
  }
  pop(): [number, number] | undefined {
    const a = this.a
    if (!a.length) return undefined
    const top = a[0],
      last = a.pop()!
    if (a.length) {
      a[0] = last
      for (let i = 0; ; ) {
        const l = 2 * i + 1,
          r = l + 1
        let m = i
        if (l < a.length && a[l][0] > a[m][0]) m = l
        if (r < a.length && a[r][0] > a[m][0]) m = r
        if (m === i) break
        ;[a[m], a[i]] = [a[i], a[m]]
        i = m
      }
    }
    return top
  }
}

export function greedy(inst: Instance, p: number): Solution {
  const covered = new Uint8Array(inst.weight.length)
  const heap = new Heap()
  for (let j = 0; j < inst.covers.length; j++) heap.push([gainOf(inst, j, covered), j])
  const sites: number[] = [],
    gains: number[] = []
  let total = 0
  while (sites.length < p && heap.size) {
    const [stale, j] = heap.pop()!
    const g = gainOf(inst, j, covered)
    if (g < stale && heap.size && g < heap.peek()[0]) {
      heap.push([g, j])
      continue
    } // stale: re-queue
    if (g <= 0) break
    sites.push(j)
    gains.push(g)
    total += g
    for (const d of inst.covers[j]) covered[d] = 1
  }
  return { sites, gains, value: total }
}

/**
 * 1-swap local search from a solution: replace a chosen site by an unchosen one while that raises
 * the covered weight. Greedy's typical miss (a site straddling two better ones) is one swap away.
 */
export function improve(inst: Instance, start: Solution, maxPasses = 20): Solution {
  const sites = [...start.sites]
  const cnt = new Int32Array(inst.weight.length)
  for (const j of sites) for (const d of inst.covers[j]) cnt[d]++
  const chosen = new Set(sites)
  for (let pass = 0; pass < maxPasses; pass++) {
    let changed = false
    for (let k = 0; k < sites.length; k++) {
      const j = sites[k]
      for (const d of inst.covers[j]) cnt[d]--
      let loss = 0
      for (const d of inst.covers[j]) if (cnt[d] === 0) loss += inst.weight[d]
      let bestGain = loss,
        best = j
      for (let c = 0; c < inst.covers.length; c++) {
        if (chosen.has(c)) continue
        let g = 0
        for (const d of inst.covers[c]) if (cnt[d] === 0) g += inst.weight[d]
        if (g > bestGain + 1e-9) {
          bestGain = g
          best = c
        }
      }
      if (best !== j) {
        chosen.delete(j)
        chosen.add(best)
        sites[k] = best
        changed = true
      }
      for (const d of inst.covers[sites[k]]) cnt[d]++
    }
    if (!changed) break
  }
  // Re-rank by marginal gain, as greedy would report them.
  const covered = new Uint8Array(inst.weight.length)
  const order: number[] = [],
    gains: number[] = []
  const left = new Set(sites)
  while (left.size) {
    let bj = -1,
      bg = -1
    for (const j of left) {
      const g = gainOf(inst, j, covered)
      if (g > bg) {
        bg = g
        bj = j
      }
    }
    left.delete(bj)
    order.push(bj)
    gains.push(bg)
    for (const d of inst.covers[bj]) covered[d] = 1
  }
  return { sites: order, gains, value: gains.reduce((a, b) => a + b, 0) }
}

/**
 * OPT ≤ f(S_k) + the sum of the p largest marginal gains w.r.t. S_k, for every prefix S_k of the
 * solution (k = 0 … |S|); the least of these is returned. At k = 0 it is the sum of the p best
 * stand-alone values, which is exact when candidates do not overlap.
 */
export function upperBound(inst: Instance, p: number, sites: number[]): number {
  const covered = new Uint8Array(inst.weight.length)
  let v = 0
  let best = Infinity
  for (let k = 0; k <= sites.length; k++) {
    const gains = inst.covers.map((_, j) => gainOf(inst, j, covered)).sort((a, b) => b - a)
    best = Math.min(best, v + gains.slice(0, p).reduce((s, g) => s + g, 0))
    if (k < sites.length)
      for (const d of inst.covers[sites[k]])
        if (!covered[d]) {
          covered[d] = 1
          v += inst.weight[d]
        }
  }
  return best
}

export function exact(inst: Instance, p: number, maxNodes = 2_000_000): Solution & { exact: boolean; nodes: number } {
  const n = inst.covers.length
  // Start from the greedy answer; explore candidates in order of their stand-alone gain.
  let best = greedy(inst, p)
  let bestValue = best.value
  let bestSites = [...best.sites]
  const order = inst.covers
    .map((_, j) => j)
    .sort((a, b) => gainOf(inst, b, new Uint8Array(0)) - gainOf(inst, a, new Uint8Array(0)))
  const covered = new Int32Array(inst.weight.length) // how many chosen sites cover each demand point
  const chosen: number[] = []
  let nodes = 0,
    complete = true
  const dfs = (start: number, current: number) => {
    if (++nodes > maxNodes) {
      complete = false
      return
    }
    if (current > bestValue) {
      bestValue = current
      bestSites = [...chosen]
    }
    if (chosen.length === p) return
    // Bound: current + the (p − k) largest gains among the remaining candidates.
    const rest: number[] = []
    for (let k = start; k < n; k++) {
      const j = order[k]
      let g = 0
      for (const d of inst.covers[j]) if (!covered[d]) g += inst.weight[d]
      rest.push(g)
    }
    rest.sort((a, b) => b - a)
    let bound = current
    for (let k = 0; k < p - chosen.length && k < rest.length; k++) bound += rest[k]
    if (bound <= bestValue + 1e-9) return
    for (let k = start; k < n && complete; k++) {
      const j = order[k]
      let g = 0
      for (const d of inst.covers[j]) {
        if (!covered[d]) g += inst.weight[d]
        covered[d]++
      }
      chosen.push(j)
      dfs(k + 1, current + g)
      chosen.pop()
      for (const d of inst.covers[j]) covered[d]--
    }
  }
  dfs(0, 0)
  // Report sites in greedy order of their marginal gains.
  const c = new Uint8Array(inst.weight.length)
  const gains = bestSites.map((j) => {
    const g = gainOf(inst, j, c)
    for (const d of inst.covers[j]) c[d] = 1
    return g
  })
  best = { sites: bestSites, gains, value: bestValue }
  return { ...best, exact: complete, nodes }
}
