import request from 'supertest'
import type { FastifyInstance } from 'fastify'
import { AUTH } from './app.ts'
import { CRS, LOAD_ORDER, fixture } from './city-fixture.ts'

/** POSTs a file (and optional form fields) to the upload endpoint, as a browser or curl would. */
export function upload(
  app: FastifyInstance,
  year: number,
  layer: string,
  file: Buffer,
  name: string,
  fields: Record<string, string | object> = {},
  headers: Record<string, string> = AUTH,
) {
  let r = request(app.server).post(`/api/years/${year}/layers/${layer}`).set(headers)
  for (const [k, v] of Object.entries(fields)) r = r.field(k, typeof v === 'string' ? v : JSON.stringify(v))
  return r.attach('file', file, name)
}

export const get = (app: FastifyInstance, url: string) => request(app.server).get(url)

/** Starts the year's indicator run and waits for it (failing the test if it fails or takes over 20 s). */
export async function compute(app: FastifyInstance, year: number) {
  const res = await request(app.server).post(`/api/years/${year}/indicators/compute`).set(AUTH)
  if (res.status !== 202) throw new Error(`compute ${year}: ${res.status} ${JSON.stringify(res.body)}`)
  for (let i = 0; i < 400; i++) {
    const j = await get(app, res.body.status).set(AUTH) // (the token too: reading may be closed)
    if (j.body.state === 'succeeded') return j.body
    if (j.body.state === 'failed') throw new Error(JSON.stringify(j.body.error))
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error('job did not finish')
}

/**
 * The hand-worked fixture city uploaded for `year` (each layer must be accepted), its indicators
 * computed, and the app listening: resolves to its base URL, for tests that open pages.
 */
export async function serveFixtureCity(app: FastifyInstance, layers: Record<string, Buffer> = fixture, year = 2025) {
  for (const layer of LOAD_ORDER) {
    const r = await upload(app, year, layer, layers[layer], `${layer}.geojson`, CRS)
    if (r.status !== 201) throw new Error(`upload ${layer}: ${r.status} ${JSON.stringify(r.body)}`)
  }
  await compute(app, year)
  await app.listen({ port: 0, host: '127.0.0.1' })
  return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
}
