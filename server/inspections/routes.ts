// Inspections over HTTP: the year's vocabulary, field records with photos, table imports with their
// match report, a building's file (一栋一档) and the building under a tapped point.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import sharp from 'sharp'
import type { AppContext } from '../context.ts'
import { AppError } from '../errors.ts'
import { checkYear } from '../import/pipeline.ts'
import { formDoc, type Parts, readParts as readAnyParts } from '../multipart.ts'
import { INDICATORS } from '../indicators/registry.ts'
import { currentVersions } from '../indicators/model.ts'
import { ledgerOf } from './ledger.ts'
import { decideImport, importInspections, COLUMNS } from './import.ts'
import { addPhoto, addRecord, checkFindings, findUnit, recordsOf, vocabulary } from './store.ts'
import { readTable } from './table.ts'
import { type InspectionTarget, targetOf } from './vocabulary.ts'

const MAX_PHOTOS = 6
const MAX_PHOTO_BYTES = 10 * 1024 * 1024
/** Photos are stored re-encoded: at most this many pixels on the long side, JPEG. */
const PHOTO_EDGE = 2048

/** Photos over their limit are a CC_PHOTO_TOO_LARGE naming the limit and the count. */
const readParts = (req: FastifyRequest, limits: { fileBytes: number; files: number }) =>
  readAnyParts(req, limits, (field, name) =>
    field === 'photo' || field === 'photos'
      ? new AppError('CC_PHOTO_TOO_LARGE', { file: name, limitMb: limits.fileBytes / 1048576, max: MAX_PHOTOS })
      : undefined,
  )

const yearParam = { type: 'object', properties: { year: { type: 'integer' } }, required: ['year'] }
const TARGET = { type: 'string', enum: ['building', 'area'], default: 'building' }

/** A building or 小区 code from a URL: plain text (PostgreSQL refuses NUL; control characters are never codes). */
function unitCode(name: string, v: unknown): string {
  const s = String(v ?? '')
  if (!s || s.length > 200 || /[\u0000-\u001f\u007f]/.test(s))
    throw new AppError('CC_OPTION_INVALID', {
      option: name,
      field: name,
      reason: '应为 1–200 个字符、不含控制字符的编码 / must be a code of 1–200 characters without control characters',
    })
  return s
}

function target(v: unknown): InspectionTarget {
  if (v === undefined || v === null || v === '') return 'building'
  if (v === 'building' || v === 'area') return v
  throw new AppError('CC_OPTION_INVALID', {
    option: 'target',
    field: 'target',
    reason: '应为 building（住房）或 area（小区）/ must be building or area',
  })
}

function num(name: string, v: unknown, min: number, max: number): number | null {
  if (v === undefined || v === null || v === '') return null
  const n = Number(v)
  if (!Number.isFinite(n) || n < min || n > max)
    throw new AppError('CC_OPTION_INVALID', {
      option: name,
      field: name,
      reason: `应为 ${min}–${max} 的数 / must be a number in ${min}–${max}`,
    })
  return n
}

/** A photo as stored: decoded (so a non-image is refused), rotated upright, shrunk, re-encoded. */
async function photo(file: { name: string; buffer: Buffer }) {
  try {
    const img = sharp(file.buffer, { failOn: 'error', limitInputPixels: 80_000_000 })
      .rotate()
      .resize(PHOTO_EDGE, PHOTO_EDGE, { fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality: 82, mozjpeg: false })
    const { data, info } = await img.toBuffer({ resolveWithObject: true })
    return { mime: 'image/jpeg', width: info.width, height: info.height, bytes: data }
  } catch {
    throw new AppError('CC_PHOTO_INVALID', { file: file.name, field: 'photo' })
  }
}

export default async function inspectionRoutes(app: FastifyInstance, ctx: AppContext) {
  const { knex } = ctx.db
  const base = (req: FastifyRequest) => `/api/cities/${req.city.code}`

  app.get(
    '/years/:year/inspections/vocabulary',
    {
      schema: {
        summary: '检查条目词表（住房与小区）/ The inspection vocabulary (住房 and 小区 items)',
        tags: ['inspections'],
        params: yearParam,
      },
    },
    async (req) => {
      const year = checkYear((req.params as { year: number }).year)
      const items = await vocabulary(knex, req.city.code, year)
      const indicators = INDICATORS.filter((d) => d.kind === 'inspection_count').map((d) => ({
        code: d.code,
        zh: d.zh,
        en: d.en,
        unit: d.unit,
        group: d.group,
        target: targetOf(d.code),
      }))
      return { year, indicators, items, columns: COLUMNS }
    },
  )

  app.post(
    '/years/:year/inspections',
    {
      config: { right: 'inspections:write' },
      schema: {
        summary: '保存一条检查记录（可附照片）/ Save an inspection record (with photos)',
        description:
          'JSON `{target, unit, findings[], note?, dwellings?, lon?, lat?, inspectedAt?}`, or multipart/form-data with the same fields (`findings` as a JSON array) and up to 6 `photo` files (JPEG/PNG/WebP/HEIF, 10 MB each; stored re-encoded, at most 2048 px). A second record of the same building is a new record, never an overwrite.',
        tags: ['inspections'],
        params: yearParam,
        security: [{ bearer: [] }],
        consumes: ['application/json', 'multipart/form-data'],
      },
    },
    async (req, reply) => {
      const year = checkYear((req.params as { year: number }).year)
      const city = req.city.code
      let body: Record<string, unknown>
      let files: Parts['files'] = []
      if (req.isMultipart()) {
        const p = await readParts(req, { fileBytes: MAX_PHOTO_BYTES, files: MAX_PHOTOS })
        files = p.files
        if (files.length > MAX_PHOTOS)
          throw new AppError('CC_PHOTO_TOO_LARGE', { file: files[MAX_PHOTOS].name, limitMb: 10, max: MAX_PHOTOS })
        let findings: unknown = p.fields.findings ?? '[]'
        try {
          findings = JSON.parse(String(findings))
        } catch {
          throw new AppError('CC_OPTION_INVALID', {
            option: 'findings',
            field: 'findings',
            reason: '应为 JSON 数组 / must be a JSON array',
          })
        }
        body = { ...p.fields, findings }
      } else body = (req.body ?? {}) as Record<string, unknown>
      const t = target(body.target)
      const code = unitCode('unit', String(body.unit ?? '').trim())
      const note = body.note == null || body.note === '' ? null : String(body.note)
      if (note && (note.length > 2000 || /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(note)))
        throw new AppError('CC_OPTION_INVALID', {
          option: 'note',
          field: 'note',
          reason: '最多 2000 字，不含控制字符 / at most 2000 characters, no control characters',
        })
      const items = await vocabulary(knex, city, year)
      const findings = checkFindings(items, t, body.findings)
      const unit = await findUnit(knex, city, year, t, code)
      let inspectedAt: string | undefined
      if (body.inspectedAt) {
        const d = new Date(String(body.inspectedAt))
        if (Number.isNaN(d.getTime()) || d.getTime() > Date.now() + 86400000)
          throw new AppError('CC_OPTION_INVALID', {
            option: 'inspectedAt',
            field: 'inspectedAt',
            reason: '不是有效的过去时间 / not a valid past time',
          })
        inspectedAt = d.toISOString()
      }
      // Decode every photo before anything is stored, so a bad one refuses the record whole.
      const photos = await Promise.all(files.map(photo))
      const id = await knex.transaction(async (trx) => {
        const rid = await addRecord(trx, city, year, {
          target: t,
          unitCode: unit.code,
          findings,
          dwellings: num('dwellings', body.dwellings, 0, 100000),
          note,
          inspector: req.principal!.name,
          inspectedAt,
          lon: num('lon', body.lon, 73, 136),
          lat: num('lat', body.lat, 3, 54),
        })
        for (const p of photos) await addPhoto(trx, city, rid, p)
        return rid
      })
      await ctx.db.events.changed(city, year)
      const records = await recordsOf(knex, city, year, t, unit.code, base(req))
      return reply.code(201).send({ id, target: t, unit: unit.code, record: records.find((r) => r.id === id) })
    },
  )

  app.get(
    '/years/:year/inspections',
    {
      schema: {
        summary: '某楼栋或小区的全部检查记录 / Every inspection record of a building or 小区',
        tags: ['inspections'],
        params: yearParam,
        querystring: {
          type: 'object',
          properties: { target: TARGET, unit: { type: 'string', maxLength: 200 } },
          required: ['unit'],
        },
      },
    },
    async (req) => {
      const year = checkYear((req.params as { year: number }).year)
      const q = req.query as { target: InspectionTarget; unit: string }
      const unit = unitCode('unit', q.unit)
      return {
        year,
        target: q.target,
        unit,
        records: await recordsOf(knex, req.city.code, year, q.target, unit, base(req)),
      }
    },
  )

  app.get(
    '/inspections/photos/:id',
    {
      schema: {
        summary: '检查照片 / An inspection photo',
        tags: ['inspections'],
        params: {
          type: 'object',
          properties: { id: { type: 'integer', minimum: 1, maximum: 9007199254740991 } },
          required: ['id'],
        },
      },
    },
    async (req, reply) => {
      const { id } = req.params as { id: number }
      const p = await knex('inspection_photos').where({ city: req.city.code, id }).first('mime', 'bytes')
      if (!p) throw new AppError('CC_NOT_FOUND', { what: `照片 ${id} / photo ${id}` })
      return reply
        .header('Content-Type', p.mime)
        .header('Cache-Control', 'private, max-age=86400, immutable')
        .header('X-Content-Type-Options', 'nosniff')
        .send(p.bytes)
    },
  )

  app.post(
    '/years/:year/inspections/imports',
    {
      config: { right: 'inspections:write' },
      schema: {
        summary: '导入检查表（CSV / XLSX / GeoJSON 点）/ Import an inspection table',
        description:
          'multipart/form-data: `file`, optional `target` (`building` | `area`), `crs` of the points (default CGCS2000 lon/lat; e.g. GCJ02) and `encoding`. One row per building (小区); findings in a `findings` column (item codes or names, separated by 、/;) or one yes/no column per item. Rows are matched by code, else by the point inside a footprint, else by address (小区 name). When every row matches the import is stored (201, `accepted`); otherwise nothing counts until POST …/imports/{id}/accept (202, `pending`, with the match report).',
        tags: ['inspections'],
        ...formDoc(
          {
            target: 'building | area',
            crs: '点的坐标系（默认 CGCS2000 经纬度）/ CRS of the points',
            encoding: '文本编码，如 GBK',
          },
          { file: '检查表 CSV / XLSX / GeoJSON' },
        ),
        params: yearParam,
        security: [{ bearer: [] }],
        consumes: ['multipart/form-data'],
      },
    },
    async (req, reply) => {
      const year = checkYear((req.params as { year: number }).year)
      if (!req.isMultipart()) throw new AppError('CC_NO_FILE')
      const p = await readParts(req, { fileBytes: ctx.config.maxUploadBytes, files: 1 })
      const file = p.files.find((f) => f.field === 'file')
      if (!file) throw new AppError('CC_NO_FILE')
      const t = target(p.fields.target)
      const table = await readTable(file.buffer, file.name, {
        encoding: p.fields.encoding || undefined,
        maxRows: ctx.config.maxFeatures,
      })
      const r = await importInspections(ctx.db, req.city.code, year, {
        file: file.name,
        table,
        target: t,
        crs: p.fields.crs || undefined,
        by: req.principal!.name,
        items: await vocabulary(knex, req.city.code, year),
      })
      if (r.status === 'accepted') await ctx.db.events.changed(req.city.code, year)
      return reply.code(r.status === 'accepted' ? 201 : 202).send({
        ...r,
        links: {
          self: `${base(req)}/inspections/imports/${r.id}`,
          ...(r.status === 'pending' ? { accept: `${base(req)}/inspections/imports/${r.id}/accept` } : {}),
        },
      })
    },
  )

  const idParam = {
    type: 'object',
    properties: { id: { type: 'integer', minimum: 1, maximum: 9007199254740991 } },
    required: ['id'],
  }
  app.get(
    '/inspections/imports/:id',
    {
      schema: {
        summary: '检查表导入及其匹配报告 / An inspection import and its match report',
        tags: ['inspections'],
        params: idParam,
      },
    },
    async (req) => {
      const { id } = req.params as { id: number }
      const imp = await knex('inspection_imports').where({ city: req.city.code, id }).first()
      if (!imp) throw new AppError('CC_NOT_FOUND', { what: `检查表导入 ${id} / inspection import ${id}` })
      return {
        id: Number(imp.id),
        year: imp.year,
        target: imp.target,
        status: imp.status,
        file: imp.file_name,
        report: imp.report,
        createdBy: imp.created_by,
        createdAt: imp.created_at,
        decidedBy: imp.decided_by,
        decidedAt: imp.decided_at,
      }
    },
  )
  for (const decision of ['accept', 'discard'] as const)
    app.post(
      `/inspections/imports/:id/${decision}`,
      {
        config: { right: 'inspections:write' },
        schema: {
          summary:
            decision === 'accept'
              ? '接受导入（只保存已匹配的行）/ Accept an import (its matched rows)'
              : '放弃导入（一行都不保存）/ Discard an import (nothing is kept)',
          tags: ['inspections'],
          params: idParam,
          security: [{ bearer: [] }],
        },
      },
      async (req) => {
        const r = await decideImport(
          knex,
          req.city.code,
          (req.params as { id: number }).id,
          decision,
          req.principal!.name,
        )
        await ctx.db.events.changed(req.city.code, r.year)
        return r
      },
    )

  app.get(
    '/years/:year/buildings/at',
    {
      schema: {
        summary: '点击位置的楼栋（轮廓内，或 30 米内最近）/ The building at a point (inside, else nearest within 30 m)',
        tags: ['inspections'],
        params: yearParam,
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
      const year = checkYear((req.params as { year: number }).year)
      const { lon, lat } = req.query as { lon: number; lat: number }
      const upload = (await currentVersions(knex, req.city.code, year)).buildings
      if (upload == null)
        throw new AppError('CC_NOT_FOUND', { what: `${year} 年度的建筑图层 / the ${year} buildings layer` })
      const r = await knex.raw(
        `SELECT code, name, ST_Distance(geom::geography, p::geography) AS distance
         FROM buildings, ST_SetSRID(ST_MakePoint(?, ?), 4490) p
         WHERE upload_id = ? AND ST_DWithin(geom::geography, p::geography, 30)
         ORDER BY geom <-> p LIMIT 5`,
        [lon, lat, upload],
      )
      const hit = r.rows.sort((a: { distance: number }, b: { distance: number }) => a.distance - b.distance)[0]
      if (!hit)
        throw new AppError('CC_NOT_FOUND', { what: `该位置 30 米内的楼栋 / a building within 30 m of that point` })
      return { code: hit.code, name: hit.name, distance: Math.round(hit.distance * 10) / 10 }
    },
  )

  app.get(
    '/years/:year/buildings/:code',
    {
      schema: {
        summary: '一栋一档：楼栋轮廓、属性、所属单元、全部检查记录和问题 / A building’s file',
        tags: ['inspections'],
        params: {
          type: 'object',
          properties: { year: { type: 'integer' }, code: { type: 'string', maxLength: 200 } },
          required: ['year', 'code'],
        },
      },
    },
    async (req) => {
      const { year: y, code } = req.params as { year: number; code: string }
      const year = checkYear(y)
      return ledgerOf(knex, req.city.code, year, unitCode('code', code), base(req))
    },
  )
}
