// In-process notice that a year's data or results changed, so caches (tiles, maps) drop what they
// hold for that year at once instead of waiting for their key check.
const listeners = new Set<(year: number) => void>()
export function onYearChanged(fn: (year: number) => void): () => void {
  listeners.add(fn)
  return () => listeners.delete(fn)
}
export function yearChanged(year: number): void {
  for (const fn of listeners) fn(year)
}
