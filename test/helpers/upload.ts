import request from 'supertest'
import type { FastifyInstance } from 'fastify'
import { AUTH } from './app.ts'

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
