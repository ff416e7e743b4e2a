// API tokens. Two sources: the environment (CITYCHECK_ADMIN_TOKEN, and the older
// CITYCHECK_UPLOAD_TOKENS="name:token,…"; both are admins of every city, so a deployment has a
// first admin without a database step), and the api_tokens table (`npm run token -- create <name>
// --role uploader --city 320100`; only the SHA-256 of a token is stored).
import crypto from 'node:crypto'
import type { Knex } from 'knex'
import { AppError } from '../errors.ts'
import { ROLES, isRole, type Principal, type Role } from './roles.ts'

export const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex')

export function newToken(): string {
  return `cc_${crypto.randomBytes(24).toString('base64url')}`
}

export interface TokenSpec {
  name: string
  role: Role
  /** 6-digit city codes; empty or absent = every city */
  cities?: string[]
  /** 责任单位 a reporter reports for (its figures and its 整改 list); absent = not tied to one */
  department?: string | null
}

export function checkTokenSpec(spec: {
  name?: unknown
  role?: unknown
  cities?: unknown
  department?: unknown
}): TokenSpec {
  const name = typeof spec.name === 'string' ? spec.name.trim() : ''
  if (!name || name.length > 100 || /[\u0000-\u001f]/.test(name)) {
    throw new AppError('CC_OPTION_INVALID', {
      option: 'name',
      field: 'name',
      reason: '应为 1–100 个字符的名称 / must be a name of 1–100 characters',
    })
  }
  if (!isRole(spec.role)) throw new AppError('CC_ROLE_UNKNOWN', { role: String(spec.role), roles: ROLES.join(', ') })
  const cities = spec.cities === undefined || spec.cities === null ? [] : spec.cities
  if (!Array.isArray(cities) || cities.some((c) => typeof c !== 'string' || !/^[1-9]\d{5}$/.test(c))) {
    throw new AppError('CC_OPTION_INVALID', {
      option: 'cities',
      field: 'cities',
      reason: '应为 6 位城市代码的列表 / must be a list of 6-digit city codes',
    })
  }
  const dept = spec.department == null ? null : typeof spec.department === 'string' ? spec.department.trim() : ''
  if (dept !== null && (!dept || dept.length > 100 || /[\u0000-\u001f]/.test(dept)))
    throw new AppError('CC_OPTION_INVALID', {
      option: 'department',
      field: 'department',
      reason: '应为 1–100 个字符的单位名称 / must be a department name of 1–100 characters',
    })
  return { name, role: spec.role, cities: cities as string[], department: dept }
}

export async function createToken(knex: Knex, spec: TokenSpec | string): Promise<string> {
  const s = typeof spec === 'string' ? { name: spec, role: 'uploader' as Role } : spec
  const token = newToken()
  await knex('api_tokens').insert({
    name: s.name,
    role: s.role,
    cities: s.cities?.length ? s.cities : null,
    department: s.department ?? null,
    token_sha256: sha256(token),
  })
  return token
}

export async function revokeToken(knex: Knex, name: string): Promise<number> {
  forgetTokens()
  return knex('api_tokens').where({ name }).whereNull('revoked_at').update({ revoked_at: knex.fn.now() })
}

export async function listTokens(knex: Knex) {
  return knex('api_tokens')
    .select('id', 'name', 'role', 'cities', 'department', 'created_at', 'revoked_at')
    .orderBy('id')
}

/** The bearer token of an Authorization header, or undefined when there is none. */
export function bearer(header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  const m = header.match(/^Bearer\s+(\S+)\s*$/i)
  if (!m) throw new AppError('CC_AUTH_REQUIRED')
  return m[1]
}

// Lookups are cached briefly: tiles ask on every request, and a revocation must still bite within seconds.
const cache = new Map<string, { p: Principal | null; at: number }>()
const CACHE_MS = 5000

/** Who a token belongs to, or a 401/403 AppError. */
export async function authenticate(
  knex: Knex,
  envTokens: Map<string, string>,
  header: string | undefined,
): Promise<Principal> {
  const token = bearer(header)
  if (!token) throw new AppError('CC_AUTH_REQUIRED')
  for (const [t, name] of envTokens) {
    if (t.length === token.length && crypto.timingSafeEqual(Buffer.from(t), Buffer.from(token)))
      return { name, role: 'admin', cities: null }
  }
  const hash = sha256(token)
  const hit = cache.get(hash)
  let p: Principal | null
  if (hit && Date.now() - hit.at < CACHE_MS) p = hit.p
  else {
    const row = await knex('api_tokens')
      .where({ token_sha256: hash })
      .whereNull('revoked_at')
      .first('name', 'role', 'cities', 'department')
    p = row
      ? {
          name: row.name,
          role: row.role,
          cities: row.cities?.length ? row.cities : null,
          department: row.department ?? null,
        }
      : null
    if (cache.size > 10_000) cache.clear()
    cache.set(hash, { p, at: Date.now() })
  }
  if (!p) throw new AppError('CC_AUTH_INVALID')
  return p
}

/** Forget cached lookups (after a revocation in this process). */
export function forgetTokens(): void {
  cache.clear()
}
