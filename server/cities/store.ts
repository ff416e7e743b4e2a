// Cities, the tenants. Each city has a 6-digit 行政区划代码, a name and optionally its local
// Gauss-Kruger zone; all its data hangs off that code. The registry caches the list in each process
// and forgets it when any process announces a change (server/db/events.ts).
import type { Knex } from 'knex'
import type { Database } from '../db/engine.ts'
import { AppError } from '../errors.ts'
import { LAYERS } from '../layers/definitions.ts'

export interface City {
  code: string
  name: string
  nameEn: string | null
  /** EPSG of the city's CGCS2000 3° Gauss-Kruger zone, or null: taken from the data's extent */
  zone: number | null
  createdAt: string
}

export const CITY_CODE = /^[1-9]\d{5}$/

export function checkCityCode(code: unknown): string {
  const c = String(code ?? '')
  if (!CITY_CODE.test(c)) throw new AppError('CC_CITY_INVALID', { city: c.slice(0, 40) })
  return c
}

/** The province (省级) code a city code belongs to: its first two digits. */
export const provinceOf = (city: string) => `${city.slice(0, 2)}0000`

const toCity = (r: Record<string, any>): City => ({
  code: r.code,
  name: r.name,
  nameEn: r.name_en ?? null,
  zone: r.zone ?? null,
  createdAt: r.created_at,
})

export async function listCities(knex: Knex): Promise<City[]> {
  return (await knex('cities').orderBy('code')).map(toCity)
}

export interface NewCity {
  code: string
  name: string
  nameEn?: string | null
  zone?: number | null
}

export function checkNewCity(body: { code?: unknown; name?: unknown; nameEn?: unknown; zone?: unknown }): NewCity {
  const code = checkCityCode(body.code)
  const name = typeof body.name === 'string' ? body.name.trim() : ''
  if (!name || name.length > 100 || /[\u0000-\u001f<>]/.test(name)) {
    throw new AppError('CC_OPTION_INVALID', {
      option: 'name',
      field: 'name',
      reason:
        '城市名称应为 1–100 个字符，不含 < > 与控制字符 / a city name is 1–100 characters without < > or control characters',
    })
  }
  const zone =
    body.zone === undefined || body.zone === null || body.zone === ''
      ? null
      : Number(String(body.zone).replace(/^EPSG:/i, ''))
  if (zone !== null && !(Number.isInteger(zone) && zone >= 4513 && zone <= 4554)) {
    throw new AppError('CC_OPTION_INVALID', {
      option: 'zone',
      field: 'zone',
      reason: '应为 CGCS2000 高斯-克吕格投影 EPSG:4513–4554 / must be a CGCS2000 Gauss-Kruger EPSG code 4513–4554',
    })
  }
  const nameEn = typeof body.nameEn === 'string' && body.nameEn.trim() ? body.nameEn.trim().slice(0, 100) : null
  return { code, name, nameEn, zone }
}

export async function addCity(db: Database, c: NewCity, by: string): Promise<City> {
  const exists = await db.knex('cities').where({ code: c.code }).first('code')
  if (exists) throw new AppError('CC_CITY_EXISTS', { city: c.code })
  const [row] = await db
    .knex('cities')
    .insert({ code: c.code, name: c.name, name_en: c.nameEn ?? null, zone: c.zone ?? null, created_by: by })
    .returning('*')
  await db.events.changed(c.code, null)
  return toCity(row)
}

/** Drops a city and everything it holds: its layer partitions, then (by cascade) every row. */
export async function dropCity(db: Database, code: string): Promise<{ city: string; uploads: number }> {
  const { knex } = db
  const city = await knex('cities').where({ code }).first('code')
  if (!city) throw new AppError('CC_CITY_UNKNOWN', { city: code })
  const uploads = await knex('uploads').where({ city: code }).select('id', 'layer')
  await knex.transaction(async (trx) => {
    for (const u of uploads) {
      const def = LAYERS.find((l) => l.layer === u.layer)
      if (def) await trx.raw(`DROP TABLE IF EXISTS ${def.table}_u${Number(u.id)}`)
    }
    await trx('cities').where({ code }).delete()
  })
  await db.events.changed(code, null)
  return { city: code, uploads: uploads.length }
}

/**
 * The cities in this process, cached; which one the legacy routes (/api/years/…) act on.
 * The default is CITYCHECK_DEFAULT_CITY, else the only city; with several and no setting the
 * legacy routes ask the caller to name one.
 */
export class CityRegistry {
  private cities: Promise<Map<string, City>> | null = null
  /** The same list once it has arrived, for answers that need no wait. */
  private loaded: Map<string, City> | null = null
  private at = 0
  private unsubscribe: () => void

  constructor(
    private db: Database,
    private defaultCode: string | undefined,
  ) {
    this.unsubscribe = db.events.on(() => {
      this.cities = null
      this.loaded = null
    })
  }

  private all(): Promise<Map<string, City>> {
    // The notice drops the cache at once; the 30 s age only bounds a notice lost in a reconnect.
    if (!this.cities || Date.now() - this.at > 30_000) {
      this.at = Date.now()
      this.loaded = null
      const p = listCities(this.db.knex).then((l) => {
        const m = new Map(l.map((c) => [c.code, c]))
        if (this.cities === p) this.loaded = m
        return m
      })
      p.catch(() => {
        if (this.cities === p) this.cities = null
      })
      this.cities = p
    }
    return this.cities
  }

  /** The city, when the list is loaded and fresh (else undefined: ask `get`). */
  peek(code: string): City | undefined {
    return this.loaded && Date.now() - this.at <= 30_000 ? this.loaded.get(code) : undefined
  }

  /** The default city, when the list is loaded and fresh and it is unambiguous (else ask `defaultCity`). */
  peekDefault(): City | undefined {
    const all = this.loaded && Date.now() - this.at <= 30_000 ? this.loaded : null
    if (!all) return undefined
    if (this.defaultCode) return all.get(this.defaultCode)
    return all.size === 1 ? all.values().next().value : undefined
  }

  async list(): Promise<City[]> {
    return [...(await this.all()).values()]
  }

  async get(code: string): Promise<City> {
    checkCityCode(code)
    const c = (await this.all()).get(code)
    if (!c) throw new AppError('CC_CITY_UNKNOWN', { city: code })
    return c
  }

  /** The city the routes without a city in their path act on. */
  async defaultCity(): Promise<City> {
    const all = await this.all()
    if (this.defaultCode) {
      const c = all.get(this.defaultCode)
      if (!c) throw new AppError('CC_CITY_UNKNOWN', { city: this.defaultCode })
      return c
    }
    if (all.size === 1) return all.values().next().value!
    if (all.size === 0) throw new AppError('CC_NO_CITY')
    throw new AppError('CC_CITY_AMBIGUOUS')
  }

  close() {
    this.unsubscribe()
  }
}
