// A tiny city drawn in CGCS2000 3° Gauss-Kruger CM 117E metres (EPSG:4548), so every distance in
// it is exact and every indicator can be worked out by hand (see server/indicators/indicators.test.ts).
//
//   y=1000 ┌──────────── C1 ───────────┬──────────── C2 ───────────┬──────── C3 ────────┐  街道 S1
//          │ ═══════════════ park 0–2000 × 900–950 (10 ha, 社区公园) ══════════════  │ (no one  │
//          │  K1●(200,800)   N1●(500,800.05)     B7▭(990–1030,700–710)             │  lives)  │
//          │   A1 [100–900]²                     │   A2 [1100–1900]²                  │  school▭ │
//          │  B1▪(200,500) B2▪(500,500) B3▪(800,500)│ B4▪(1200,500) B5▪(1500,500) B6▪(1800,500) │
//          │  ◆ 4 facilities at (200,520)  B8▫ shop │  B9▣ tower (1600,300)  J1●(1500,200) │ J2●      │
//   y=0    └───────────────────────────┴────────────────────────────┴────────────────────┘
//          x=0                       1000                         2000                  3000
import { geojson, type F } from './fixtures.ts'

export const X0 = 500000
export const Y0 = 3520000
const P = (x: number, y: number): [number, number] => [X0 + x, Y0 + y]
export const sq = (x0: number, y0: number, x1: number, y1: number) => [
  P(x0, y0),
  P(x1, y0),
  P(x1, y1),
  P(x0, y1),
  P(x0, y0),
]
const poly = (ring: [number, number][], properties: Record<string, unknown>): F => ({
  geometry: { type: 'Polygon', coordinates: [ring] },
  properties,
})
const pt = (x: number, y: number, properties: Record<string, unknown>): F => ({
  geometry: { type: 'Point', coordinates: P(x, y) },
  properties,
})
/** a w × h building centred at (cx, cy) */
const bld = (cx: number, cy: number, w: number, h: number, properties: Record<string, unknown>) =>
  poly(sq(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), properties)

export const CRS = { crs: 'EPSG:4548' }

export const fixture = {
  streets: geojson([poly(sq(0, 0, 3000, 1000), { code: 'S1', name: '甲街道', population: 600 })]),
  communities: geojson([
    poly(sq(0, 0, 1000, 1000), { code: 'C1', name: '一社区' }), // no population given
    poly(sq(1000, 0, 2000, 1000), { code: 'C2', name: '二社区', population: 400 }),
    poly(sq(2000, 0, 3000, 1000), { code: 'C3', name: '三社区' }), // no one lives here
  ]),
  'residential-areas': geojson([
    poly(sq(100, 100, 900, 900), { code: 'A1', name: '甲小区' }),
    poly(sq(1100, 100, 1900, 900), { code: 'A2', name: '乙小区' }),
  ]),
  buildings: geojson([
    bld(200, 500, 10, 10, { code: 'B1', use: '住宅', floors: 6, residents: 100, built_year: 1990 }),
    bld(500, 500, 10, 10, { code: 'B2', use: '住宅', floors: 6, residents: 50, built_year: 2005 }),
    bld(800, 500, 10, 10, { code: 'B3', use: '住宅', floors: 5, built_year: 1995 }), // estimated: 500 m² ÷ 36.5
    bld(1200, 500, 10, 10, { code: 'B4', use: '住宅', floors: 6, residents: 100, built_year: 2010 }),
    bld(1500, 500, 10, 10, { code: 'B5', use: '住宅', floors: 6, built_year: 1985 }), // from C2's population
    bld(1800, 500, 10, 10, { code: 'B6', use: '住宅', floors: 2, built_year: 2015 }), // from C2's population
    poly(sq(990, 700, 1030, 710), { code: 'B7', use: '住宅', floors: 3, residents: 20 }), // across C1|C2; its point is in C2
    bld(600, 300, 10, 10, { code: 'B8', use: '商业', floors: 2 }), // not residential
    bld(1600, 300, 20, 20, { code: 'B9', use: '住宅', height: 90, residents: 0, built_year: 2022 }), // a new 90 m tower
  ]),
  facilities: geojson([
    pt(200, 800, { name: 'K1', type: '幼儿园' }), // exactly 300 m from B1
    pt(500, 800.05, { name: 'N1', type: '托儿所' }), // 300.05 m from B2: just outside
    pt(200, 520, { name: '服务站', type: '社区综合服务站' }),
    pt(200, 520, { name: '日间照料', type: '老年服务站' }),
    pt(200, 520, { name: '健身', type: '室外健身场地' }),
    pt(200, 520, { name: '文化站', type: '文化活动站' }),
    poly(sq(2100, 100, 2300, 300), { name: '第一小学', type: '小学' }), // a polygon, reached at its edge
    // In C3's far corner, where no one lives and ≥ 1,150 m from every home: so that every 完整社区
    // item type exists in the city (an absent type would make the indicator no-data).
    pt(2950, 50, { name: '卫生站', type: '社区卫生服务站' }),
    pt(2950, 50, { name: '超市', type: '综合超市' }),
    pt(2950, 50, { name: '快递点', type: '邮件快件寄递点' }),
  ]),
  'green-spaces': geojson([poly(sq(0, 900, 2000, 950), { name: '带状公园', kind: '社区公园' })]),
  jobs: geojson([pt(1500, 200, { jobs: 100 }), pt(2500, 500, { jobs: 50 })]),
  commutes: geojson([
    pt(500, 3500, { origin_code: 'C1', count: 10 }), // 3 km from C1's point (500, 500)
    pt(500, 8500, { origin_code: 'C1', count: 30 }), // 8 km
    pt(1500, 4500, { origin_code: 'C2', count: 20 }), // 4 km from C2's point (1500, 500)
  ]),
}

export const LOAD_ORDER = [
  'streets',
  'communities',
  'residential-areas',
  'buildings',
  'facilities',
  'green-spaces',
  'jobs',
  'commutes',
] as const
