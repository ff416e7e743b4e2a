// Walking distance on hand-made networks, each answer worked out by hand: a river with one bridge,
// a dead end, a motorway nobody walks along, a park entered at its gate, a building exactly at the
// radius, and crossings that are (not) junctions. Then the network model through the API.
import request from 'supertest'
import { beforeAll, describe, expect, it } from 'vitest'
import { AUTH, TEST_CITY, useTestApp } from '../../test/helpers/app.ts'
import { NETWORK_NEXT, type ResultRow, computeAll, computeSteps, rowsOfSets } from '../indicators/compute.ts'
import { hasNetwork, loadCityModel, settleNetwork } from '../indicators/model.ts'
import { INDICATORS } from '../indicators/registry.ts'
import { settingsFor } from '../indicators/service.ts'
import { networkFlagsAhead } from './indicators.ts'
import { CRS, LOAD_ORDER, X0, Y0, fixture } from '../../test/helpers/city-fixture.ts'
import { get, upload } from '../../test/helpers/upload.ts'
import proj4 from 'proj4'
import { gaussKrugerEpsg } from '../import/crs.ts'
import { type RoadLine, buildGraph, snap } from './graph.ts'
import { DEFAULT_NETWORK, readNetwork, wkbLines } from './load.ts'
import { walkable } from './join.ts'
import { markNetworkCovered, nodeDistances, pointDistances, siteSources, snapAll } from './reach.ts'

const line = (level: number, ...pts: [number, number][]): RoadLine => ({ coords: Float64Array.from(pts.flat()), level })
const pts = (...p: [number, number][]) => ({
  x: Float64Array.from(p, (q) => q[0]),
  y: Float64Array.from(p, (q) => q[1]),
})
/** Walking metres from sites to points on a network of lines. */
function walk(
  lines: RoadLine[],
  sites: { x: number; y: number; geom?: [number, number][][][] }[],
  points: [number, number][],
  gates?: [number, number][],
) {
  const g = buildGraph(lines, { noding: 'crossings' })
  const p = pts(...points)
  const snapped = snapAll(g, p.x, p.y, 150)
  const src = siteSources(g, sites, { cap: 150, edgeSnap: 30, gates: gates ? pts(...gates) : undefined })
  return [...pointDistances(g, snapped, src, 1e9)]
}

describe('walking distance on hand-made networks', () => {
  it('a river with one bridge: 40 m across by straight line, 840 m on foot', () => {
    // South bank road y = −10, north bank road y = +10, both x 0–1000; the bridge at x = 500.
    const lines = [line(0, [0, -10], [1000, -10]), line(0, [0, 10], [1000, 10]), line(1, [500, -10], [500, 10])]
    const [d] = walk(lines, [{ x: 100, y: 20 }], [[100, -20]])
    // leg 10 + 400 along the south bank + 20 over the bridge + 400 back + leg 10.
    expect(d).toBeCloseTo(840, 9)
  })

  it('a dead end is reached only through its stem', () => {
    // Main road y = 0 (x 0–1000); a cul-de-sac from (800, 0) to (800, 300). Facility at (0, 0).
    const lines = [line(0, [0, 0], [1000, 0]), line(0, [800, 0], [800, 300])]
    const [end, beside] = walk(
      lines,
      [{ x: 0, y: 0 }],
      [
        [810, 300], // at the end of the cul-de-sac: leg 10 + 800 + 300
        [900, 290], // closer to the end than to the main road (leg 100 to the stem end? no: 90 to the main road is farther)
      ],
    )
    expect(end).toBeCloseTo(1110, 9)
    // (900, 290): nearest segment is the stem (distance 100 at (800, 290)) vs main road 290 → stem: 100 + 800 + 290.
    expect(beside).toBeCloseTo(1190, 9)
  })

  it('a building whose nearest road is a motorway joins the next walkable road', () => {
    const exclude = new Set(DEFAULT_NETWORK.excludeKinds)
    expect(walkable({ kind: 'motorway', foot: null, access: null }, exclude)).toBe(false)
    expect(walkable({ kind: '高速公路', foot: null, access: null }, exclude)).toBe(false)
    expect(walkable({ kind: 'trunk', foot: 'yes', access: null }, exclude)).toBe(true) // a trunk road with a sidewalk
    expect(walkable({ kind: 'footway', foot: 'no', access: null }, exclude)).toBe(false)
    expect(walkable({ kind: '支路', foot: null, access: null }, exclude)).toBe(true)
    // The motorway at y = 5 is dropped before the graph is built; the residential road is at y = 40.
    const roads = [
      { kind: 'motorway', l: line(0, [0, 5], [1000, 5]) },
      { kind: 'residential', l: line(0, [0, 40], [1000, 40]) },
    ].filter((r) => walkable({ kind: r.kind, foot: null, access: null }, exclude))
    const [d] = walk(
      roads.map((r) => r.l),
      [{ x: 300, y: 40 }],
      [[0, 0]],
    )
    expect(d).toBeCloseTo(40 + 300, 9)
  })

  it('a park with a gate is entered at its gate, not anywhere along its fence', () => {
    // Road y = 0 (x 0–1000). Park [100, 900] × [10, 200], its gate at (800, 10). Home at (150, −5).
    const lines = [line(0, [0, 0], [1000, 0])]
    const park = [
      [
        [
          [100, 10],
          [900, 10],
          [900, 200],
          [100, 200],
          [100, 10],
        ],
      ],
    ] as [number, number][][][]
    const [viaGate] = walk(lines, [{ x: 500, y: 100, geom: park }], [[150, -5]], [[800, 10]])
    // leg 5 + 650 along the road + 10 from the road to the gate.
    expect(viaGate).toBeCloseTo(5 + 650 + 10, 9)
    const [noGate] = walk(lines, [{ x: 500, y: 100, geom: park }], [[150, -5]])
    // Without a gate the fence 10 m from the road joins it everywhere: leg 5 + 0 along + 10.
    expect(noGate).toBeCloseTo(15, 9)
  })

  it('a building exactly at the radius along the network is covered; a centimetre more is not', () => {
    const g = buildGraph([line(0, [0, 0], [300, 0]), line(0, [300, 0], [300, 100])], { noding: 'vertices' })
    const homes = pts([300, 0], [300.02, 0.02])
    const snapped = snapAll(g, homes.x, homes.y, 150)
    const src = siteSources(g, [{ x: 0, y: 0 }], { cap: 150, edgeSnap: 30 })
    const out = new Uint8Array(2)
    markNetworkCovered(g, snapped, Int32Array.from([0, 1]), src, 300, out)
    expect([...out]).toEqual([1, 0])
  })

  it('crossings: a junction on the ground, none under a bridge; OSM-style data is joined at shared vertices only', () => {
    const cross = [line(0, [0, 0], [200, 0]), line(0, [100, -100], [100, 100])]
    const bridge = [line(0, [0, 0], [200, 0]), line(1, [100, -100], [100, 100])]
    const g1 = buildGraph(cross, { noding: 'crossings' })
    const g2 = buildGraph(bridge, { noding: 'crossings' })
    const g3 = buildGraph(cross, { noding: 'vertices' })
    expect(g1.componentSize.length).toBe(1)
    expect(g2.componentSize.length).toBe(2)
    expect(g3.componentSize.length).toBe(2)
    // From (0, 0) to (100, 100): 100 + 100 through the junction.
    const s = snap(g1, 0, 0, 10)!
    const p = snapAll(g1, Float64Array.from([100]), Float64Array.from([100]), 10)
    expect(pointDistances(g1, p, [s], 1e9)[0]).toBeCloseTo(200, 9)
  })
})

describe('reading roads as WKB', () => {
  /** A WKB LineString in either byte order. */
  const lineWkb = (le: boolean, pts: number[]) => {
    const b = Buffer.alloc(9 + 8 * pts.length)
    b.writeUInt8(le ? 1 : 0, 0)
    if (le) b.writeUInt32LE(2, 1)
    else b.writeUInt32BE(2, 1)
    if (le) b.writeUInt32LE(pts.length / 2, 5)
    else b.writeUInt32BE(pts.length / 2, 5)
    for (let k = 0; k < pts.length; k++)
      if (le) b.writeDoubleLE(pts[k], 9 + 8 * k)
      else b.writeDoubleBE(pts[k], 9 + 8 * k)
    return b
  }
  it('reads lines and multilines of either byte order, to the millimetre, and refuses other types', () => {
    expect(wkbLines(lineWkb(true, [500000.12345, 3000000.0004, 500010, 3000000.9996]))).toEqual([
      Float64Array.from([500000.123, 3000000, 500010, 3000001]),
    ])
    const head = Buffer.alloc(9)
    head.writeUInt8(0, 0)
    head.writeUInt32BE(5, 1)
    head.writeUInt32BE(2, 5)
    const multi = Buffer.concat([head, lineWkb(false, [0, 0, 1, 1]), lineWkb(true, [2, 2, 3, 3, 4, 4])])
    expect(wkbLines(multi)).toEqual([Float64Array.from([0, 0, 1, 1]), Float64Array.from([2, 2, 3, 3, 4, 4])])
    const point = Buffer.alloc(21)
    point.writeUInt8(1, 0)
    point.writeUInt32LE(1, 1)
    expect(() => wkbLines(point)).toThrow(/not a line/)
  })
})

describe('distances over contracted chains', () => {
  /** Dijkstra over every node with a binary heap: the reference the chain search must equal. */
  function reference(
    g: ReturnType<typeof buildGraph>,
    sources: { seg: number; t: number; leg: number }[],
    bound: number,
  ) {
    const d = new Float64Array(g.nodes).fill(Infinity)
    const heap: [number, number][] = []
    const push = (k: number, v: number) => {
      if (!(k < d[v]) || k > bound) return
      d[v] = k
      heap.push([k, v])
      heap.sort((a, b) => b[0] - a[0])
    }
    for (const s of sources) {
      push(s.leg + s.t * g.segLen[s.seg], g.segA[s.seg])
      push(s.leg + (1 - s.t) * g.segLen[s.seg], g.segB[s.seg])
    }
    while (heap.length) {
      const [k, u] = heap.pop()!
      if (k > d[u]) continue
      for (let x = g.off[u]; x < g.off[u + 1]; x++) push(k + g.w[x], g.adj[x])
    }
    return d
  }
  it('equals a search over every node: chains, dead ends, parallel roads, loops, rings with no junction, bounds', () => {
    let seed = 3
    const rnd = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32
    for (let t = 0; t < 30; t++) {
      const lines: RoadLine[] = []
      // Roads between points of a coarse grid (so they meet at shared vertices), bent through shape points.
      const grid = () => [Math.floor(rnd() * 6) * 100, Math.floor(rnd() * 6) * 100] as [number, number]
      for (let k = 0; k < 25; k++) {
        const [a, b] = [grid(), grid()]
        const bends = Math.floor(rnd() * 5)
        const p: [number, number][] = [a]
        for (let q = 1; q <= bends; q++)
          p.push([
            a[0] + ((b[0] - a[0]) * q) / (bends + 1) + rnd() * 7,
            a[1] + ((b[1] - a[1]) * q) / (bends + 1) + rnd() * 7,
          ])
        p.push(b)
        lines.push(line(0, ...p))
        // the same road twice (parallel edges of one length), now and then
        if (rnd() < 0.1) lines.push(line(0, ...p))
      }
      // a loop leaving and returning to one grid point, and a ring touching nothing
      const o = grid()
      lines.push(line(0, o, [o[0] + 30, o[1] + 5], [o[0] + 20, o[1] + 40], o))
      const r0 = 2000 + t * 10
      lines.push(line(0, [r0, 0], [r0 + 50, 0], [r0 + 50, 50], [r0, 50], [r0, 0]))
      const g = buildGraph(lines, { noding: 'vertices' })
      const sources = Array.from({ length: 1 + Math.floor(rnd() * 6) }, () => ({
        seg: Math.floor(rnd() * g.segA.length),
        t: rnd(),
        leg: rnd() * 20,
      }))
      // sometimes a source on the ring, sometimes two on one segment
      if (t % 3 === 0) sources.push({ seg: g.segA.length - 1, t: 0.5, leg: 1 })
      if (t % 4 === 0) sources.push({ ...sources[0], t: 1 - sources[0].t })
      for (const bound of [150, 400, 1e5]) {
        const want = reference(g, sources, bound)
        const got = nodeDistances(g, sources, bound)
        for (let v = 0; v < g.nodes; v++) {
          if (want[v] === Infinity) expect(got[v]).toBe(Infinity)
          else expect(Math.abs(got[v] - want[v])).toBeLessThan(1e-9)
        }
      }
    }
  })
})

describe('snapping a point to its nearest segment', () => {
  it('is the nearest segment of all within the cap, ties to the lower segment, as a brute-force search finds', () => {
    // A pseudo-random street grid with diagonals (fixed seed), points near and far from it.
    let seed = 7
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 1000
    const lines = Array.from({ length: 120 }, () => line(0, [rnd(), rnd()], [rnd(), rnd()]))
    const g = buildGraph(lines, { noding: 'crossings' })
    const brute = (px: number, py: number, cap: number) => {
      let best: { seg: number; leg: number } | null = null
      for (let s = 0; s < g.segA.length; s++) {
        const [ax, ay, bx, by] = [g.x[g.segA[s]], g.y[g.segA[s]], g.x[g.segB[s]], g.y[g.segB[s]]]
        const [dx, dy] = [bx - ax, by - ay]
        const l2 = dx * dx + dy * dy
        const t = l2 > 0 ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / l2)) : 0
        const leg = Math.hypot(px - (ax + t * dx), py - (ay + t * dy))
        if (leg <= cap && (!best || leg < best.leg - 1e-9 || (Math.abs(leg - best.leg) <= 1e-9 && s < best.seg)))
          best = { seg: s, leg }
      }
      return best
    }
    let found = 0
    for (let i = 0; i < 1500; i++) {
      const [px, py, cap] = [rnd() * 1.2 - 100, rnd() * 1.2 - 100, [10, 60, 300][i % 3]]
      const want = brute(px, py, cap)
      const got = snap(g, px, py, cap)
      expect(got?.seg ?? null).toBe(want?.seg ?? null)
      if (want) expect(got!.leg).toBeCloseTo(want.leg, 9)
      if (got) found++
    }
    expect(found).toBeGreaterThan(500)
    // snapAll (the segment grid) joins every point where snap does, to the same place.
    for (const cap of [10, 60, 300]) {
      const xs = Float64Array.from({ length: 3000 }, () => rnd() * 1.2 - 100)
      const ys = Float64Array.from({ length: 3000 }, () => rnd() * 1.2 - 100)
      xs[0] = NaN
      const all = snapAll(g, xs, ys, cap)
      for (let i = 0; i < xs.length; i++) {
        const one = snap(g, xs[i], ys[i], cap)
        expect([all.seg[i], all.seg[i] < 0 ? 0 : all.t[i], all.seg[i] < 0 ? 0 : all.leg[i]]).toEqual(
          one ? [one.seg, one.t, one.leg] : [-1, 0, 0],
        )
      }
    }
  })
})

describe('the network model through the API', () => {
  const t = useTestApp()
  const P = (x: number, y: number) => [X0 + x, Y0 + y]
  beforeAll(async () => {
    for (const layer of LOAD_ORDER)
      expect((await upload(t.app, 2025, layer, fixture[layer], `${layer}.geojson`, CRS)).status).toBe(201)
    // One road along the homes of C1 (y = 500, x 0–1000) and a motorway along y = 800 through K1.
    const roads = {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          geometry: { type: 'LineString', coordinates: [P(0, 500), P(1000, 500)] },
          properties: { highway: 'residential' },
        },
        {
          type: 'Feature',
          geometry: { type: 'LineString', coordinates: [P(0, 800), P(1000, 800)] },
          properties: { highway: 'motorway' },
        },
      ],
    }
    const r = await upload(t.app, 2025, 'roads', Buffer.from(JSON.stringify(roads)), 'roads.geojson', CRS)
    expect(r.status, JSON.stringify(r.body)).toBe(201)
    const job = await request(t.app.server).post('/api/years/2025/indicators/compute').set(AUTH)
    for (let i = 0; i < 200 && (await get(t.app, job.body.status)).body.state !== 'succeeded'; i++)
      await new Promise((res) => setTimeout(res, 50))
  })

  it('reports both models; the kindergarten beside a motorway is reached by straight line only', async () => {
    const straight = await get(t.app, '/api/years/2025/indicators/kindergarten_coverage?level=city')
    const walked = await get(t.app, '/api/years/2025/indicators/kindergarten_coverage?level=city&model=network')
    expect(walked.status).toBe(200)
    expect(straight.body.results[0].numerator).toBeCloseTo(100, 0) // B1's footprint (100 m²)
    // K1 stands on the motorway, 300 m from the only walkable road: off the network, so it reaches no one.
    expect(walked.body.results[0]).toMatchObject({ value: 0, distanceModel: 'network' })
    expect(walked.body.indicator.distanceModel).toMatch(/步行网络距离/)
    // B4–B7 and B9 (C2) are more than 150 m from the road.
    expect(walked.body.results[0].offNetwork).toBe(5)
    const only = await get(t.app, '/api/years/2025/indicators/kindergarten_coverage/gaps?model=walk-only')
    expect(only.body.features.map((f: { properties: { code: string } }) => f.properties.code)).toEqual(['B1'])
  })

  it('draws a facility’s walking service area: reached segments, homes, and the homes only a straight line reaches', async () => {
    const [lon, lat] = await t.db.knex
      .raw('SELECT ST_X(p) x, ST_Y(p) y FROM ST_Transform(ST_SetSRID(ST_MakePoint(?, ?), 4548), 4490) p', P(200, 520))
      .then((r) => [r.rows[0].x, r.rows[0].y])
    // 老年服务站 at (200, 520), 20 m from the road; radius 300: the road is walked from x = 200 − 280 to 200 + 280.
    const r = await get(t.app, `/api/years/2025/indicators/elderly_station_coverage/service-area?lon=${lon}&lat=${lat}`)
    expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(200)
    const segs = r.body.features.filter((f: { properties: { kind: string } }) => f.properties.kind === 'segment')
    expect(segs.length).toBeGreaterThan(0)
    // B1 (200, 500): 20 + 0 = 20 m; B2 (500, 500): 20 + 300 > 300 → only by straight line? No: straight 300.67 > 300 too.
    expect(r.body.homesReached).toBe(1)
    const home = r.body.features.find((f: { properties: { kind: string } }) => f.properties.kind === 'home')
    expect(home.properties).toMatchObject({ walk: 20, straight: 20 })
    const miss = await get(
      t.app,
      `/api/years/2025/indicators/elderly_station_coverage/service-area?lon=${lon + 0.01}&lat=${lat}`,
    )
    expect(miss.status).toBe(404)
  })

  it('sites on walking distance: a kindergarten by the road reaches the homes along it, one off the road none', async () => {
    // Candidates: on the road at (500, 510), and at (500, 800) — 300 m off the road, beyond the access cap.
    const toLonLat = proj4(gaussKrugerEpsg(4548)!.proj!, 'EPSG:4326')
    const cand = (x: number, y: number) => ({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: toLonLat.forward(P(x, y)) },
      properties: {},
    })
    const body = {
      indicator: 'kindergarten_coverage',
      count: 1,
      candidates: { type: 'FeatureCollection', features: [cand(500, 800), cand(500, 510)] },
    }
    const walk = await request(t.app.server)
      .post('/api/years/2025/siting')
      .set(AUTH)
      .send({ ...body, model: 'network' })
    expect(walk.status, JSON.stringify(walk.body).slice(0, 300)).toBe(200)
    expect(walk.body.distanceModel).toBe('network')
    // From (500, 510): B1 (200, 500) 10 + 300 = 310 > 300; B2 (500, 500) 10; B3 (800, 500) 310 → only B2.
    expect(walk.body.sites[0]).toMatchObject({ newlyCoveredBuildings: 1 })
    expect(walk.body.sites[0].lat).toBeCloseTo(toLonLat.forward(P(500, 510))[1], 6)
    // The straight-line model answers the same request in its own terms.
    const straight = await request(t.app.server).post('/api/years/2025/siting').set(AUTH).send(body)
    expect(straight.body.distanceModel).toBe('euclidean')
    expect(straight.body.sites[0].newlyCoveredBuildings).toBeGreaterThanOrEqual(1)
  })

  it('a run whose network and walking flags come from worker threads gives the main thread’s rows', async () => {
    const settings = settingsFor(t.config, {})
    const city = { code: TEST_CITY, zone: null }
    const here = await loadCityModel(t.db.knex, city, 2025, settings, undefined, { networkWorker: 'never' })
    const there = await loadCityModel(t.db.knex, city, 2025, settings, undefined, { networkWorker: 'always' })
    expect(there.network!.residential).toEqual(here.network!.residential)
    expect(networkFlagsAhead(here, INDICATORS)).toBeNull() // a city this small is not worth a worker
    const ahead = networkFlagsAhead(there, INDICATORS, { worker: 'always' })!
    const netCache = new Map()
    const rows: ResultRow[] = []
    let filled = -1
    const steps = computeSteps(there, INDICATORS, undefined, { deferNetwork: true, netCache })
    for (let s = steps.next(); !s.done; s = steps.next()) {
      if (s.value === NETWORK_NEXT) {
        for (const [k, f] of await ahead) netCache.set(k, f)
        filled = netCache.size
      } else rows.push(...rowsOfSets(s.value))
    }
    expect(filled).toBeGreaterThan(10)
    // Every flag the walking parts asked for was there already: none computed on this thread.
    expect(netCache.size).toBe(filled)
    const key = (r: ResultRow) => `${r.indicator}|${r.variant}|${r.level}|${r.unit_code}`
    const sorted = (rs: ResultRow[]) => [...rs].sort((a, b) => key(a).localeCompare(key(b)))
    const expected = computeAll(here, INDICATORS).rows
    expect(rows.some((r) => r.variant.endsWith('@network'))).toBe(true)
    expect(sorted(rows)).toEqual(sorted(expected))
  })

  it('a run that starts before its network is joined (deferNetwork) gives the same rows and warning', async () => {
    const settings = settingsFor(t.config, {})
    const city = { code: TEST_CITY, zone: null }
    const here = await loadCityModel(t.db.knex, city, 2025, settings, undefined, { networkWorker: 'never' })
    const later = await loadCityModel(t.db.knex, city, 2025, settings, undefined, {
      networkWorker: 'always',
      deferNetwork: true,
    })
    // Returned while the worker is still at it: no network yet, but one on its way.
    expect(later.network).toBeNull()
    expect(later.networkPending).toBeInstanceOf(Promise)
    expect(hasNetwork(later)).toBe(true)
    const ahead = networkFlagsAhead(later, INDICATORS, { worker: 'always' })!
    const netCache = new Map()
    const rows: ResultRow[] = []
    const steps = computeSteps(later, INDICATORS, undefined, { deferNetwork: true, netCache })
    let pendingAtFirstStep: boolean | null = null
    let filled = -1
    for (let s = steps.next(); !s.done; s = steps.next()) {
      pendingAtFirstStep ??= later.networkPending != null
      if (s.value === NETWORK_NEXT) {
        for (const [k, f] of await ahead) netCache.set(k, f)
        filled = netCache.size
      } else rows.push(...rowsOfSets(s.value))
    }
    expect(pendingAtFirstStep).toBe(true)
    // The flags came from the worker that joined the network (taken, so no longer on offer), which
    // shares the network's memory with this thread rather than sending a copy.
    expect(filled).toBeGreaterThan(10)
    expect(netCache.size).toBe(filled)
    expect(later.takeNetworkWorker!()).toBeNull()
    expect(later.network!.residential.seg.buffer).toBeInstanceOf(SharedArrayBuffer)
    expect(later.network!.graph.x.buffer).toBeInstanceOf(SharedArrayBuffer)
    expect(later.networkPending).toBeUndefined()
    expect(later.network!.residential).toEqual(here.network!.residential)
    expect(later.networkWarning).toBe(here.networkWarning)
    expect(here.networkWarning).toMatch(/^步行网络：/)
    const key = (r: ResultRow) => `${r.indicator}|${r.variant}|${r.level}|${r.unit_code}`
    const sorted = (rs: ResultRow[]) => [...rs].sort((a, b) => key(a).localeCompare(key(b)))
    expect(sorted(rows)).toEqual(sorted(computeAll(here, INDICATORS).rows))
    expect(await settleNetwork(later)).toBe(later.network)
  })

  it('keeps the walking graph and the homes’ join for the next load, which then builds neither', async () => {
    const settings = settingsFor(t.config, {})
    const city = { code: TEST_CITY, zone: null }
    const kept = () =>
      t.db
        .knex('derived_cache')
        .whereIn('kind', ['graph', 'homes'])
        .orderBy('kind')
        .select('kind', t.db.knex.raw('uploads::int[] uploads'))
    const versions = Object.fromEntries(
      (await t.db.knex('layer_current').where({ city: TEST_CITY, year: 2025 }).select('layer', 'upload_id')).map(
        (r) => [r.layer, Number(r.upload_id)],
      ),
    )
    // The run in beforeAll kept them, each naming the uploads it was made from.
    expect(await kept()).toEqual([
      { kind: 'graph', uploads: [versions.roads] },
      { kind: 'homes', uploads: [versions.roads, versions.buildings, versions['residential-areas']] },
    ])
    const load = (s = settings) => loadCityModel(t.db.knex, city, 2025, s, undefined, { networkWorker: 'never' })
    const again = await load()
    expect(again.network!.kept).toEqual({ graph: true, homes: true })
    // Read as kept, the roads are not read, and the graph still says how many roads it is of (a city's
    // size decides whether it gets a worker thread).
    const input = (await readNetwork(t.db.knex, again.versions, again.srid, DEFAULT_NETWORK))!
    expect(input.kept).toBeInstanceOf(Buffer)
    expect([input.roads.length, input.size]).toEqual([0, 2])
    await t.db.knex('derived_cache').whereIn('kind', ['graph', 'homes']).delete()
    const fresh = await load()
    expect(fresh.network!.kept).toEqual({ graph: false, homes: false })
    expect((await kept()).length).toBe(2)
    // The graph as kept is the graph as built: every array, and the same joins and warning.
    expect(again.network!.graph).toEqual(fresh.network!.graph)
    expect(again.network!.residential).toEqual(fresh.network!.residential)
    expect(again.networkWarning).toBe(fresh.networkWarning)
    // A kept graph that does not hold what its header lists is read past (the roads read instead) and
    // written again.
    await t.db.knex.raw(
      "UPDATE derived_cache SET data = substring(data from 1 for length(data) - 8) WHERE kind = 'graph'",
    )
    const healed = await load()
    expect(healed.network!.kept).toEqual({ graph: false, homes: false })
    expect(healed.network!.graph.segA).toEqual(fresh.network!.graph.segA)
    expect((await load()).network!.kept).toEqual({ graph: true, homes: true })
    // Other settings make another graph: a motorway people may walk along joins K1 to the network.
    const walkAll = await load({ ...settings, network: { excludeKinds: [] } })
    expect(walkAll.network!.kept).toEqual({ graph: false, homes: false })
    expect(walkAll.network!.graph.segA.length).toBeGreaterThan(fresh.network!.graph.segA.length)
    expect((await kept()).length).toBe(4)
  })

  it('builds the 问题清单 from the network model when the year says so', async () => {
    const before = await get(t.app, '/api/years/2025/problems?indicator=kindergarten_coverage&level=community')
    expect(before.body.problems.find((p: { unitCode: string }) => p.unitCode === 'C1').variant).toBe('area')
    const put = await request(t.app.server)
      .put('/api/years/2025/indicator-config')
      .set(AUTH)
      .send({ settings: { distanceModel: 'network' } })
    expect(put.status).toBe(200)
    const job = await request(t.app.server).post('/api/years/2025/indicators/compute').set(AUTH)
    for (let i = 0; i < 200 && (await get(t.app, job.body.status)).body.state !== 'succeeded'; i++)
      await new Promise((res) => setTimeout(res, 50))
    const after = await get(t.app, '/api/years/2025/problems?indicator=kindergarten_coverage&level=community')
    const c1 = after.body.problems.find((p: { unitCode: string }) => p.unitCode === 'C1')
    expect(c1).toMatchObject({ variant: 'area@network', value: 0 })
  })
})
