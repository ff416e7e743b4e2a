// The unit grid against the plain answer: every unit's polygon tested in order, the first containing
// the point wins. Units that tile the plane and share edges, overlap, have holes, come in parts,
// are rotated or star-shaped; points anywhere, on vertices and edges, outside, NaN.
import { describe, expect, it } from 'vitest'
import { bboxOf, pointInMultiPolygon, type MultiPoly } from './geom.ts'
import { UnitGrid } from './unitgrid.ts'

function rng(seed: number) {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}
const ring = (pts: number[][]) => [...pts, pts[0]]
const rect = (x: number, y: number, w: number, h: number): MultiPoly => [
  [
    ring([
      [x, y],
      [x + w, y],
      [x + w, y + h],
      [x, y + h],
    ]),
  ],
]
/** a star-shaped polygon around (cx, cy): n vertices at random radii */
const star = (r: () => number, cx: number, cy: number, size: number, n: number): MultiPoly => [
  [
    ring(
      Array.from({ length: n }, (_, i) => {
        const a = (i / n) * 2 * Math.PI,
          d = size * (0.3 + 0.7 * r())
        return [cx + d * Math.cos(a), cy + d * Math.sin(a)]
      }),
    ),
  ],
]
const units = (geoms: MultiPoly[]) => geoms.map((geom) => ({ geom, bbox: bboxOf(geom) }))
const plain = (us: { geom: MultiPoly }[], x: number, y: number) =>
  us.findIndex((u) => pointInMultiPolygon(x, y, u.geom))

/** points: random over the units' extent and beyond, every vertex, and points along every edge */
function probes(r: () => number, geoms: MultiPoly[], n: number): number[][] {
  const b = geoms
    .map(bboxOf)
    .reduce((a, c) => [Math.min(a[0], c[0]), Math.min(a[1], c[1]), Math.max(a[2], c[2]), Math.max(a[3], c[3])])
  const [w, h] = [b[2] - b[0], b[3] - b[1]]
  const out: number[][] = []
  for (let i = 0; i < n; i++) out.push([b[0] - 0.1 * w + 1.2 * w * r(), b[1] - 0.1 * h + 1.2 * h * r()])
  for (const g of geoms)
    for (const poly of g)
      for (const rg of poly)
        for (let i = 1; i < rg.length; i++) {
          out.push(rg[i])
          const t = r()
          out.push([rg[i - 1][0] + t * (rg[i][0] - rg[i - 1][0]), rg[i - 1][1] + t * (rg[i][1] - rg[i - 1][1])])
        }
  out.push([NaN, NaN], [b[0] - w, b[1]], [Infinity, b[1]])
  return out
}

function agree(geoms: MultiPoly[], seed: number, n = 20_000) {
  const us = units(geoms)
  const grid = new UnitGrid(us)
  const r = rng(seed)
  let inside = 0
  for (const [x, y] of probes(r, geoms, n)) {
    const want = plain(us, x, y)
    if (want >= 0) inside++
    expect(grid.find(x, y), `(${x}, ${y})`).toBe(want)
  }
  return inside
}

describe('UnitGrid', () => {
  it('answers as the units tested in order: a tiling of squares sharing edges (Gauss-Kruger magnitudes)', () => {
    const geoms: MultiPoly[] = []
    for (let i = 0; i < 20; i++)
      for (let j = 0; j < 15; j++) geoms.push(rect(39_500_000 + i * 300, 3_400_000 + j * 300, 300, 300))
    expect(agree(geoms, 1)).toBeGreaterThan(10_000)
  })

  it('overlapping star-shaped units of mixed sizes: the lowest-numbered one containing the point', () => {
    const r = rng(2)
    const geoms = Array.from({ length: 150 }, () =>
      star(r, 1000 * r(), 1000 * r(), 20 + 200 * r(), 5 + Math.floor(40 * r())),
    )
    expect(agree(geoms, 3)).toBeGreaterThan(5_000)
  })

  it('holes, parts, a rotated unit, a unit as large as the city, and units with no area', () => {
    const holed: MultiPoly = [[...rect(0, 0, 100, 100)[0], [...rect(30, 30, 40, 40)[0][0]].reverse()]]
    const parts: MultiPoly = [...rect(200, 0, 50, 50), ...rect(300, 0, 50, 50)]
    const rotated: MultiPoly = [
      [
        ring([
          [500, 0],
          [600, 100],
          [500, 200],
          [400, 100],
        ]),
      ],
    ]
    const inHole = rect(40, 40, 10, 10)
    const city = rect(-50, -50, 800, 400)
    const flat = rect(10, 10, 50, 0)
    const dot = rect(60, 60, 0, 0)
    agree([holed, parts, rotated, inHole, flat, dot, city], 4)
    agree([city, holed, parts], 5)
  })

  it('no units, and a single one', () => {
    expect(new UnitGrid([]).find(0, 0)).toBe(-1)
    agree([rect(5, 5, 1, 1)], 6, 2_000)
  })

  it('answers most points without a polygon test (the cells wholly inside a unit)', () => {
    const geoms: MultiPoly[] = []
    for (let i = 0; i < 30; i++) for (let j = 0; j < 30; j++) geoms.push(rect(i * 100, j * 100, 100, 100))
    const grid = new UnitGrid(units(geoms))
    const fast = (grid as unknown as { fast: Int32Array }).fast
    expect(fast.filter((f) => f >= 0).length / fast.length).toBeGreaterThan(0.4)
  })
})
