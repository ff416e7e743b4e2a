// Which buildings are within a radius of a set of facilities. Buildings are points (inside their
// footprints); facilities are points or polygons, reached at their nearest edge. A spatial index over
// the buildings is queried once per facility, so the cost follows the number of covered pairs, not
// buildings × facilities.
import type KDBush from 'kdbush'
import { pointPolygonDistance, type BBox, type MultiPoly } from './geom.ts'

/** Distances within this of the radius count as inside: it absorbs projection round-off (≪ 1 cm). */
export const RADIUS_TOLERANCE_M = 0.01

export interface Site {
  x: number
  y: number
  geom?: MultiPoly
  bbox?: BBox
}

export interface PointSet {
  index: KDBush
  ids: Int32Array
  x: Float64Array
  y: Float64Array
}

/** Marks out[ids[k]] = 1 for every indexed point within `radius` of any site. */
export function markCovered(points: PointSet, sites: Site[], radius: number, out: Uint8Array): void {
  const r = radius + RADIUS_TOLERANCE_M
  for (const s of sites) {
    if (!s.geom) {
      for (const k of points.index.within(s.x, s.y, r)) out[points.ids[k]] = 1
      continue
    }
    const b = s.bbox!
    for (const k of points.index.range(b[0] - r, b[1] - r, b[2] + r, b[3] + r)) {
      const id = points.ids[k]
      if (out[id]) continue
      if (pointPolygonDistance(points.x[k], points.y[k], s.geom) <= r) out[id] = 1
    }
  }
}
