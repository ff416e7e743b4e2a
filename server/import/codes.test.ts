// The duplicate-code table: the earlier feature for every repeated code, nothing for a new one, across
// growth and a real 32-bit hash collision.
import { describe, expect, it } from 'vitest'
import { FirstSeen, hashCode } from './codes.ts'

describe('FirstSeen', () => {
  it('names the first feature of each repeated code, as a Map of the codes would', () => {
    const codes = Array.from({ length: 50_000 }, (_, i) => `B${(i * 7919) % 30_011}`)
    const seen = new FirstSeen((fid) => codes[fid - 1])
    const map = new Map<string, number>()
    for (let i = 0; i < codes.length; i++) {
      const expected = map.get(codes[i])
      if (expected === undefined) map.set(codes[i], i + 1)
      expect(seen.check(codes[i], i + 1)).toBe(expected)
    }
  })
  it('tells a collision from a duplicate by the earlier feature’s code', () => {
    // Two codes with the same 32-bit hash: a birthday search finds one within a few hundred thousand.
    const byHash = new Map<number, string>()
    let pair: [string, string] | null = null
    for (let i = 0; !pair; i++) {
      const c = `C${i}`
      const other = byHash.get(hashCode(c))
      if (other) pair = [other, c]
      else byHash.set(hashCode(c), c)
    }
    expect(hashCode(pair[0])).toBe(hashCode(pair[1]))
    const codes = [pair[0], pair[1], pair[1], pair[0]]
    const seen = new FirstSeen((fid) => codes[fid - 1])
    expect(seen.check(codes[0], 1)).toBeUndefined()
    expect(seen.check(codes[1], 2)).toBeUndefined() // same hash, another code: new
    expect(seen.check(codes[2], 3)).toBe(2)
    expect(seen.check(codes[3], 4)).toBe(1)
  })
})
