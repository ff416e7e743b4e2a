// What is derived from one indicator run, kept in memory. A run's results never change once stored,
// so anything keyed by run id (plus the other inputs it depends on) is valid in every process for as
// long as it is kept; nothing needs invalidating, and a new run simply has a new key.
import crypto from 'node:crypto'
import { promisify } from 'node:util'
import zlib from 'node:zlib'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Lru } from '../lru.ts'

const gzip = promisify(zlib.gzip)

const entries = new Map<string, Promise<unknown>>()
const MAX = 32

/** The value for `key`, loaded once; the least recently used entries go beyond MAX. */
export function memo<T>(key: string, load: () => Promise<T>): Promise<T> {
  const hit = entries.get(key)
  if (hit) {
    entries.delete(key)
    entries.set(key, hit)
    return hit as Promise<T>
  }
  const p = load()
  entries.set(key, p)
  p.catch(() => entries.delete(key))
  while (entries.size > MAX) entries.delete(entries.keys().next().value!)
  return p
}

/** A short stable digest of a JSON value (for keys that depend on a year's definitions). */
export const digest = (v: unknown) => crypto.createHash('sha1').update(JSON.stringify(v)).digest('hex').slice(0, 12)

// Replies derived from one run (an indicator per unit, the 问题清单), kept serialised and gzipped: the
// map asks for them at every indicator switch and the JSON of 4,900 社区 takes tens of ms to build and
// stringify. Bounded by bytes, as the replies range from a few hundred bytes to a few MB.
export interface CachedReply {
  json: Buffer
  gz: Buffer
  etag: string
}
const replies = new Lru<Promise<CachedReply>>(64 * 1024 * 1024)

/** The serialised reply for `key` (which must name the run and every other input), built once. */
export function cachedReply(key: string, load: () => Promise<unknown>): Promise<CachedReply> {
  const hit = replies.get(key)
  if (hit) return hit
  const p = (async () => {
    const json = Buffer.from(JSON.stringify(await load()))
    const gz = await gzip(json, { level: 6 })
    const etag = `"r-${crypto.createHash('sha1').update(key).digest('base64url').slice(0, 20)}"`
    return { json, gz, etag }
  })()
  // Counted at 1 KB until built, then at its size; a failure is not kept.
  replies.set(key, p, 1024)
  p.then(
    (r) => replies.get(key) === p && replies.set(key, p, r.json.length + r.gz.length),
    () => replies.dropWhere((k) => k === key),
  )
  return p
}

/** Sends a cached reply: 304 on a matching If-None-Match, gzip where the client takes it. */
export function sendReply(req: FastifyRequest, reply: FastifyReply, r: CachedReply) {
  reply.header('etag', r.etag).header('cache-control', 'no-cache').header('vary', 'accept-encoding')
  if (req.headers['if-none-match'] === r.etag) return reply.code(304).send()
  reply.type('application/json; charset=utf-8')
  if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')))
    return reply.header('content-encoding', 'gzip').send(r.gz)
  return reply.send(r.json)
}
