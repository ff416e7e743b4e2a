import type { FastifyInstance } from 'fastify'
import type { AppContext } from '../context.ts'
import { AppError, message } from '../errors.ts'
import { formDoc } from '../multipart.ts'
import { LAYER_NAMES } from '../layers/definitions.ts'
import { beginUpload, checkLayer, checkYear, importFraction, importLayer } from './pipeline.ts'
import { storeUploadBytes } from './spool.ts'
import type { ImportOptions } from './normalise.ts'

/** A file name as it may be stored and shown: no path, no control characters, at most 200 characters. */
export function cleanName(name: string | undefined): string {
  const base =
    String(name ?? 'upload')
      .split(/[\\/]/)
      .pop() || 'upload'
  return base.replace(/[\u0000-\u001f\u007f]/g, '_').slice(0, 200)
}

function jsonOption(name: string, raw: string | undefined): Record<string, string> | undefined {
  if (raw === undefined || raw.trim() === '') return undefined
  let v: unknown
  try {
    v = JSON.parse(raw)
  } catch (e) {
    throw new AppError('CC_OPTION_INVALID', {
      option: name,
      field: name,
      reason: `不是有效的 JSON：${(e as Error).message} / not valid JSON`,
    })
  }
  if (!v || typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
    throw new AppError('CC_OPTION_INVALID', {
      option: name,
      field: name,
      reason: '应为 {"名称": "字段"} 形式的对象 / must be an object of strings',
    })
  }
  return v as Record<string, string>
}

export default async function importRoutes(app: FastifyInstance, ctx: AppContext) {
  app.post(
    '/years/:year/layers/:layer',
    {
      config: { right: 'layers:write' },
      schema: {
        summary: '上传图层 / Upload a layer',
        ...formDoc({
          gpkgLayer: 'GeoPackage/File Geodatabase 中的图层名 / the layer of a dataset holding several',
          crs: '坐标系，如 EPSG:4548、GCJ02、BD09 / CRS of the coordinates',
          encoding: '文本编码，如 GBK / text encoding',
          fields: 'JSON：标准字段 → 文件中的字段名 / JSON: canonical field → attribute name',
          types: 'JSON：设施类型值 → 标准类型 / JSON: facility type value → canonical type',
          onInvalid: 'reject | repair',
        }),
        description:
          'multipart/form-data: `file` (GeoJSON, zipped Shapefile, GeoPackage, CSV or XLSX with lon/lat or WKT columns — jobs and commuting OD may name a 社区/街道 code instead —, or where GDAL is installed a zipped File Geodatabase, zipped MapInfo, KML/KMZ or GML), `gpkgLayer` (the layer of a GeoPackage or geodatabase that holds several) and optional `crs` (e.g. EPSG:4548, GCJ02, BD09), `encoding` (e.g. GBK), `fields` (JSON: canonical name → attribute name), `types` (JSON: facility type value → canonical type), `onInvalid` (`reject` | `repair`). Replaces the layer for that year in one transaction; the previous version is kept and can be restored. Files up to CITYCHECK_INLINE_UPLOAD_MB (32) are imported in the request (201, the result); larger ones are queued (202, a job to poll at `status`).',
        tags: ['import'],
        params: {
          type: 'object',
          properties: { year: { type: 'integer' }, layer: { type: 'string', enum: LAYER_NAMES } },
          required: ['year', 'layer'],
        },
        security: [{ bearer: [] }],
        consumes: ['multipart/form-data'],
      },
    },
    async (req, reply) => {
      const { year, layer } = req.params as { year: number; layer: string }
      checkYear(year)
      checkLayer(layer)
      const uploader = req.principal!.name
      const city = req.city.code
      if (!req.isMultipart()) throw new AppError('CC_NO_FILE')
      const fields: Record<string, string> = {}
      let file: { name: string; buffer: Buffer } | undefined
      let partName: string | undefined
      try {
        for await (const part of req.parts({ limits: { fileSize: ctx.config.maxUploadBytes, files: 4 } })) {
          if (part.type === 'file' && part.fieldname === 'file') {
            partName = cleanName(part.filename || 'upload')
            try {
              file = { name: cleanName(part.filename || 'upload'), buffer: await part.toBuffer() }
            } catch (e) {
              if ((e as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
                throw new AppError('CC_UPLOAD_TOO_LARGE', {
                  file: cleanName(part.filename),
                  limitMb: Math.round(ctx.config.maxUploadBytes / 1048576),
                })
              }
              throw e
            }
          } else if (part.type === 'file') {
            // An option sent as a file part (curl -F 'fields=@map.json;type=application/json'): read it as text.
            const b = await part.toBuffer()
            if (b.length > 64 * 1024)
              throw new AppError('CC_OPTION_INVALID', {
                option: part.fieldname,
                field: part.fieldname,
                reason: '超过 64 KB / over 64 KB',
              })
            fields[part.fieldname] = b.toString('utf8')
          } else {
            if (part.valueTruncated)
              throw new AppError('CC_OPTION_INVALID', {
                option: part.fieldname,
                field: part.fieldname,
                reason: '超过 64 KB / over 64 KB',
              })
            fields[part.fieldname] = String(part.value)
          }
          if (part.fieldname !== 'file' && /[\u0000-\u001f]/.test(fields[part.fieldname] ?? '')) {
            throw new AppError('CC_OPTION_INVALID', {
              option: part.fieldname,
              field: part.fieldname,
              reason: '含有控制字符 / contains control characters',
            })
          }
        }
      } catch (e) {
        // Cut off in transfer, too large, or a refused option: still an attempt, so it is in the log.
        const err =
          e instanceof AppError
            ? e.toJSON().error
            : {
                code: 'CC_MULTIPART_INVALID',
                message: message('CC_MULTIPART_INVALID', { reason: (e as Error).message }),
              }
        await ctx.db
          .knex('uploads')
          .insert({
            city,
            year,
            layer,
            status: 'failed',
            uploader,
            file_name: partName ?? null,
            options: '{}',
            error: JSON.stringify(err),
            finished_at: ctx.db.knex.fn.now(),
          })
          .catch(() => {})
        throw e
      }
      if (!file) throw new AppError('CC_NO_FILE')
      const onInvalid = fields.onInvalid ?? fields.invalid
      if (onInvalid !== undefined && onInvalid !== 'reject' && onInvalid !== 'repair') {
        throw new AppError('CC_OPTION_INVALID', {
          option: 'onInvalid',
          field: 'onInvalid',
          reason: '应为 reject 或 repair / must be reject or repair',
        })
      }
      const options: ImportOptions = {
        crs: fields.crs || undefined,
        encoding: fields.encoding || undefined,
        layer: fields.gpkgLayer || undefined,
        fields: jsonOption('fields', fields.fields),
        types: jsonOption('types', fields.types),
        onInvalid: onInvalid as ImportOptions['onInvalid'],
      }
      const request = { city, year, layer, fileName: file.name, uploader, options }
      if (file.buffer.length <= ctx.config.inlineUploadBytes) {
        const { result } = await ctx.queue.runHere(
          'import',
          { city, year, by: uploader, payload: { layer, fileName: file.name } },
          (job) =>
            importLayer(ctx.db, { ...request, buffer: file!.buffer, jobId: job.id }, ctx.config, (stage, done, total) =>
              job.progress(importFraction(stage, done, total), stage, { stage, rows: done, total }),
            ),
        )
        reply.code(201)
        return result
      }
      // Queued: the bytes go to the database (any worker may take the job), then a job refers to them.
      const uploadId = await beginUpload(ctx.db.knex, { ...request, bytes: file.buffer.length }, 'queued')
      await storeUploadBytes(ctx.db.knex, uploadId, file.buffer)
      const job = await ctx.queue.enqueue('import', {
        city,
        year,
        by: uploader,
        payload: { uploadId, layer, fileName: file.name, options },
      })
      await ctx.db.knex('uploads').where({ id: uploadId }).update({ job_id: job.id })
      reply.code(202)
      return { jobId: job.id, uploadId, status: `/api/cities/${city}/jobs/${job.id}` }
    },
  )

  app.get(
    '/uploads',
    {
      schema: {
        summary: '上传记录 / Upload log (every attempt, failed ones too)',
        tags: ['import'],
        querystring: {
          type: 'object',
          properties: {
            year: { type: 'integer' },
            layer: { type: 'string' },
            limit: { type: 'integer', default: 100, maximum: 1000 },
          },
        },
      },
    },
    async (req) => {
      const q = req.query as { year?: number; layer?: string; limit: number }
      const rows = await ctx.db
        .knex('uploads')
        .where('city', req.city.code)
        .modify((b) => {
          if (q.year) b.where('year', q.year)
          if (q.layer) b.where('layer', q.layer)
        })
        .orderBy('id', 'desc')
        .limit(q.limit)
        .select(
          'id',
          'year',
          'layer',
          'status',
          'uploader',
          'file_name',
          'file_bytes',
          'format',
          'crs',
          'encoding',
          'feature_count',
          'warnings',
          'error',
          'duration_ms',
          'created_at',
          'finished_at',
        )
      return { uploads: rows }
    },
  )
}
