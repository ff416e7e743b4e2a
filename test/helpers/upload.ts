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
