import type { FastifyInstance } from 'fastify'
import type { AppContext } from '../context.ts'
import { AppError } from '../errors.ts'
import { checkLayer, checkYear } from '../import/pipeline.ts'
import { LAYERS, LAYER_NAMES } from './definitions.ts'
import { FACILITY_TYPES } from './facility-types.ts'
import { formats } from '../import/readers/gdal.ts'
import { generationOf } from '../db/cityyear.ts'
import { cachedReply, sendReply } from '../indicators/runcache.ts'
import { layerGeoJson, listLayers, listVersions, listYears, restoreVersion, resolveVersion } from './store.ts'

const yearLayer = {
  type: 'object',
  properties: { year: { type: 'integer' }, layer: { type: 'string', enum: LAYER_NAMES } },
  required: ['year', 'layer'],
}

function parseBbox(raw: string | undefined): [number, number, number, number] | undefined {
  if (!raw) return undefined
  const v = raw.split(',').map(Number)
  if (v.length !== 4 || v.some((n) => !Number.isFinite(n)) || v[0] > v[2] || v[1] > v[3]) {
    throw new AppError('CC_BAD_REQUEST', {
      reason: 'bbox 应为 minLon,minLat,maxLon,maxLat / bbox must be minLon,minLat,maxLon,maxLat',
      field: 'bbox',
    })
  }
  return v as [number, number, number, number]
}

/** Vocabularies that belong to no city. */
export async function layerVocabularyRoutes(app: FastifyInstance) {
  app.get(
    '/api/layers',
    {
      config: { public: true },
      schema: { summary: '图层定义与字段别名 / Layer definitions and recognised field names', tags: ['layers'] },
    },
    async () => ({ layers: LAYERS }),
  )
  app.get(
    '/api/formats',
    {
      config: { public: true },
      schema: {
        summary:
          '可上传的文件格式及其读取方式（含 GDAL 是否可用）/ Upload formats and their readers (and whether GDAL is there)',
        tags: ['layers'],
      },
    },
    async () => formats(),
  )
  app.get(
    '/api/facility-types',
    { config: { public: true }, schema: { summary: '设施类型词表 / Facility type vocabulary', tags: ['layers'] } },
    async () => ({ types: FACILITY_TYPES }),
  )
}

export default async function layerRoutes(app: FastifyInstance, ctx: AppContext) {
  const { knex } = ctx.db

  app.get('/years', { schema: { summary: '有数据的体检年度 / Years with data', tags: ['layers'] } }, async (req) => ({
    years: await listYears(knex, req.city.code),
  }))

  app.get(
    '/years/:year/layers',
    {
      schema: {
        summary: '年度各图层的当前版本 / Current version of each layer in a year',
        tags: ['layers'],
        params: { type: 'object', properties: { year: { type: 'integer' } } },
      },
    },
    async (req) => {
      const { year } = req.params as { year: number }
      return { year: checkYear(year), layers: await listLayers(knex, req.city.code, year) }
    },
  )

  app.get(
    '/years/:year/layers/:layer',
    {
      schema: {
        summary: '以 GeoJSON 读取图层 / Read a layer as GeoJSON',
        tags: ['layers'],
        params: yearLayer,
        querystring: {
          type: 'object',
          properties: {
            bbox: { type: 'string', description: 'minLon,minLat,maxLon,maxLat (CGCS2000)' },
            limit: { type: 'integer', default: 10000, minimum: 1, maximum: 100000 },
            offset: { type: 'integer', default: 0, minimum: 0, maximum: 2147483647 },
            geometry: {
              type: 'string',
              enum: ['full', 'bbox'],
              default: 'full',
              description: '`bbox`: each feature’s extent as its `bbox`, no geometry (lists, labels, search)',
            },
          },
        },
      },
    },
    async (req, reply) => {
      const { year, layer } = req.params as { year: number; layer: string }
      const q = req.query as { bbox?: string; limit: number; offset: number; geometry: 'full' | 'bbox' }
      const city = req.city.code
      const read = () =>
        layerGeoJson(knex, city, checkYear(year), checkLayer(layer), {
          bbox: parseBbox(q.bbox),
          limit: q.limit,
          offset: q.offset,
          geometry: q.geometry,
        })
      // The unit lists every map page loads: kept serialised for this generation of the city-year.
      if (q.geometry === 'bbox') {
        const key = `layer|${city}|${checkYear(year)}|${generationOf(city, year)}|${layer}|${JSON.stringify(q)}`
        return sendReply(req, reply, await cachedReply(key, read))
      }
      return read()
    },
  )

  app.get(
    '/years/:year/layers/:layer/versions',
    {
      schema: { summary: '图层版本历史 / Version history of a layer', tags: ['layers'], params: yearLayer },
    },
    async (req) => {
      const { year, layer } = req.params as { year: number; layer: string }
      checkLayer(layer)
      return { year: checkYear(year), layer, versions: await listVersions(knex, req.city.code, year, layer) }
    },
  )

  app.post(
    '/years/:year/layers/:layer/versions/:version/restore',
    {
      config: { right: 'layers:write' },
      schema: {
        summary: '恢复（或从其他年度沿用）某个版本 / Restore a version (or carry one forward from another year)',
        tags: ['layers'],
        security: [{ bearer: [] }],
        params: {
          type: 'object',
          properties: {
            year: { type: 'integer' },
            layer: { type: 'string', enum: LAYER_NAMES },
            version: {
              type: 'string',
              maxLength: 20,
              description: '`v3`: the layer’s third version (in `fromYear`, default this year); `57`: the upload id',
            },
          },
          required: ['year', 'layer', 'version'],
        },
        querystring: {
          type: 'object',
          properties: { fromYear: { type: 'integer', description: '`v…` counts the versions of this year' } },
        },
      },
    },
    async (req) => {
      const { year, layer, version } = req.params as { year: number; layer: string; version: string }
      checkYear(year)
      checkLayer(layer)
      const from = (req.query as { fromYear?: number }).fromYear
      const id = await resolveVersion(knex, req.city.code, layer, version, from === undefined ? year : checkYear(from))
      return restoreVersion(ctx.db, req.city.code, year, layer, id, req.principal!.name, version)
    },
  )
}
