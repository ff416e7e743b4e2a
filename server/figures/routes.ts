// The indicator system and department figures over HTTP: the year's system (shipped or the city's
// own XLSX), each department's tasks and template, entry and bulk entry, review, progress,
// deadlines and attachments.
import type { FastifyInstance } from 'fastify'
import type { AppContext } from '../context.ts'
import { AppError } from '../errors.ts'
import { checkYear } from '../import/pipeline.ts'
import { definitions, yearConfig } from '../indicators/service.ts'
import { formDoc, readParts } from '../multipart.ts'
import { sendTable } from '../problems/export.ts'
import {
  figureHistory,
  listFigures,
  progress,
  reviewFigure,
  saveFigure,
  systemFor,
  tasksOf,
  unitsFor,
} from './store.ts'
import { FIGURE_LEVELS, type FigureLevel, OBTAINED_EN, TIER_EN } from './system.ts'
import { readSystemTable, readTemplate, type TemplateRow, templateXlsx } from './table.ts'
import type { FigureInput } from './validate.ts'

const yearParam = { type: 'object', properties: { year: { type: 'integer' } }, required: ['year'] }
const MAX_ATTACHMENT = 20 * 1024 * 1024
// No code has a control character (and PostgreSQL refuses a NUL): such a key is a 400, not a database error.
const PLAIN = '^[^\\u0000-\\u001f\\u007f]*$'
const KEY_PROPS = {
  indicator: { type: 'string', maxLength: 80, pattern: PLAIN },
  level: { type: 'string', enum: [...FIGURE_LEVELS] },
  unit: { type: 'string', maxLength: 80, pattern: PLAIN },
}

/** Attachments a reviewer can open: PDF, images, Office files, CSV/text. Decided by the bytes, not the name. */
export function attachmentMime(buf: Buffer, name: string): string | null {
  const head = buf.subarray(0, 8)
  if (head.subarray(0, 4).toString('latin1') === '%PDF') return 'application/pdf'
  if (head[0] === 0x89 && head.subarray(1, 4).toString('latin1') === 'PNG') return 'image/png'
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg'
  if (head.subarray(0, 4).toString('latin1') === 'RIFF' && buf.subarray(8, 12).toString('latin1') === 'WEBP')
    return 'image/webp'
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 3 && head[3] === 4) {
    if (/\.docx$/i.test(name)) return 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'
    if (/\.xlsx$/i.test(name)) return 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
    if (/\.pptx$/i.test(name)) return 'application/vnd.openxmlformats-officedocument.presentationml.presentation'
    return null
  }
  if (head.readUInt32BE(0) === 0xd0cf11e0)
    return /\.xls$/i.test(name) ? 'application/vnd.ms-excel' : 'application/msword'
  // Text: valid UTF-8 without NUL.
  if (!buf.includes(0) && Buffer.from(buf.toString('utf8'), 'utf8').equals(buf))
    return /\.csv$/i.test(name) ? 'text/csv' : 'text/plain'
  return null
}

export default async function figureRoutes(app: FastifyInstance, ctx: AppContext) {
  const { knex } = ctx.db

  app.get(
    '/years/:year/system',
    {
      schema: {
        summary: '年度指标体系（全部指标：空间计算、体检采集、部门填报、问卷调查）/ The year’s whole indicator system',
        tags: ['figures'],
        params: yearParam,
        querystring: {
          type: 'object',
          properties: { format: { type: 'string', enum: ['json', 'xlsx'], default: 'json' } },
        },
      },
    },
    async (req, reply) => {
      const year = checkYear((req.params as { year: number }).year)
      const own = await knex('indicator_systems').where({ city: req.city.code, year }).first('file_name', 'updated_by')
      const entries = await systemFor(knex, req.city.code, year)
      if ((req.query as { format: string }).format === 'xlsx')
        return sendTable(
          reply,
          'xlsx',
          `${req.city.name}${year}年城市体检指标体系`,
          ['序号', '维度', '分组', '指标', '代码', '单位', '目标值', '类型', '层级', '责任单位', '数据来源'],
          entries.map((e) => [
            e.seq,
            e.dimension,
            e.group,
            e.zh,
            e.code,
            e.unit,
            targetText(e.target),
            `${e.tier}/${e.type}`,
            e.levels.map((l) => LEVEL_ZH[l]).join('、'),
            e.department,
            e.obtained,
          ]),
        )
      return {
        year,
        from: own ? 'table' : 'shipped',
        file: own?.file_name ?? null,
        count: entries.length,
        entries: entries.map((e) => ({ ...e, obtainedEn: OBTAINED_EN[e.obtained], tierEn: TIER_EN[e.tier] })),
      }
    },
  )

  app.put(
    '/years/:year/system',
    {
      config: { right: 'indicators:configure' },
      schema: {
        summary:
          '导入年度指标体系表（XLSX：序号、维度、指标、单位、目标值、类型、责任单位、数据来源）/ Import the year’s indicator table',
        description:
          'multipart/form-data with `file` (XLSX). Rows naming a known indicator keep its computation and take the table’s department, tier, type and target (targets of computed indicators go into the year’s config: recompute to apply them). Other rows become reported indicators. All rows or none.',
        tags: ['figures'],
        ...formDoc({}, { file: '指标体系表 XLSX / the indicator table (XLSX)' }),
        params: yearParam,
        consumes: ['multipart/form-data'],
        security: [{ bearer: [] }],
      },
    },
    async (req) => {
      const year = checkYear((req.params as { year: number }).year)
      if (!req.isMultipart()) throw new AppError('CC_NO_FILE')
      const parts = await readParts(req, { fileBytes: 10 * 1024 * 1024, files: 1 })
      const f = parts.files[0]
      if (!f) throw new AppError('CC_NO_FILE')
      const r = await readSystemTable(f.buffer, f.name, await definitions(knex, req.city.code, year))
      const by = req.principal!.name
      const config = await yearConfig(knex, req.city.code, year)
      await knex.transaction(async (trx) => {
        await trx('indicator_systems')
          .insert({ city: req.city.code, year, entries: JSON.stringify(r.entries), file_name: f.name, updated_by: by })
          .onConflict(['city', 'year'])
          .merge()
        if (Object.keys(r.targets).length)
          await trx('indicator_config')
            .insert({
              city: req.city.code,
              year,
              config: JSON.stringify({ ...config, targets: { ...config.targets, ...r.targets } }),
              updated_by: by,
            })
            .onConflict(['city', 'year'])
            .merge()
      })
      await ctx.db.events.changed(req.city.code, year)
      return {
        year,
        file: f.name,
        count: r.entries.length,
        matched: r.matched.length,
        added: r.added,
        omitted: r.omitted,
        targetsChanged: Object.keys(r.targets),
      }
    },
  )

  app.delete(
    '/years/:year/system',
    {
      config: { right: 'indicators:configure' },
      schema: {
        summary: '恢复内置指标体系 / Go back to the shipped indicator system',
        tags: ['figures'],
        params: yearParam,
        security: [{ bearer: [] }],
      },
    },
    async (req) => {
      const year = checkYear((req.params as { year: number }).year)
      const n = await knex('indicator_systems').where({ city: req.city.code, year }).delete()
      await ctx.db.events.changed(req.city.code, year)
      return { year, removed: n }
    },
  )

  app.get(
    '/years/:year/figures/tasks',
    {
      schema: {
        summary: '各部门的填报任务（指标、层级、单元与已填情况）/ Each department’s figures to report',
        tags: ['figures'],
        params: yearParam,
        querystring: { type: 'object', properties: { department: { type: 'string', pattern: PLAIN, maxLength: 100 } } },
      },
    },
    async (req) => {
      const year = checkYear((req.params as { year: number }).year)
      const dept = (req.query as { department?: string }).department ?? req.principal?.department ?? undefined
      const tasks = tasksOf(await systemFor(knex, req.city.code, year)).filter((t) => !dept || t.department === dept)
      const figures = new Map(
        (await listFigures(knex, req.city.code, year, { department: dept })).map((f) => [
          `${f.indicator}|${f.level}|${f.unit}`,
          f,
        ]),
      )
      const units = new Map<FigureLevel, { code: string; name: string }[]>()
      for (const l of FIGURE_LEVELS) units.set(l, await unitsFor(knex, req.city.code, year, l))
      const deadlines = new Map(
        (await knex('figure_deadlines').where({ city: req.city.code, year })).map((d) => [d.department, d.due]),
      )
      return {
        year,
        tasks: tasks.map((t) => ({
          ...t,
          deadline: deadlines.get(t.department) ?? null,
          indicators: t.indicators.map((i) => ({
            ...i,
            units: i.levels.flatMap((l) =>
              (units.get(l) ?? []).map((u) => ({
                level: l,
                code: u.code,
                name: u.name,
                figure: figures.get(`${i.code}|${l}|${u.code}`) ?? null,
              })),
            ),
          })),
        })),
      }
    },
  )

  app.get(
    '/years/:year/figures',
    {
      schema: {
        summary: '部门填报数据 / Reported figures',
        tags: ['figures'],
        params: yearParam,
        querystring: {
          type: 'object',
          properties: {
            department: { type: 'string', pattern: PLAIN, maxLength: 100 },
            indicator: { type: 'string', pattern: PLAIN, maxLength: 80 },
            status: { type: 'string', enum: ['draft', 'submitted', 'accepted', 'returned'] },
          },
        },
      },
    },
    async (req) => {
      const year = checkYear((req.params as { year: number }).year)
      const figures = await listFigures(knex, req.city.code, year, req.query as Record<string, string>)
      return { year, count: figures.length, figures }
    },
  )

  app.put(
    '/years/:year/figures',
    {
      config: { right: 'figures:report' },
      schema: {
        summary: '填报一项数据（保存草稿或提交审核）/ Enter one figure (save as draft or submit)',
        tags: ['figures'],
        params: yearParam,
        security: [{ bearer: [] }],
        body: {
          type: 'object',
          required: ['indicator', 'level', 'unit'],
          properties: {
            ...KEY_PROPS,
            value: { description: '数值（数字，或 "85"、"85%" 这样的文字）/ a number, or text such as "85%"' },
            sampleSize: { description: '样本量（问卷调查）/ sample size (surveys)' },
            source: { type: 'string', nullable: true, description: '数据来源' },
            caliber: { type: 'string', nullable: true, description: '统计口径' },
            asOf: { type: 'string', nullable: true, description: '统计时点（2025-12-31、2025-12、2025年末）' },
            note: { type: 'string', nullable: true },
            attachmentId: { type: 'integer', nullable: true, minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
            submit: { type: 'boolean', default: false },
          },
          additionalProperties: false,
        },
      },
    },
    async (req) => {
      const year = checkYear((req.params as { year: number }).year)
      const b = req.body as FigureInput & { submit: boolean }
      return saveFigure(knex, req.city.code, year, req.principal!, b, { submit: b.submit })
    },
  )

  app.post(
    '/years/:year/figures/review',
    {
      config: { right: 'figures:review' },
      schema: {
        summary: '审核：通过或退回（须写明原因）/ Review: accept, or return with a comment',
        tags: ['figures'],
        params: yearParam,
        security: [{ bearer: [] }],
        body: {
          type: 'object',
          required: ['indicator', 'level', 'unit', 'action'],
          properties: {
            ...KEY_PROPS,
            action: { type: 'string', enum: ['accept', 'return'] },
            comment: { type: 'string', maxLength: 2000 },
          },
          additionalProperties: false,
        },
      },
    },
    async (req) => {
      const year = checkYear((req.params as { year: number }).year)
      const b = req.body as {
        indicator: string
        level: string
        unit: string
        action: 'accept' | 'return'
        comment?: string
      }
      const r = await reviewFigure(knex, req.city.code, year, req.principal!, b, b.action, b.comment)
      await ctx.db.events.changed(req.city.code, year)
      return r
    },
  )

  app.get(
    '/years/:year/figures/history',
    {
      schema: {
        summary: '一项填报的全部步骤 / Every step of one figure',
        tags: ['figures'],
        params: yearParam,
        querystring: { type: 'object', required: ['indicator', 'level', 'unit'], properties: KEY_PROPS },
      },
    },
    async (req) => {
      const year = checkYear((req.params as { year: number }).year)
      const q = req.query as { indicator: string; level: string; unit: string }
      return { year, ...q, steps: await figureHistory(knex, req.city.code, year, q) }
    },
  )

  app.get(
    '/years/:year/figures/progress',
    {
      schema: {
        summary: '填报进度：各部门应填、已提交、已退回、已通过、逾期 / Progress per department',
        tags: ['figures'],
        params: yearParam,
      },
    },
    async (req) => {
      const year = checkYear((req.params as { year: number }).year)
      return { year, departments: await progress(knex, req.city.code, year) }
    },
  )

  app.put(
    '/years/:year/figures/deadlines',
    {
      config: { right: 'figures:review' },
      schema: {
        summary: '设置部门填报截止日期 / Set a department’s deadline',
        tags: ['figures'],
        params: yearParam,
        security: [{ bearer: [] }],
        body: {
          type: 'object',
          required: ['department', 'due'],
          properties: {
            department: { type: 'string', minLength: 1, pattern: PLAIN, maxLength: 100 },
            due: { type: 'string', format: 'date' },
          },
          additionalProperties: false,
        },
      },
    },
    async (req) => {
      const year = checkYear((req.params as { year: number }).year)
      const b = req.body as { department: string; due: string }
      if (!tasksOf(await systemFor(knex, req.city.code, year)).some((t) => t.department === b.department))
        throw new AppError('CC_NOT_FOUND', { what: `填报单位 ${b.department} / department ${b.department}` })
      await knex('figure_deadlines')
        .insert({ city: req.city.code, year, department: b.department, due: b.due })
        .onConflict(['city', 'year', 'department'])
        .merge()
      return { year, ...b }
    },
  )

  app.get(
    '/years/:year/figures/template',
    {
      schema: {
        summary: '部门填报模板（XLSX，已填的数值预先写入）/ A department’s XLSX template',
        tags: ['figures'],
        params: yearParam,
        querystring: {
          type: 'object',
          required: ['department'],
          properties: { department: { type: 'string', minLength: 1, pattern: PLAIN, maxLength: 100 } },
        },
      },
    },
    async (req, reply) => {
      const year = checkYear((req.params as { year: number }).year)
      const dept = (req.query as { department: string }).department
      const task = tasksOf(await systemFor(knex, req.city.code, year)).find((t) => t.department === dept)
      if (!task) throw new AppError('CC_NOT_FOUND', { what: `填报单位 ${dept} / department ${dept}` })
      const have = new Map(
        (await listFigures(knex, req.city.code, year, { department: dept })).map((f) => [
          `${f.indicator}|${f.level}|${f.unit}`,
          f,
        ]),
      )
      const rows: TemplateRow[] = []
      for (const i of task.indicators)
        for (const l of i.levels)
          for (const u of await unitsFor(knex, req.city.code, year, l)) {
            const f = have.get(`${i.code}|${l}|${u.code}`)
            rows.push({ indicator: i.code, zh: i.zh, unit: i.unit, level: l, unitCode: u.code, unitName: u.name, ...f })
          }
      const name = `${dept}-${year}年城市体检数据填报`
      reply
        .header('content-type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
        .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(name)}.xlsx`)
      return templateXlsx(name, rows)
    },
  )

  app.post(
    '/years/:year/figures/import',
    {
      config: { right: 'figures:report' },
      schema: {
        summary: '按模板批量填报（XLSX；全部行有效才保存）/ Bulk entry from the filled template (all rows or none)',
        description:
          'multipart/form-data: `file` (the filled template), `submit` = `true` to submit every row for review.',
        tags: ['figures'],
        ...formDoc({ submit: 'true = 导入后提交审核 / submit every row for review' }, { file: '填好的模板 XLSX' }),
        params: yearParam,
        consumes: ['multipart/form-data'],
        security: [{ bearer: [] }],
      },
    },
    async (req, reply) => {
      const year = checkYear((req.params as { year: number }).year)
      if (!req.isMultipart()) throw new AppError('CC_NO_FILE')
      const parts = await readParts(req, { fileBytes: 10 * 1024 * 1024, files: 1 })
      const f = parts.files[0]
      if (!f) throw new AppError('CC_NO_FILE')
      const submit = parts.fields.submit === 'true' || parts.fields.submit === '1'
      const rows = await readTemplate(f.buffer, f.name)
      const system = await systemFor(knex, req.city.code, year)
      // One transaction: the first bad row refuses the file and nothing is kept.
      const saved = await knex.transaction(async (trx) => {
        const out = []
        for (const r of rows)
          out.push(
            await saveFigure(
              trx,
              req.city.code,
              year,
              req.principal!,
              { ...r, value: r.value, sampleSize: r.sampleSize },
              { submit, at: { file: f.name, row: r.row } },
              system,
            ),
          )
        return out
      })
      reply.code(201)
      return { year, file: f.name, rows: saved.length, submitted: submit ? saved.length : 0 }
    },
  )

  app.post(
    '/attachments',
    {
      config: { right: 'figures:report' },
      schema: {
        summary: '上传附件（填报依据或整改佐证；PDF、图片、Office、CSV，≤ 20 MB）/ Upload an attachment',
        tags: ['figures'],
        ...formDoc({}, { file: 'PDF、图片、Office、CSV / PDF, image, Office, CSV' }),
        consumes: ['multipart/form-data'],
        security: [{ bearer: [] }],
      },
    },
    async (req, reply) => {
      if (!req.isMultipart()) throw new AppError('CC_NO_FILE')
      const parts = await readParts(
        req,
        { fileBytes: MAX_ATTACHMENT, files: 1 },
        (_f, name) => new AppError('CC_ATTACHMENT_INVALID', { file: name, limitMb: MAX_ATTACHMENT / 1048576 }),
      )
      const f = parts.files[0]
      if (!f?.buffer.length) throw new AppError('CC_NO_FILE')
      const mime = attachmentMime(f.buffer, f.name)
      if (!mime) throw new AppError('CC_ATTACHMENT_INVALID', { file: f.name, limitMb: MAX_ATTACHMENT / 1048576 })
      const [row] = await knex('attachments')
        .insert({
          city: req.city.code,
          name: f.name,
          mime,
          size: f.buffer.length,
          bytes: f.buffer,
          created_by: req.principal!.name,
        })
        .returning('id')
      reply.code(201)
      return { id: Number(row.id ?? row), name: f.name, mime, size: f.buffer.length }
    },
  )

  app.get(
    '/attachments/:id',
    {
      schema: {
        summary: '下载附件 / Download an attachment',
        tags: ['figures'],
        params: {
          type: 'object',
          properties: { id: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } },
          required: ['id'],
        },
      },
    },
    async (req, reply) => {
      const id = (req.params as { id: number }).id
      const a = await knex('attachments').where({ city: req.city.code, id }).first('name', 'mime', 'bytes')
      if (!a) throw new AppError('CC_NOT_FOUND', { what: `附件 ${id} / attachment ${id}` })
      // Always a download: an uploaded file never renders in the service's own origin.
      reply
        .header('content-type', a.mime)
        .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(a.name)}`)
      return reply.send(a.bytes)
    },
  )
}

export const LEVEL_ZH: Record<string, string> = {
  city: '市',
  district: '区',
  street: '街道',
  community: '社区',
  area: '小区',
}

export function targetText(t: { value?: number; min?: number; max?: number; direction: string } | undefined): string {
  if (!t) return '—'
  if (t.direction === 'between') return `${t.min}–${t.max}`
  return `${t.direction === '<=' ? '≤' : '≥'}${t.value}`
}
