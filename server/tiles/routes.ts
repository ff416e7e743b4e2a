import { gunzipSync } from 'node:zlib'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { AppContext } from '../context.ts'
import { AppError } from '../errors.ts'
import { checkYear } from '../import/pipeline.ts'
import { TILE_CACHE_CONTROL, TILE_TYPE } from './fastpath.ts'
import { MAX_ZOOM, MIN_ZOOM, TILE_LAYERS, type TileLayer } from './service.ts'

const FIELDS: Record<TileLayer, Record<string, string>> = {
  districts: { code: 'String', name: 'String', value: 'Number', status: 'String', target: 'Number' },
  streets: { code: 'String', name: 'String', value: 'Number', status: 'String', target: 'Number' },
  communities: { code: 'String', name: 'String', value: 'Number', status: 'String', target: 'Number' },
  buildings: {
    fid: 'Number',
    code: 'String',
    floors: 'Number',
    residential: 'Boolean',
    covered: 'Boolean',
    residents: 'Number',
  },
  facilities: { type: 'String', name: 'String', capacity: 'Number' },
  'green-spaces': { kind: 'String', name: 'String', area_m2: 'Number' },
  roads: { kind: 'String', name: 'String' },
  problems: {
    id: 'String',
    indicator: 'String',
    name: 'String',
    unit: 'String',
    severity: 'String',
    value: 'Number',
    status: 'String',
  },
}

// (A module function rather than a closure per request: tsx names every closure it makes.)
function sendTile(req: FastifyRequest, reply: FastifyReply, t: { body: Buffer | null; etag: string }) {
  reply.header('etag', t.etag).header('cache-control', TILE_CACHE_CONTROL).header('vary', 'accept-encoding')
  if (req.headers['if-none-match'] === t.etag) return reply.code(304).send()
  if (!t.body) return reply.code(204).send()
  reply.header('content-type', TILE_TYPE)
  if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')))
    return reply.header('content-encoding', 'gzip').send(t.body)
  return reply.send(gunzipSync(t.body))
}

export default async function tileRoutes(app: FastifyInstance, ctx: AppContext) {
  const { tiles } = ctx
  app.get(
    '/:year/:layer/:z/:x/:y.pbf',
    {
      schema: {
        summary: '矢量瓦片（MVT，gzip）/ Vector tile (Mapbox Vector Tile, gzipped)',
        tags: ['tiles'],
        params: {
          type: 'object',
          properties: {
            year: { type: 'integer' },
            layer: { type: 'string', enum: [...TILE_LAYERS] },
            z: { type: 'integer' },
            x: { type: 'integer' },
            y: { type: 'integer' },
          },
          required: ['year', 'layer', 'z', 'x', 'y'],
        },
        querystring: {
          type: 'object',
          properties: {
            indicator: {
              type: 'string',
              description:
                '街道/社区 carry its value and status; buildings its covered flag; problems are filtered to it',
            },
          },
        },
      },
    },
    (req, reply) => {
      const { year, layer, z, x, y } = req.params as { year: number; layer: TileLayer; z: number; x: number; y: number }
      const indicator = (req.query as { indicator?: string }).indicator || null
      const y4 = checkYear(year)
      const hit = tiles.cached(req.city.code, y4, layer, z, x, y, indicator)
      if (hit) return sendTile(req, reply, hit)
      return tiles.tile(req.city.code, y4, layer, z, x, y, indicator).then((t) => sendTile(req, reply, t))
    },
  )

  app.get(
    '/:year/tilejson.json',
    {
      schema: {
        summary: 'TileJSON（每年度）/ TileJSON for a year',
        tags: ['tiles'],
        params: { type: 'object', properties: { year: { type: 'integer' } }, required: ['year'] },
        querystring: { type: 'object', properties: { indicator: { type: 'string' } } },
      },
    },
    async (req) => {
      const year = checkYear((req.params as { year: number }).year)
      const { indicator } = req.query as { indicator?: string }
      const bounds = await tiles.bounds(req.city.code, year)
      if (!bounds) throw new AppError('CC_NOT_FOUND', { what: `${year} 年度的数据 / data for ${year}` })
      const base = `${req.protocol}://${req.headers.host}`
      const q = indicator ? `?indicator=${encodeURIComponent(indicator)}` : ''
      return {
        tilejson: '3.0.0',
        name: `citycheck ${req.city.name} ${year}`,
        scheme: 'xyz',
        bounds,
        center: [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, 13],
        minzoom: 0,
        maxzoom: MAX_ZOOM,
        attribution: 'citycheck 城市体检',
        tiles: TILE_LAYERS.map((l) => `${base}/tiles/${req.city.code}/${year}/${l}/{z}/{x}/{y}.pbf${q}`),
        vector_layers: TILE_LAYERS.map((l) => ({
          id: l,
          minzoom: MIN_ZOOM[l],
          maxzoom: MAX_ZOOM,
          fields: FIELDS[l],
          tiles: [`${base}/tiles/${req.city.code}/${year}/${l}/{z}/{x}/{y}.pbf${q}`],
        })),
      }
    },
  )
}
