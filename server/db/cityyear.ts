// Small facts of a city-year that nearly every read needs (its latest run, its year settings, its
// current layer versions), kept in each process for 30 s at most and dropped at once by every change
// notice, so a process is never behind a change it has heard of, and never more than 30 s behind one
// it missed. The event bus (events.ts) calls forgetCityYear for every change, local or announced.
const TTL_MS = 30_000
const entries = new Map<string, { at: number; value: Promise<unknown> }>()

export function cityYearCached<T>(kind: string, city: string, year: number, load: () => PromiseLike<T>): Promise<T> {
  const k = `${city}|${year}|${kind}`
  const hit = entries.get(k)
  if (hit && Date.now() - hit.at < TTL_MS) return hit.value as Promise<T>
  // A promise, not the query builder: awaiting a knex builder runs its query again each time.
  const value = Promise.resolve(load())
  value.catch(() => entries.delete(k))
  if (entries.size > 5000) entries.clear()
  entries.set(k, { at: Date.now(), value })
  return value
}

// Generations name what a city-year was when a reply was cached (server/indicators/runcache.ts):
// every forget starts a new one, so a cached reply of an older generation is never served again.
let epoch = 0
const generations = new Map<string, number>()
const bump = (k: string) => generations.set(k, (generations.get(k) ?? 0) + 1)

/** The city-year's generation, with the 30 s period: part of the key of anything cached for it. */
export function generationOf(city: string, year: number): string {
  const period = Math.floor(Date.now() / TTL_MS)
  return `${epoch}.${generations.get(city) ?? 0}.${generations.get(`${city}|${year}`) ?? 0}.${period}`
}

/** Drops what is kept of a city-year (year null: every year of the city; city '*': everything). */
export function forgetCityYear(city: string, year: number | null) {
  if (city === '*') epoch++
  else bump(year === null ? city : `${city}|${year}`)
  for (const k of entries.keys())
    if (city === '*' || k.startsWith(year === null ? `${city}|` : `${city}|${year}|`)) entries.delete(k)
}
