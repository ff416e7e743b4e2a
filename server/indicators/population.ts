// Who lives in each building. Where a building's residents are given, they are used. Where they
// are not, the 社区's population (less what its buildings already declare) is shared among its
// remaining residential buildings by floor area. Where the 社区 gives no population either, the
// floor area is divided by a per-capita figure (default 36.5 m², the 2020 census urban per-capita
// housing floor area). Each building records which of the three it got.

export const SOURCE = { none: 0, data: 1, community: 2, estimate: 3 } as const
export const SOURCE_NAMES = ['none', 'data', 'community', 'estimate'] as const

export interface PopulationInput {
  residential: Uint8Array
  /** NaN where not given */
  residents: Float64Array
  floorArea: Float64Array
  /** index into communityPopulation, or -1 */
  community: Int32Array
  /** NaN where the 社区 gives none */
  communityPopulation: Float64Array
  floorAreaPerResident: number
}

export interface PopulationResult {
  residents: Float64Array
  source: Uint8Array
  /** 社区 whose declared population was below what their buildings already declare */
  inconsistentCommunities: number[]
}

export function allocateResidents(p: PopulationInput): PopulationResult {
  const n = p.residential.length
  const residents = new Float64Array(n)
  const source = new Uint8Array(n)
  const nc = p.communityPopulation.length
  const known = new Float64Array(nc)
  const unknownArea = new Float64Array(nc)
  for (let i = 0; i < n; i++) {
    if (!p.residential[i]) continue
    const c = p.community[i]
    if (!Number.isNaN(p.residents[i])) {
      residents[i] = p.residents[i]
      source[i] = SOURCE.data
      if (c >= 0) known[c] += p.residents[i]
    } else if (c >= 0) unknownArea[c] += p.floorArea[i]
  }
  const share = new Float64Array(nc).fill(NaN) // residents per m² of floor area, per 社区
  const inconsistent: number[] = []
  for (let c = 0; c < nc; c++) {
    const pop = p.communityPopulation[c]
    if (Number.isNaN(pop) || unknownArea[c] <= 0) continue
    if (pop < known[c]) {
      inconsistent.push(c)
      continue
    }
    share[c] = (pop - known[c]) / unknownArea[c]
  }
  for (let i = 0; i < n; i++) {
    if (!p.residential[i] || source[i] === SOURCE.data) continue
    const c = p.community[i]
    if (c >= 0 && !Number.isNaN(share[c])) {
      residents[i] = share[c] * p.floorArea[i]
      source[i] = SOURCE.community
    } else {
      residents[i] = p.floorArea[i] / p.floorAreaPerResident
      source[i] = SOURCE.estimate
    }
  }
  return { residents, source, inconsistentCommunities: inconsistent }
}
