// Tiles decoded from the wire: layers, properties, coverage flags, caching headers, and an upload
// changing the very next tile served.
import proj4 from 'proj4'
import request from 'supertest'
import { VectorTile } from '@mapbox/vector-tile'
import { PbfReader } from 'pbf'
import http from 'node:http'
import { gunzipSync } from 'node:zlib'
import { beforeAll, describe, expect, it } from 'vitest'
import { AUTH, TEST_CITY, useTestApp } from '../../test/helpers/app.ts'
import { CRS, LOAD_ORDER, X0, Y0, fixture, sq } from '../../test/helpers/city-fixture.ts'
import { geojson } from '../../test/helpers/fixtures.ts'
import { get, upload } from '../../test/helpers/upload.ts'
import { gaussKrugerEpsg } from '../import/crs.ts'
import { cachedTiles } from './fastpath.ts'

const toLonLat = proj4(gaussKrugerEpsg(4548)!.proj!, 'EPSG:4326')
function tileOf(lon: number, lat: number, z: number): [number, number] {
  const n = 2 ** z
  const r = (lat * Math.PI) / 180
  return [
    Math.floor(((lon + 180) / 360) * n),
    Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n),
  ]
}
const binary = (r: request.Test) =>
  r.buffer(true).parse((res, cb) => {
    const c: Buffer[] = []
    res.on('data', (d: Buffer) => c.push(d))
    res.on('end', () => cb(null, Buffer.concat(c)))
  })

describe('vector tiles', () => {
  const t = useTestApp()
  const [lon, lat] = toLonLat.forward([X0 + 1500, Y0 + 500]) // inside C2
  const fetchTile = async (layer: string, z: number, q = '') => {
    const [x, y] = tileOf(lon, lat, z)
    const r = await binary(
      request(t.app.server).get(`/tiles/2025/${layer}/${z}/${x}/${y}.pbf${q}`).set('accept-encoding', 'gzip'),
    )
    // superagent inflates gzip itself; accept either form
    const raw = r.body as Buffer
    const bytes = raw && raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw
    return { r, tile: r.status === 200 ? new VectorTile(new PbfReader(bytes)) : null }
  }
  const props = (tile: VectorTile, layer: string) =>
    Array.from({ length: tile.layers[layer].length }, (_, i) => tile.layers[layer].feature(i).properties)

  beforeAll(async () => {
    for (const layer of LOAD_ORDER)
      expect((await upload(t.app, 2025, layer, fixture[layer], `${layer}.geojson`, CRS)).status).toBe(201)
    const job = await request(t.app.server).post('/api/years/2025/indicators/compute').set(AUTH)
    for (let i = 0; i < 200 && (await get(t.app, job.body.status)).body.state !== 'succeeded'; i++)
      await new Promise((r) => setTimeout(r, 50))
  })

  it('communities carry the chosen indicator’s value and status', async () => {
    const { r, tile } = await fetchTile('communities', 14, '?indicator=kindergarten_coverage')
    expect(r.status).toBe(200)
    expect(r.headers['content-type']).toBe('application/vnd.mapbox-vector-tile')
    expect(r.headers['content-encoding']).toBe('gzip')
    expect(r.headers['cache-control']).toContain('max-age')
    // Bytes for a map library, not a document: nosniff, but no page headers such as the CSP.
    expect(r.headers['x-content-type-options']).toBe('nosniff')
    expect(r.headers['content-security-policy']).toBeUndefined()
    const byCode = Object.fromEntries(props(tile!, 'communities').map((p) => [p.code, p]))
    expect(byCode.C2).toMatchObject({ name: '二社区', value: 0, status: 'fail', target: 100 })
    expect(byCode.C1).toMatchObject({ status: 'fail' })
    expect(byCode.C1.value).toBeCloseTo(33.33, 1)
    expect(tile!.layers.communities.feature(0).type).toBe(3) // polygon
  })

  it('one unit index serves every indicator: values follow the indicator asked, nothing carries over', async () => {
    const at = async (q: string) =>
      Object.fromEntries(props((await fetchTile('communities', 13, q)).tile!, 'communities').map((p) => [p.code, p]))
    expect((await at('?indicator=kindergarten_coverage')).C1.value).toBeCloseTo(33.33, 1)
    const nursery = await at('?indicator=nursery_coverage')
    expect(nursery.C1).toMatchObject({ value: 0, status: 'fail' })
    expect(nursery.C3).toMatchObject({ status: 'no-data' })
    expect(nursery.C3.value).toBeUndefined()
    const none = await at('')
    expect(none.C1).toMatchObject({ code: 'C1', name: '一社区', status: 'no-data' })
    expect(none.C1.value).toBeUndefined()
    expect((await at('?indicator=kindergarten_coverage')).C1.value).toBeCloseTo(33.33, 1)
  })

  it('buildings carry covered flags for the chosen indicator, from zoom 13', async () => {
    const { tile } = await fetchTile('buildings', 13, '?indicator=primary_school_coverage')
    const ps = props(tile!, 'buildings')
    const byCode = Object.fromEntries(ps.map((p) => [p.code, p]))
    expect(byCode.B6).toMatchObject({ covered: true, residents: 70 })
    expect(byCode.B5).toMatchObject({ covered: false, residents: 210 })
    expect(byCode.B8.covered).toBeUndefined() // not residential
    expect((await fetchTile('buildings', 12)).r.status).toBe(204)
  })

  it('facilities, green spaces and problems', async () => {
    const f = await fetchTile('facilities', 14)
    expect(props(f.tile!, 'facilities').map((p) => p.type)).toContain('primary_school')
    const g = await fetchTile('green-spaces', 14)
    expect(props(g.tile!, 'green-spaces')[0]).toMatchObject({ kind: '社区公园' })
    const p = await fetchTile('problems', 12, '?indicator=kindergarten_coverage')
    const pp = props(p.tile!, 'problems')
    expect(pp.find((x) => x.unit === '二社区')).toMatchObject({ severity: '严重', indicator: 'kindergarten_coverage' })
  })

  it('the city’s own roads as a basemap layer, from zoom 11', async () => {
    expect((await fetchTile('roads', 14)).r.status).toBe(204) // no roads layer yet
    const roads = JSON.stringify({
      type: 'FeatureCollection',
      crs: { type: 'name', properties: { name: 'urn:ogc:def:crs:EPSG::4548' } },
      features: [
        {
          type: 'Feature',
          properties: { name: '滨河路', highway: 'residential' },
          geometry: {
            type: 'LineString',
            coordinates: [
              [X0 + 1000, Y0 + 500],
              [X0 + 2000, Y0 + 500],
            ],
          },
        },
      ],
    })
    expect((await upload(t.app, 2025, 'roads', Buffer.from(roads), 'roads.geojson')).status).toBe(201)
    const r = await fetchTile('roads', 14)
    expect(r.r.status).toBe(200)
    expect(props(r.tile!, 'roads')[0]).toMatchObject({ name: '滨河路' })
    expect(r.tile!.layers.roads.feature(0).type).toBe(2) // a line
    expect((await fetchTile('roads', 10)).r.status).toBe(204)
  })

  it('ETag and 304; an empty tile is 204; bad coordinates are 400', async () => {
    const { r } = await fetchTile('communities', 14)
    const [x, y] = tileOf(lon, lat, 14)
    const again = await request(t.app.server)
      .get(`/tiles/2025/communities/14/${x}/${y}.pbf`)
      .set('if-none-match', r.headers.etag)
    expect(again.status).toBe(304)
    expect((await request(t.app.server).get('/tiles/2025/communities/14/0/0.pbf')).status).toBe(204)
    expect((await request(t.app.server).get('/tiles/2025/communities/3/9/0.pbf')).body.error.code).toBe(
      'CC_BAD_REQUEST',
    )
  })

  it('an upload changes the next tile served (no stale tiles)', async () => {
    const before = await fetchTile('communities', 14)
    const renamed = geojson([
      {
        geometry: { type: 'Polygon', coordinates: [sq(0, 0, 1000, 1000)] },
        properties: { code: 'C1', name: '一社区' },
      },
      {
        geometry: { type: 'Polygon', coordinates: [sq(1000, 0, 2000, 1000)] },
        properties: { code: 'C2', name: '新二社区', population: 400 },
      },
      {
        geometry: { type: 'Polygon', coordinates: [sq(2000, 0, 3000, 1000)] },
        properties: { code: 'C3', name: '三社区' },
      },
    ])
    expect((await upload(t.app, 2025, 'communities', renamed, 'c.geojson', CRS)).status).toBe(201)
    const after = await fetchTile('communities', 14)
    expect(after.r.headers.etag).not.toBe(before.r.headers.etag)
    expect(props(after.tile!, 'communities').map((p) => p.name)).toContain('新二社区')
  })

  it('buildings are cut per z13 region: a footprint across a region edge is in the tiles on both sides', async () => {
    // A year of its own: one footprint across the east edge of the z13 tile holding C2, one far inside it.
    const [x13, y13] = tileOf(lon, lat, 13)
    const edge = ((x13 + 1) / 2 ** 13) * 360 - 180
    const box = (w: number, e: number, s: number, n: number) => [
      [
        [w, s],
        [e, s],
        [e, n],
        [w, n],
        [w, s],
      ],
    ]
    const buildings = geojson([
      {
        geometry: { type: 'Polygon', coordinates: box(edge - 3e-4, edge + 3e-4, lat, lat + 2e-4) },
        properties: { code: 'EDGE' },
      },
      {
        geometry: { type: 'Polygon', coordinates: box(edge - 0.02, edge - 0.0197, lat, lat + 2e-4) },
        properties: { code: 'WEST' },
      },
    ])
    expect((await upload(t.app, 2027, 'buildings', buildings, 'b.geojson', { crs: 'EPSG:4490' })).status).toBe(201)
    const codes = async (z: number, x: number, y: number) => {
      const r = await binary(request(t.app.server).get(`/tiles/2027/buildings/${z}/${x}/${y}.pbf`))
      if (r.status === 204) return []
      const tile = new VectorTile(new PbfReader(r.body as Buffer))
      return props(tile, 'buildings').map((p) => p.code)
    }
    const [, y15] = tileOf(edge, lat + 1e-4, 15)
    const westX = 4 * x13 + 3 // the z15 tiles either side of the region edge
    expect(await codes(15, westX, y15)).toEqual(['EDGE'])
    expect(await codes(15, westX + 1, y15)).toEqual(['EDGE'])
    const [wx, wy] = tileOf(edge - 0.0198, lat + 1e-4, 16)
    expect(await codes(16, wx, wy)).toEqual(['WEST'])
  })

  it('serves TileJSON for the year', async () => {
    const j = await get(t.app, '/tiles/2025/tilejson.json?indicator=kindergarten_coverage')
    expect(j.body).toMatchObject({ tilejson: '3.0.0', minzoom: 0 })
    expect(j.body.vector_layers.map((l: { id: string }) => l.id)).toEqual([
      'districts',
      'streets',
      'communities',
      'buildings',
      'facilities',
      'green-spaces',
      'roads',
      'problems',
    ])
    expect(j.body.tiles[1]).toContain('/tiles/990100/2025/streets/{z}/{x}/{y}.pbf?indicator=kindergarten_coverage')
    expect(j.body.bounds[0]).toBeCloseTo(117, 1)
  })

  it('a cached tile is answered before the router with the same bytes and headers, and never past a token check', async () => {
    const [x, y] = tileOf(lon, lat, 14)
    const path = `/2025/communities/14/${x}/${y}.pbf?indicator=kindergarten_coverage`
    const get = (p: string, headers: Record<string, string> = { 'accept-encoding': 'gzip' }) =>
      binary(request(t.app.server).get(p).set(headers))
    const first = await get(`/tiles${path}`) // cut by the route (or already cached by an earlier test)
    const second = await get(`/tiles${path}`) // from the byte cache
    const named = await get(`/tiles/${TEST_CITY}${path}`)
    for (const r of [second, named]) {
      expect(r.status).toBe(200)
      expect(r.body).toEqual(first.body)
      for (const h of [
        'etag',
        'cache-control',
        'vary',
        'content-type',
        'content-encoding',
        'content-length',
        'x-content-type-options',
      ])
        expect(r.headers[h]).toBe(first.headers[h])
    }
    // What the early answer takes and what it leaves to Fastify, on a server of its own.
    const fast = cachedTiles(t.rt)!
    const server = http.createServer((req, res) => {
      if (!fast(req, res)) res.writeHead(599).end()
    })
    const status = async (p: string, headers: Record<string, string> = { 'accept-encoding': 'gzip' }) =>
      (await binary(request(server).get(p).set(headers))).status
    expect(await status(`/tiles${path}`)).toBe(200)
    expect(await status(`/tiles/${TEST_CITY}${path}`)).toBe(200)
    expect(await status(`/tiles${path}`, { 'accept-encoding': 'gzip', 'if-none-match': first.headers.etag })).toBe(304)
    expect(await status(`/tiles${path}`, { 'accept-encoding': 'gzip', authorization: 'Bearer wrong' })).toBe(599)
    expect(await status(`/tiles${path}`, { 'accept-encoding': 'identity' })).toBe(599)
    expect(await status(`/tiles${path}&other=1`)).toBe(599)
    expect(await status(`/tiles/990199${path}`)).toBe(599) // no such city
    expect(await status('/tiles/2025/communities/15/1/1.pbf')).toBe(599) // never asked for: not in the cache
    // …and Fastify answers those: a wrong token is refused, whatever the cache holds.
    const refused = await request(t.app.server).get(`/tiles${path}`).set('authorization', 'Bearer wrong')
    expect([refused.status, refused.body.error.code]).toEqual([403, 'CC_AUTH_INVALID'])
    expect((await get(`/tiles${path}&other=1`)).status).toBe(200)
    // Closed reading or a log line per request: every tile goes through the route.
    expect(cachedTiles({ ...t.rt, config: { ...t.rt.config, readRequiresToken: true } })).toBeNull()
    expect(cachedTiles({ ...t.rt, config: { ...t.rt.config, logRequests: true } })).toBeNull()
  })
})
