// A facility's walking service area: the street segments reachable within the indicator's radius
// (partly reached segments cut where the walk ends), the homes reached, and the homes inside the
// straight-line radius that cannot be walked to (直线可达、步行不可达). From the model in memory.
import type { FastifyInstance } from 'fastify'
import proj4 from 'proj4'
import type { AppContext } from '../context.ts'
import { AppError } from '../errors.ts'
import { checkYear } from '../import/pipeline.ts'
import { gaussKrugerEpsg } from '../import/crs.ts'
import { RADIUS_TOLERANCE_M } from '../indicators/coverage.ts'
import { sitesFor } from '../indicators/sites.ts'
import { pointPolygonDistance } from '../indicators/geom.ts'
import { definitions, modelFor, settingsFor, yearConfig } from '../indicators/service.ts'
import { nodeDistances, pointDistances, siteSources } from './reach.ts'
import { NETWORK_MODEL } from './indicators.ts'

export default async function networkRoutes(app: FastifyInstance, ctx: AppContext) {
  const { knex } = ctx.db
  app.get(
    '/years/:year/indicators/:code/service-area',
    {
      schema: {
        summary: '设施的步行服务范围（可达路段与住宅）/ A facility’s walking service area',
        description:
          'The facility of the indicator’s types nearest to lon/lat (within 50 m). Returns GeoJSON: reachable street segments (`kind: segment`), homes reached on foot (`kind: home`), and homes inside the straight-line radius that cannot be walked to (`kind: walk-only`, 直线可达、步行不可达). Needs a roads layer.',
        tags: ['network'],
        params: {
          type: 'object',
          properties: { year: { type: 'integer' }, code: { type: 'string' } },
          required: ['year', 'code'],
        },
        querystring: {
          type: 'object',
          properties: {
            lon: { type: 'number', minimum: 73, maximum: 136 },
            lat: { type: 'number', minimum: 3, maximum: 54 },
          },
          required: ['lon', 'lat'],
        },
      },
    },
    async (req) => {
      const { year: y, code } = req.params as { year: number; code: string }
      const year = checkYear(y)
      const { lon, lat } = req.query as { lon: number; lat: number }
      const def = (await definitions(knex, req.city.code, year)).find((d) => d.code === code)
      if (!def || !def.params.radius || !def.params.facilityTypes)
        throw new AppError('CC_NOT_FOUND', { what: `设施覆盖类指标 ${code} / coverage indicator ${code}` })
      const model = await modelFor(
        knex,
        req.city,
        year,
        settingsFor(ctx.config, await yearConfig(knex, req.city.code, year)),
      )
      const net = model.network
      if (!net)
        throw new AppError('CC_NOT_FOUND', {
          what: `${year} 年度的道路图层（步行网络）/ the ${year} roads layer (walking network)`,
        })
      const zone = proj4('EPSG:4326', gaussKrugerEpsg(model.srid)!.proj!)
      const [px, py] = zone.forward([lon, lat])
      let best = -1,
        bestD = 50
      const sites = sitesFor(model, { facilityTypes: def.params.facilityTypes })
      sites.forEach((s, k) => {
        const d = s.geom ? pointPolygonDistance(px, py, s.geom) : Math.hypot(s.x - px, s.y - py)
        if (d <= bestD) {
          bestD = d
          best = k
        }
      })
      if (best < 0)
        throw new AppError('CC_NOT_FOUND', {
          what: `该位置 50 米内的${def.zh}设施 / a facility of ${code} within 50 m`,
        })
      const site = sites[best]
      const r = def.params.radius + RADIUS_TOLERANCE_M
      const g = net.graph
      const src = siteSources(g, [site], {
        cap: net.settings.accessCapM,
        edgeSnap: net.settings.edgeSnapM,
        gates: net.gates,
      })
      const d = nodeDistances(g, src, r)
      const ll = (x: number, y: number) => zone.inverse([x, y]).map((v) => Math.round(v * 1e7) / 1e7)
      const features: object[] = []
      for (let s = 0; s < g.segA.length; s++) {
        const a = g.segA[s],
          b = g.segB[s]
        if (d[a] > r && d[b] > r) continue
        const len = g.segLen[s]
        const fromA = d[a] <= r ? Math.min(1, (r - d[a]) / len) : 0
        const fromB = d[b] <= r ? Math.min(1, (r - d[b]) / len) : 0
        const at = (t: number) => ll(g.x[a] + t * (g.x[b] - g.x[a]), g.y[a] + t * (g.y[b] - g.y[a]))
        const parts: [number, number][] = fromA + fromB >= 1 ? [[0, 1]] : []
        if (!parts.length) {
          if (fromA > 0) parts.push([0, fromA])
          if (fromB > 0) parts.push([1 - fromB, 1])
        }
        for (const [t0, t1] of parts)
          features.push({
            type: 'Feature',
            geometry: { type: 'LineString', coordinates: [at(t0), at(t1)] },
            properties: { kind: 'segment' },
          })
      }
      const walkD = pointDistances(g, net.residential, src, r)
      const rp = model.residentialPoints
      let reached = 0,
        walkOnly = 0
      for (let k = 0; k < rp.ids.length; k++) {
        const straight = site.geom
          ? pointPolygonDistance(rp.x[k], rp.y[k], site.geom)
          : Math.hypot(rp.x[k] - site.x, rp.y[k] - site.y)
        const walked = walkD[k] <= r
        if (!walked && straight > r) continue
        const kind = walked ? 'home' : 'walk-only'
        if (walked) reached++
        else walkOnly++
        features.push({
          type: 'Feature',
          geometry: { type: 'Point', coordinates: ll(rp.x[k], rp.y[k]) },
          properties: {
            kind,
            fid: model.b.fid[rp.ids[k]],
            walk: Number.isFinite(walkD[k]) ? Math.round(walkD[k]) : null,
            straight: Math.round(straight),
          },
        })
      }
      return {
        type: 'FeatureCollection',
        indicator: code,
        facility: {
          name: (site as { name?: string | null }).name ?? null,
          type: (site as { type?: string }).type,
          lon: ll(site.x, site.y)[0],
          lat: ll(site.x, site.y)[1],
        },
        radius: def.params.radius,
        distanceModel: NETWORK_MODEL,
        homesReached: reached,
        homesWalkOnly: walkOnly,
        features,
      }
    },
  )
}
