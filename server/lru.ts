// A least-recently-used map bounded by the summed size of its entries (bytes, features — whatever the
// caller counts), for caches whose entries differ by orders of magnitude: tiles, indexes, JSON replies.
// Recency is approximate: a hit moves its entry to the young end only when it has aged past half the
// entries since its last move (a Map delete and set on every hit was a measurable part of a cached
// tile); an entry in steady use is therefore never the oldest, which is all eviction needs.
export class Lru<V> {
  private m = new Map<string, { v: V; size: number; at: number }>()
  private total = 0
  private clock = 0
  constructor(private maxSize: number) {}
  get(k: string): V | undefined {
    const e = this.m.get(k)
    if (!e) return undefined
    if (this.clock - e.at > this.m.size >> 1) {
      e.at = ++this.clock
      this.m.delete(k)
      this.m.set(k, e)
    }
    return e.v
  }
  set(k: string, v: V, size: number) {
    const old = this.m.get(k)
    if (old) {
      this.total -= old.size
      this.m.delete(k)
    }
    this.m.set(k, { v, size, at: ++this.clock })
    this.total += size
    while (this.total > this.maxSize && this.m.size > 1) {
      const [first, e] = this.m.entries().next().value!
      this.m.delete(first)
      this.total -= e.size
    }
  }
  dropWhere(pred: (k: string) => boolean) {
    for (const [k, e] of this.m)
      if (pred(k)) {
        this.m.delete(k)
        this.total -= e.size
      }
  }
  get size() {
    return this.m.size
  }
}
