// A tile already in the byte cache, answered before Fastify sees the request. Serving one is a lookup
// and a socket write, and the framework's own work on it (routing, schema coercion, four hooks, the
// reply object) was a third of the server thread's time per cached tile (bench:tiles). Only the plain
// case is taken: a GET with no token, of the exact tile URL, where the route would have answered from
// the same cache with the same headers and rights; anything else (a token, other query parameters, a
// cache miss, request logging on, reads closed, a database outage being tracked) goes to Fastify.
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AppContext } from '../context.ts'
import { databaseOutage } from '../db/outage.ts'
import type { TileLayer } from './service.ts'

/** The headers every tile answer carries (the route's and this path's alike). */
export const TILE_CACHE_CONTROL = 'public, max-age=60, must-revalidate'
export const TILE_TYPE = 'application/vnd.mapbox-vector-tile'

// /tiles[/city]/year/layer/z/x/y.pbf[?indicator=code] — the route's own pattern, city as its schema has it.
const TILE_URL =
  /^\/tiles\/(?:([1-9]\d{5})\/)?(\d{4})\/([a-z-]+)\/(\d{1,2})\/(\d{1,7})\/(\d{1,7})\.pbf(?:\?indicator=(\w*))?$/
const GZIP = /\bgzip\b/

/** A request handler that answers cached tiles and returns true, or returns false to let Fastify answer. */
export function cachedTiles(ctx: AppContext): ((req: IncomingMessage, res: ServerResponse) => boolean) | null {
  // Reads behind a token, and a log line per request, are the route's to do.
  if (ctx.config.readRequiresToken || ctx.config.logRequests) return null
  return (req, res) => {
    if (req.method !== 'GET' || req.headers.authorization !== undefined) return false
    const m = TILE_URL.exec(req.url ?? '')
    if (!m || !GZIP.test(req.headers['accept-encoding'] ?? '') || databaseOutage()) return false
    const city = m[1] ? ctx.cities.peek(m[1]) : ctx.cities.peekDefault()
    if (!city) return false
    const [z, x, y] = [Number(m[4]), Number(m[5]), Number(m[6])]
    const hit = ctx.tiles.cached(city.code, Number(m[2]), m[3] as TileLayer, z, x, y, m[7] || null)
    if (!hit) return false
    const status = req.headers['if-none-match'] === hit.etag ? 304 : hit.body ? 200 : 204
    // (a flat list of names and values: Node writes it as it is, without building a header object)
    const head = ['x-content-type-options', 'nosniff', 'etag', hit.etag, 'cache-control', TILE_CACHE_CONTROL]
    head.push('vary', 'accept-encoding')
    if (status === 200)
      head.push('content-type', TILE_TYPE, 'content-encoding', 'gzip', 'content-length', String(hit.body!.length))
    res.writeHead(status, head)
    res.end(status === 200 ? hit.body : undefined)
    return true
  }
}
