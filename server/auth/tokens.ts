// Upload tokens. Two sources: the environment (CITYCHECK_UPLOAD_TOKENS="name:token,…", for a
// deployment to set one without a database step), and the api_tokens table (managed with
// `npm run token -- create <name>`; only the SHA-256 of a token is stored).
import crypto from 'node:crypto'
import type { Knex } from 'knex'
import { AppError } from '../errors.ts'

export const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex')

export function newToken(): string {
  return `cc_${crypto.randomBytes(24).toString('base64url')}`
}

export async function createToken(knex: Knex, name: string): Promise<string> {
  const token = newToken()
  await knex('api_tokens').insert({ name, token_sha256: sha256(token) })
  return token
}

export async function revokeToken(knex: Knex, name: string): Promise<number> {
  return knex('api_tokens').where({ name }).whereNull('revoked_at').update({ revoked_at: knex.fn.now() })
}

/** The uploader's name for an Authorization header, or a 401/403 AppError. */
export async function authenticate(knex: Knex, envTokens: Map<string, string>, header: string | undefined): Promise<string> {
  const m = header?.match(/^Bearer\s+(\S+)\s*$/i)
  if (!m) throw new AppError('CC_AUTH_REQUIRED')
  const token = m[1]
  for (const [t, name] of envTokens) {
    if (t.length === token.length && crypto.timingSafeEqual(Buffer.from(t), Buffer.from(token))) return name
  }
  const row = await knex('api_tokens').where({ token_sha256: sha256(token) }).whereNull('revoked_at').first('name')
  if (!row) throw new AppError('CC_AUTH_INVALID')
  return row.name
}
