// The duplicate-code check of an import, for layers of millions of features.

/**
 * Which feature first carried each code: an open-addressing table of (32-bit hash, feature number)
 * pairs, 8 bytes a slot, instead of a Map of the code strings (~70 bytes a code: 355 MB for 5 million
 * footprints). The codes themselves are not kept: where two hashes agree, the earlier feature's code is
 * asked for again (`codeOf`, which re-reads that feature) to tell a duplicate from a collision — rare
 * (about n² / 2³³ pairs: a few thousand among 5 million codes) and otherwise a real duplicate.
 */
export class FirstSeen {
  private hashes = new Int32Array(1024)
  private fids = new Int32Array(1024) // 0 = empty; feature numbers start at 1
  private count = 0

  constructor(private readonly codeOf: (fid: number) => string) {}

  /** The earlier feature with this code; else `fid` is recorded as its first, and undefined returned. */
  check(code: string, fid: number): number | undefined {
    if (2 * (this.count + 1) > this.fids.length) this.grow()
    const h = hashCode(code)
    const mask = this.fids.length - 1
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const f = this.fids[i]
      if (f === 0) {
        this.fids[i] = fid
        this.hashes[i] = h
        this.count++
        return undefined
      }
      if (this.hashes[i] === h && this.codeOf(f) === code) return f
    }
  }

  private grow() {
    const { fids, hashes } = this
    this.fids = new Int32Array(fids.length * 2)
    this.hashes = new Int32Array(fids.length * 2)
    const mask = this.fids.length - 1
    for (let j = 0; j < fids.length; j++) {
      if (fids[j] === 0) continue
      let i = hashes[j] & mask
      while (this.fids[i] !== 0) i = (i + 1) & mask
      this.fids[i] = fids[j]
      this.hashes[i] = hashes[j]
    }
  }
}

/** FNV-1a over the UTF-16 code units, then murmur3's finaliser (sequential codes spread evenly). */
export function hashCode(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return h ^ (h >>> 16)
}
