import { describe, expect, it } from 'vitest'
import { exact, greedy, improve, upperBound, value, type Instance } from './mclp.ts'

const inst = (weight: number[], covers: number[][]): Instance => ({
  weight: Float64Array.from(weight),
  covers: covers.map((c) => Int32Array.from(c)),
})

describe('maximal covering location', () => {
  // Greedy's classic trap: the best single site straddles the two halves of the optimum.
  const trap = inst(
    [3, 3, 3, 3, 1],
    [
      [0, 1],
      [2, 3],
      [1, 2, 4],
    ],
  )
  it('greedy takes the straddling site; exact finds the optimum; the bound brackets it', () => {
    const g = greedy(trap, 2)
    expect(g.sites[0]).toBe(2)
    expect(g.value).toBe(10)
    const e = exact(trap, 2)
    expect(e).toMatchObject({ value: 12, exact: true })
    expect(e.sites.sort()).toEqual([0, 1])
    expect(upperBound(trap, 2, g.sites)).toBeGreaterThanOrEqual(12)
    expect(improve(trap, g)).toMatchObject({ value: 12 }) // one swap away
  })

  it('on random small instances, exact equals brute force and greedy stays within (1 − 1/e)', () => {
    let seed = 7
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647
    let worst = 1
    for (let t = 0; t < 60; t++) {
      const nd = 20 + Math.floor(rnd() * 30),
        nc = 8 + Math.floor(rnd() * 8),
        p = 1 + Math.floor(rnd() * 4)
      const w = Array.from({ length: nd }, () => Math.round(rnd() * 100))
      const covers = Array.from({ length: nc }, () => Array.from({ length: nd }, (_, d) => d).filter(() => rnd() < 0.2))
      const I = inst(w, covers)
      let brute = 0
      const rec = (start: number, chosen: number[]) => {
        if (chosen.length === p || start === nc) {
          brute = Math.max(brute, value(I, chosen))
          return
        }
        for (let j = start; j < nc; j++) rec(j + 1, [...chosen, j])
        brute = Math.max(brute, value(I, chosen))
      }
      rec(0, [])
      const e = exact(I, p)
      const g = greedy(I, p)
      expect(e.exact).toBe(true)
      expect(e.value).toBeCloseTo(brute, 9)
      expect(g.value).toBeLessThanOrEqual(e.value + 1e-9)
      expect(g.value).toBeGreaterThanOrEqual((1 - 1 / Math.E) * e.value - 1e-9)
      expect(upperBound(I, p, g.sites)).toBeGreaterThanOrEqual(e.value - 1e-9)
      const s = improve(I, g)
      expect(s.value).toBeGreaterThanOrEqual(g.value - 1e-9)
      expect(s.value).toBeCloseTo(value(I, s.sites), 9)
      if (e.value > 0) worst = Math.min(worst, s.value / e.value)
    }
    expect(worst).toBeGreaterThan(0.9)
  })

  it('stops early when no candidate adds anything', () => {
    expect(greedy(inst([5], [[0], [0]]), 3).sites).toHaveLength(1)
  })
})
