// What is derived from one indicator run, kept in memory. A run's results never change once stored,
// so anything keyed by run id (plus the other inputs it depends on) is valid in every process for as
// long as it is kept; nothing needs invalidating, and a new run simply has a new key.
import crypto from 'node:crypto'

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
