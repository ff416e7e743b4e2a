// Coverage, green reach, life circles and 完整社区 under the walking-network distance model, beside
// the straight-line ones: the same sites and radii, the distance walked along the network (access
// legs included). Results carry the variant suffix `@network` and say how many homes are off it.
import type { IndicatorDef } from '../indicators/registry.ts'
import { type CityModel, hasNetwork, settleNetwork } from '../indicators/model.ts'
import { type ColumnSet, Sums, networkRequests } from '../indicators/compute.ts'
import type { Worker } from 'node:worker_threads'
import { WALK_SPEED_SOURCE, networkWorker, releaseWorker } from './load.ts'
import type { Flags, FlagsRequest } from './flags.ts'

export const NETWORK_MODEL =
  '步行网络距离（米）：沿可步行道路的最短路径，含建筑与设施到最近可步行路段的接入段；面状设施与公园从出入口（如有）或边界 30 米内的路段进入 / walking distance along the network, access legs included'

/** Homes from which a run's walking flags are worth a worker thread. */
export const FLAGS_WORKER_MIN_HOMES = 50_000

/**
 * Starts the walking flags of these indicators in a worker thread, to fill computeSteps' netCache while
 * the main thread computes the straight-line parts: in the worker that joined the model's network and
 * still holds it (a model loaded with `deferNetwork`), else in a new one given a copy of the network
 * (posting it took ~0.35 s of this thread at a million buildings, and the thread ~0.6 s to start). Null
 * below the size where that pays; an empty map should the worker fail, and the main thread then
 * computes the flags itself.
 */
export function networkFlagsAhead(
  m: CityModel,
  defs: IndicatorDef[],
  opts: { worker?: 'auto' | 'always' } = {},
): Promise<Map<string, Flags>> | null {
  const requests = defs.flatMap(networkRequests)
  if (!hasNetwork(m)) return null
  if (!requests.length || (opts.worker !== 'always' && m.residentialPoints.ids.length < FLAGS_WORKER_MIN_HOMES)) {
    // No flags for it: the worker that joined the network is not kept waiting.
    settleNetwork(m).then(
      () => {
        const k = m.takeNetworkWorker?.()
        if (k) releaseWorker(k)
      },
      () => {},
    )
    return null
  }
  // Without a worker to take over, one is started at once: it loads its modules while the network is
  // still being joined.
  const fresh = m.takeNetworkWorker ? null : networkWorker()
  let w: Worker | null = fresh
  // (a worker that answered goes back for the next run; one that failed or ended is ended)
  let answered = false
  const reply = new Promise<Map<string, Flags>>((resolve, reject) => {
    const listen = (worker: Worker) => {
      worker.once('message', (flags: [string, Flags][]) => {
        answered = true
        resolve(new Map(flags))
      })
      worker.once('error', () => resolve(new Map()))
      worker.once('exit', () => resolve(new Map()))
    }
    if (fresh) listen(fresh)
    settleNetwork(m).then((net) => {
      if (!net) return resolve(new Map())
      const own = fresh ? null : m.takeNetworkWorker!()
      w = fresh ?? own ?? networkWorker()
      if (!fresh) listen(w)
      w.ref()
      const request: FlagsRequest = {
        network: own ? null : net,
        requests,
        buildings: m.b.n,
        areas: m.areas.length,
        residentialIds: m.residentialPoints.ids,
        areaIds: m.areaPoints.ids,
        facilities: m.facilities,
        green: m.green,
      }
      w.postMessage({ flags: request })
    }, reject)
  }).finally(() => {
    if (w && answered) releaseWorker(w)
    else void w?.terminate()
  })
  // A network that failed to build fails the run where it awaits this; a run that failed first never does.
  reply.catch(() => {})
  return reply
}

// Homes off the network per unit depend on the model only: counted once per model.
const offByModel = new WeakMap<CityModel, { off: Sums; idx: Map<string, Map<string, number>> }>()
function offNetwork(m: CityModel) {
  let hit = offByModel.get(m)
  if (hit) return hit
  const off = new Sums(m)
  const net = m.network!
  const ids = m.residentialPoints.ids
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k]
    if (net.residential.seg[k] < 0) off.add(m.b.street[id], m.b.community[id], 1, m.b.area[id])
  }
  // Each level's units by code (a map per level: no key string made per row).
  const idx = new Map<string, Map<string, number>>()
  for (const [level, us] of [
    ['district', m.districts],
    ['street', m.streets],
    ['community', m.communities],
    ['area', m.areas],
  ] as const)
    idx.set(level, new Map(us.map((u, i) => [u.code, i])))
  hit = { off, idx }
  offByModel.set(m, hit)
  return hit
}

/** The same sets under the network model: variant `x@network`, with the homes off the network per unit. */
export function asNetworkSets(m: CityModel, sets: ColumnSet[]): ColumnSet[] {
  const { off, idx } = offNetwork(m)
  // A unit's sets share one `extra` (coverageSets' variants): they share its network counterpart too
  // (only the same unit's: an extra two units shared would differ in their homes off the network).
  const made = new Map<Record<string, unknown>, { unit: string; out: Record<string, unknown> }>()
  return sets.map((c) => {
    const codes = idx.get(c.level)
    const extra = c.extra.map((e, i) => {
      const unit = `${c.level}|${c.units.codes[i]}`
      const hit = made.get(e)
      if (hit?.unit === unit) return hit.out
      const offNet = c.level === 'city' ? off.city : off.get(c.level, codes?.get(c.units.codes[i]) ?? -1) || 0
      const out = Object.assign({}, e, { distanceModel: 'network', offNetwork: offNet })
      made.set(e, { unit, out })
      return out
    })
    return { ...c, variant: `${c.variant}@network` as ColumnSet['variant'], extra }
  })
}

export const networkDistanceModel = (walkSpeed: number) =>
  `${NETWORK_MODEL}；${WALK_SPEED_SOURCE.replace('60', String(walkSpeed))}`
