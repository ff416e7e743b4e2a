// The sites (facilities or green spaces) an indicator or item refers to, chosen once per model and
// selection. Pure and free of the database modules: the network's worker thread uses it too.
import type { Site } from './coverage.ts'
import type { CityModel } from './model.ts'

/** Sites (facilities or green spaces) an item or indicator refers to. */
export function sitesFor(
  m: CityModel,
  p: { facilityTypes?: string[]; types?: string[]; greenKinds?: 'park' | 'any'; minArea?: number; maxArea?: number },
): Site[] {
  const types = p.facilityTypes ?? p.types
  // The same selections recur across indicators, levels and both distance models (~60 a run over 75,000
  // facilities at city scale): kept per facility and green list, and handed out as copies. Facilities
  // are chosen by type alone, through a list of each type's facilities made once per model: filtering
  // all 75,000 for each of 37 selections took 1.7 s of a 1M city's run.
  const facilitiesOnly = types && !types.includes('@green')
  const key = JSON.stringify(facilitiesOnly ? [types] : [types, p.greenKinds, p.minArea, p.maxArea])
  let byGreen = selections.get(m.facilities)
  if (!byGreen) selections.set(m.facilities, (byGreen = new WeakMap()))
  let memo = byGreen.get(m.green)
  if (!memo) byGreen.set(m.green, (memo = new Map()))
  let hit = memo.get(key)
  if (!hit) {
    const minArea = p.minArea ?? 0
    hit = facilitiesOnly
      ? facilitiesOfTypes(m.facilities, types)
      : m.green.filter(
          (g) =>
            (p.greenKinds === 'park' ? g.park : true) &&
            g.areaM2 >= minArea &&
            (p.maxArea === undefined || g.areaM2 < p.maxArea),
        )
    memo.set(key, hit)
  }
  return hit.slice()
}

/** The facilities of any of these types, in the list's order (seats are allocated in that order). */
function facilitiesOfTypes<F extends { type: string }>(all: F[], types: string[]): F[] {
  let byType = typeLists.get(all) as Map<string, number[]> | undefined
  if (!byType) {
    byType = new Map()
    for (let i = 0; i < all.length; i++) {
      const list = byType.get(all[i].type)
      if (list) list.push(i)
      else byType.set(all[i].type, [i])
    }
    typeLists.set(all, byType)
  }
  const lists = [...new Set(types)].map((t) => byType.get(t) ?? [])
  const picked = lists.length === 1 ? lists[0] : Int32Array.from(lists.flat()).sort()
  return Array.from(picked, (i) => all[i])
}
const typeLists = new WeakMap<object, Map<string, number[]>>()
const selections = new WeakMap<object, WeakMap<object, Map<string, Site[]>>>()
