// The small pure functions under the indicators, on inputs worked out by hand.
import { describe, expect, it } from 'vitest'
import {
  DiscSums,
  area,
  pointInMultiPolygon,
  pointPolygonDistance,
  polygonPolygonDistance,
  type MultiPoly,
  withinPolygon,
} from './geom.ts'
import { allocateResidents, SOURCE } from './population.ts'
import { inFidOrder } from './model.ts'
import { residentialCells, statusOf } from './compute.ts'
import type { CityModel } from './model.ts'
import { grade, shortfall } from '../problems/grade.ts'
import { INDICATORS } from './registry.ts'
import { toCsv } from '../problems/export.ts'

const square = (x0: number, y0: number, s: number): MultiPoly => [
  [
    [
      [x0, y0],
      [x0 + s, y0],
      [x0 + s, y0 + s],
      [x0, y0 + s],
      [x0, y0],
    ],
  ],
]

describe('planar geometry', () => {
  it('withinPolygon answers as pointPolygonDistance <= r, inside, in holes, near edges and far', () => {
    // Two parts, the first with a hole; points on a grid through all of it and at its edges.
    const mp: MultiPoly = [
      [
        [
          [0, 0],
          [100, 0],
          [100, 80],
          [0, 80],
          [0, 0],
        ],
        [
          [30, 20],
          [70, 20],
          [50, 60],
          [30, 20],
        ],
      ],
      [
        [
          [150, 10],
          [190, 30],
          [160, 70],
          [150, 10],
        ],
      ],
    ]
    let within = 0
    for (let x = -40; x <= 230; x += 3.7)
      for (let y = -40; y <= 120; y += 2.9)
        for (const r of [0, 5, 12.5, 30]) {
          const expected = pointPolygonDistance(x, y, mp) <= r
          expect(withinPolygon(x, y, mp, r)).toBe(expected)
          if (expected) within++
        }
    // Edge and vertex points exactly: on the boundary is within any radius.
    for (const [x, y] of [
      [0, 0],
      [50, 0],
      [50, 20],
      [150, 10],
      [175, 50],
    ])
      expect(withinPolygon(x, y, mp, 0)).toBe(true)
    expect(within).toBeGreaterThan(1000)
  })

  it('point in polygon with a hole', () => {
    const donut: MultiPoly = [
      [
        [
          [0, 0],
          [10, 0],
          [10, 10],
          [0, 10],
          [0, 0],
        ],
        [
          [4, 4],
          [6, 4],
          [6, 6],
          [4, 6],
          [4, 4],
        ],
      ],
    ]
    expect(pointInMultiPolygon(2, 2, donut)).toBe(true)
    expect(pointInMultiPolygon(5, 5, donut)).toBe(false)
    expect(area(donut)).toBe(96)
  })
  it('distance to a polygon is to its nearest edge, 0 inside', () => {
    expect(pointPolygonDistance(5, 5, square(0, 0, 10))).toBe(0)
    expect(pointPolygonDistance(13, 14, square(0, 0, 10))).toBe(5) // to the corner (10, 10)
    expect(pointPolygonDistance(5, -3, square(0, 0, 10))).toBe(3)
  })
  it('distance between polygons: apart, touching, crossing', () => {
    expect(polygonPolygonDistance(square(0, 0, 10), square(13, 14, 5))).toBe(5)
    expect(polygonPolygonDistance(square(0, 0, 10), square(10, 0, 10))).toBe(0)
    const bar: MultiPoly = [
      [
        [
          [-5, 4],
          [15, 4],
          [15, 6],
          [-5, 6],
          [-5, 4],
        ],
      ],
    ] // crosses the square with no vertex inside it
    expect(polygonPolygonDistance(square(0, 0, 10), bar)).toBe(0)
  })
  it('disc sums equal testing every point', () => {
    let seed = 1
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647
    const n = 5000
    const xs = Float64Array.from({ length: n }, () => rnd() * 10000),
      ys = Float64Array.from({ length: n }, () => rnd() * 10000),
      w = Float64Array.from({ length: n }, () => rnd() * 10)
    const d = new DiscSums(xs, ys, w, 250)
    for (let k = 0; k < 20; k++) {
      const cx = rnd() * 10000,
        cy = rnd() * 10000,
        r = 500 + rnd() * 4000
      let brute = 0
      for (let i = 0; i < n; i++) if ((xs[i] - cx) ** 2 + (ys[i] - cy) ** 2 <= r * r) brute += w[i]
      expect(d.sum(cx, cy, r)).toBeCloseTo(brute, 6)
    }
  })
  it('disc sums are exact for whole weights, for centres off the grid and radii below a cell or past it', () => {
    let seed = 7
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647
    const n = 4000
    // Points on a 10 m lattice too, so many lie exactly on a circle or a cell's edge.
    const xs = Float64Array.from({ length: n }, (_, i) => (i % 2 ? Math.round(rnd() * 300) * 10 : rnd() * 3000)),
      ys = Float64Array.from({ length: n }, (_, i) => (i % 2 ? Math.round(rnd() * 300) * 10 : rnd() * 3000)),
      w = Float64Array.from({ length: n }, () => Math.floor(rnd() * 20))
    const d = new DiscSums(xs, ys, w, 100)
    const centres: [number, number, number][] = [
      [1500, 1500, 50], // within one cell
      [1500, 1500, 100],
      [-400, 1500, 600], // left of every point
      [3500, -200, 900], // beyond a corner
      [1500, 1500, 5000], // past the whole extent
      [1000, 1000, 300],
      [0, 0, 0],
    ]
    for (let k = 0; k < 60; k++)
      centres.push([Math.round(rnd() * 400 - 50) * 10, Math.round(rnd() * 400 - 50) * 10, Math.round(rnd() * 120) * 10])
    for (const [cx, cy, r] of centres) {
      let brute = 0
      for (let i = 0; i < n; i++) if ((xs[i] - cx) ** 2 + (ys[i] - cy) ** 2 <= r * r) brute += w[i]
      expect(d.sum(cx, cy, r), `${cx},${cy} r ${r}`).toBe(brute)
    }
  })
})

describe('residential cells', () => {
  it('numbers each (街道, 社区) pair by its first home, by a table of pairs or, for many units, a map', () => {
    // homes 0..5: (street, community) = (0,1) (−1,1) (0,1) (1,−1) (−1,−1) (1,−1); building 6 is not a home
    const street = Int32Array.from([0, -1, 0, 1, -1, 1, 0]),
      community = Int32Array.from([1, 1, 1, -1, -1, -1, 0])
    const model = (streets: number, communities: number) =>
      ({
        residentialPoints: { ids: Int32Array.from([0, 1, 2, 3, 4, 5]) },
        b: { street, community },
        streets: new Array(streets),
        communities: new Array(communities),
      }) as unknown as CityModel
    const small = residentialCells(model(2, 2))
    const large = residentialCells(model(3000, 3000)) // 9M pairs: past the table's 4M
    for (const c of [small, large]) {
      expect(c.n).toBe(4)
      expect([...c.of]).toEqual([0, 1, 0, 2, 3, 2])
      expect([...c.street]).toEqual([0, -1, 1, -1])
      expect([...c.community]).toEqual([1, 1, -1, -1])
    }
  })
})

describe('population allocation', () => {
  it('keeps given figures, shares the 社区 remainder by floor area, estimates the rest', () => {
    const r = allocateResidents({
      residential: Uint8Array.from([1, 1, 1, 0, 1]),
      residents: Float64Array.from([100, NaN, NaN, NaN, NaN]),
      floorArea: Float64Array.from([1000, 600, 200, 5000, 730]),
      community: Int32Array.from([0, 0, 0, 0, 1]),
      communityPopulation: Float64Array.from([400, NaN]),
      floorAreaPerResident: 36.5,
    })
    expect([...r.residents]).toEqual([100, 225, 75, 0, 20]) // (400 − 100) × 600/800, × 200/800; 730 ÷ 36.5
    expect([...r.source]).toEqual([SOURCE.data, SOURCE.community, SOURCE.community, SOURCE.none, SOURCE.estimate])
  })
  it('flags a 社区 whose population is below its buildings’ own figures and estimates instead', () => {
    const r = allocateResidents({
      residential: Uint8Array.from([1, 1]),
      residents: Float64Array.from([500, NaN]),
      floorArea: Float64Array.from([100, 365]),
      community: Int32Array.from([0, 0]),
      communityPopulation: Float64Array.from([300]),
      floorAreaPerResident: 36.5,
    })
    expect(r.inconsistentCommunities).toEqual([0])
    expect(r.residents[1]).toBe(10)
  })
})

describe('status and grading', () => {
  const kg = INDICATORS.find((d) => d.code === 'kindergarten_coverage')! // 底线, ≥ 100
  const ns = INDICATORS.find((d) => d.code === 'nursery_coverage')! // 导向, ≥ 100
  const jh = INDICATORS.find((d) => d.code === 'jobs_housing_ratio')! // 0.9–1.1
  it('status against >=, <= and a band', () => {
    expect(statusOf(100, kg.target)).toBe('pass')
    expect(statusOf(99.9, kg.target)).toBe('fail')
    expect(statusOf(1.0, jh.target)).toBe('pass')
    expect(statusOf(1.2, jh.target)).toBe('fail')
    expect(statusOf(null, kg.target)).toBe('no-data')
    expect(statusOf(5, undefined)).toBe('info')
  })
  it('severity by shortfall; 底线 one grade worse and ranked first', () => {
    expect(shortfall(ns, 75)).toBeCloseTo(0.25)
    expect(grade(ns, 95).severity).toBe('一般')
    expect(grade(ns, 85).severity).toBe('较重')
    expect(grade(ns, 60).severity).toBe('严重')
    expect(grade(kg, 95).severity).toBe('较重')
    expect(grade(kg, 95).score).toBeGreaterThan(grade(ns, 0).score)
    expect(shortfall(jh, 0.45)).toBeCloseTo(0.5)
  })
})

describe('CSV export', () => {
  it('starts with a BOM and quotes what needs quoting', () => {
    const b = toCsv(
      ['名称', 'note'],
      [
        ['甲, 乙', 'say "hi"'],
        [null, 3],
      ],
    )
    expect([...b.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    expect(b.subarray(3).toString()).toBe('名称,note\r\n"甲, 乙","say ""hi"""\r\n,3\r\n')
  })
})

describe('inFidOrder', () => {
  it('puts rows that came rotated or shuffled back in fid order, every column with its row', () => {
    const n = 1000
    const fid = Float64Array.from({ length: n }, (_, i) => (i * 7919) % n) // a permutation of 0..999
    const x = Float64Array.from(fid, (f) => f * 10 + 0.5)
    const [f2, x2] = inFidOrder([fid, x])
    expect([...f2]).toEqual(Array.from({ length: n }, (_, i) => i))
    expect([...x2]).toEqual(Array.from({ length: n }, (_, i) => i * 10 + 0.5))
    // Rows already in order are handed back as they are, no copy.
    const sorted = [Float64Array.of(1, 2, 2, 5), Float64Array.of(9, 8, 7, 6)]
    expect(inFidOrder(sorted)).toBe(sorted)
  })
})

describe('markCovered (a grid of the points, not a tree search per site)', () => {
  it('marks exactly the points a brute-force test marks: points at the radius, polygon sites, points without coordinates', async () => {
    const { markCovered, RADIUS_TOLERANCE_M } = await import('./coverage.ts')
    let seed = 5
    const rnd = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32
    const n = 20_000
    const x = new Float64Array(n),
      y = new Float64Array(n)
    for (let k = 0; k < n; k++) [x[k], y[k]] = [500_000 + 5000 * rnd(), 3_000_000 + 3000 * rnd()]
    x[7] = NaN
    y[8] = Infinity
    const ids = Int32Array.from({ length: n }, (_, k) => (k * 7) % n)
    const points = { ids, x, y }
    const r = 300
    const sites: import('./coverage.ts').Site[] = [
      ...Array.from({ length: 40 }, () => ({ x: 500_000 + 5000 * rnd(), y: 3_000_000 + 3000 * rnd() })),
      // a site exactly the radius from a point, along one axis
      { x: x[11] + r, y: y[11] },
      ...[0, 1, 2].map((i) => {
        const geom = square(500_000 + 1500 * i, 3_001_000, 200)
        return { x: 0, y: 0, geom, bbox: [500_000 + 1500 * i, 3_001_000, 500_200 + 1500 * i, 3_001_200] as BBoxT }
      }),
    ]
    const out = new Uint8Array(n)
    markCovered(points, sites, r, out)
    const want = new Uint8Array(n)
    const rr = r + RADIUS_TOLERANCE_M
    for (let k = 0; k < n; k++)
      for (const s of sites) {
        const dx = x[k] - s.x,
          dy = y[k] - s.y
        const within = s.geom ? pointPolygonDistance(x[k], y[k], s.geom) <= rr : dx * dx + dy * dy <= rr * rr
        if (within) want[ids[k]] = 1
      }
    expect(Array.from(out)).toEqual(Array.from(want))
    expect(out[ids[11]]).toBe(1)
    expect(out[ids[7]] + out[ids[8]]).toBe(0)
    expect(out.reduce((a, v) => a + v, 0)).toBeGreaterThan(1000)
    // Marks add up across calls on one output (bands of one indicator): half the sites, then the rest.
    const twice = new Uint8Array(n)
    markCovered(points, sites.slice(0, 20), r, twice)
    markCovered(points, sites.slice(20), r, twice)
    expect(Array.from(twice)).toEqual(Array.from(want))
    const none = new Uint8Array(0)
    markCovered({ ids: new Int32Array(0), x: new Float64Array(0), y: new Float64Array(0) }, sites, r, none)
  })
})
type BBoxT = [number, number, number, number]
