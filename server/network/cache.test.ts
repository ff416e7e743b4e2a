// The kept network's bytes (network/cache.ts): what is packed comes back, aligned and exact; a graph
// rebuilt from its kept edges is the graph that was built; damaged bytes are a miss, not a graph.
import { describe, expect, it } from 'vitest'
import { packArrays, unpackArrays } from '../db/packed.ts'
import { packGraph, packSnapped, unpackGraph, unpackSnapped } from './packed.ts'
import { type RoadLine, buildGraph } from './graph.ts'

const line = (level: number, ...pts: [number, number][]): RoadLine => ({ coords: Float64Array.from(pts.flat()), level })

describe('the kept network’s bytes', () => {
  it('gives back each array exactly, whatever its length, from bytes at any offset', () => {
    const arrays = {
      odd: Int32Array.from([1, -2, 3]),
      f: Float64Array.from([0.1, -0, Number.MAX_VALUE, Number.NaN]),
      empty: new Int32Array(0),
    }
    const packed = packArrays({ note: '步行' }, arrays)
    // As a COPY hands it over: a copy somewhere inside a bigger buffer, at an odd offset.
    const inside = Buffer.alloc(packed.length + 3)
    packed.copy(inside, 3)
    const u = unpackArrays(inside.subarray(3))!
    expect(u.meta).toEqual({ note: '步行' })
    expect(u.arrays.odd).toEqual(arrays.odd)
    expect([...u.arrays.f]).toEqual([...arrays.f])
    expect(Object.is(u.arrays.f[1], -0)).toBe(true)
    expect(u.arrays.empty.length).toBe(0)
    expect(unpackArrays(Buffer.from('not a kept network'))).toBeNull()
    expect(unpackArrays(packed.subarray(0, packed.length - 8))).toBeNull() // cut short
    // Asked for views: read in place where the bytes lie aligned, copied where they do not.
    const aligned = Buffer.alloc(packed.length + 8)
    packed.copy(aligned, 8)
    const v = unpackArrays(aligned.subarray(8), { views: true })!
    expect(v.arrays.f.buffer).toBe(aligned.buffer)
    expect([...v.arrays.f]).toEqual([...arrays.f])
    const odd = unpackArrays(inside.subarray(3), { views: true })!
    expect(odd.arrays.f.buffer).not.toBe(inside.buffer)
    expect([...odd.arrays.f]).toEqual([...arrays.f])
  })

  it('rebuilds the graph from its nodes and edges as buildGraph made it, crossings and bridges included', () => {
    const g = buildGraph(
      [
        line(0, [0, 0], [100, 0], [100, 100]),
        line(0, [50, -50], [50, 50]), // crosses the first at (50, 0)
        line(1, [0, 30], [200, 30]), // a bridge over the second: no junction
        line(0, [300, 300], [400, 300]), // an island
      ],
      { noding: 'crossings' },
    )
    const meta = { noding: 'crossings' as const, lines: 4, excluded: 0 }
    const u = unpackGraph(packGraph(g, meta))!
    expect(u.meta).toEqual(meta)
    expect(u.graph).toEqual(g)
    expect(g.componentSize.length).toBe(3)
    // An edge naming a node the graph does not have is damage.
    const bad = packGraph({ ...g, segB: Int32Array.from(g.segB, (v, i) => (i ? v : g.nodes)) }, meta)
    expect(unpackGraph(bad)).toBeNull()
  })

  it('gives back the homes’ join only for as many homes as were joined', () => {
    const s = { seg: Int32Array.from([3, -1]), t: Float64Array.from([0.5, 0]), leg: Float64Array.from([12.25, 0]) }
    expect(unpackSnapped(packSnapped(s), 2)).toEqual(s)
    expect(unpackSnapped(packSnapped(s), 3)).toBeNull()
    expect(unpackSnapped(packArrays(null, { seg: s.seg }), 2)).toBeNull()
  })
})
