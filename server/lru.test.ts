// The size-bounded cache: evicts the least recently used entries past its bound, and an entry in steady
// use survives however many others pass through (its recency is refreshed once it has aged).
import { describe, expect, it } from 'vitest'
import { Lru } from './lru.ts'

describe('Lru', () => {
  it('keeps the total size under its bound, dropping the oldest first', () => {
    const c = new Lru<number>(10)
    for (let i = 0; i < 5; i++) c.set(`k${i}`, i, 3)
    expect(c.size).toBe(3) // 9 of 10
    expect(c.get('k0')).toBeUndefined()
    expect(c.get('k4')).toBe(4)
    c.set('k4', 44, 3)
    expect(c.get('k4')).toBe(44)
    expect(c.size).toBe(3)
  })
  it('never evicts an entry in steady use', () => {
    const c = new Lru<number>(100)
    c.set('hot', 1, 1)
    for (let i = 0; i < 10_000; i++) {
      c.set(`cold${i}`, i, 1)
      expect(c.get('hot')).toBe(1)
    }
    expect(c.size).toBe(100)
  })
  it('drops what a predicate names', () => {
    const c = new Lru<number>(100)
    for (const k of ['a|1', 'a|2', 'b|1']) c.set(k, 1, 1)
    c.dropWhere((k) => k.startsWith('a|'))
    expect([c.get('a|1'), c.get('a|2'), c.get('b|1')]).toEqual([undefined, undefined, 1])
  })
})
