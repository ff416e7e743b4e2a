// The walking flags of an indicator's sites: which homes and 小区 are within its walking radius. Pure
// and free of the database modules: the network's worker thread (build-worker.ts) computes a run's
// flags with it while the main thread computes the straight-line indicators.
import type { IndicatorDef } from '../indicators/registry.ts'
import type { CityModel } from '../indicators/model.ts'
import type { networkRequests } from '../indicators/compute.ts'
import { sitesFor } from '../indicators/sites.ts'
import type { Graph } from './graph.ts'
import type { CityNetwork } from './join.ts'
import { markWithin, siteSources } from './reach.ts'

export type Flags = { b: Uint8Array; a: Uint8Array; sites: number }

/** Residential buildings and 小区 within walking reach of an indicator's sites (bands OR-ed). */
export function networkFlags(
  m: CityModel,
  p: IndicatorDef['params'] & { types?: string[] },
  bands: { minArea: number; maxArea?: number; radius: number }[],
  cache: Map<string, Flags>,
): Flags {
  const net = m.network!
  const key = JSON.stringify([p.facilityTypes ?? p.types, p.greenKinds, bands])
  const hit = cache.get(key)
  if (hit) return hit
  const b = new Uint8Array(m.b.n),
    a = new Uint8Array(m.areas.length)
  let scratch = nodeScratch.get(net.graph)
  if (!scratch) nodeScratch.set(net.graph, (scratch = new Float64Array(net.graph.nodes)))
  let sites = 0
  for (const band of bands) {
    const s = sitesFor(m, {
      facilityTypes: p.facilityTypes ?? p.types,
      greenKinds: p.greenKinds,
      minArea: band.minArea,
      maxArea: band.maxArea,
    })
    sites += s.length
    const src = siteSources(net.graph, s, {
      cap: net.settings.accessCapM,
      edgeSnap: net.settings.edgeSnapM,
      gates: net.gates,
    })
    markWithin(
      net.graph,
      [
        { pts: net.residential, ids: m.residentialPoints.ids, out: b },
        { pts: net.areas, ids: m.areaPoints.ids, out: a },
      ],
      src,
      band.radius,
      scratch,
    )
  }
  const out = { b, a, sites }
  cache.set(key, out)
  return out
}

/** Node distances of networkFlags' searches, one array per graph (each search fills it first). */
const nodeScratch = new WeakMap<Graph, Float64Array>()

/** What a worker needs to compute a run's walking flags (build-worker.ts): the network and the sites. */
export interface FlagsRequest {
  /** null: the worker's own, as it joined it (startNetwork's kept worker) */
  network: CityNetwork | null
  requests: ReturnType<typeof networkRequests>
  buildings: number
  areas: number
  residentialIds: Int32Array
  areaIds: Int32Array
  facilities: CityModel['facilities']
  green: CityModel['green']
}
