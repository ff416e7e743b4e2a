import type { FastifyInstance } from 'fastify'
import type { AppContext } from '../context.ts'
import { checkYear } from '../import/pipeline.ts'
import { generationOf } from '../db/cityyear.ts'
import { cachedReply, sendReply } from '../indicators/runcache.ts'
import { sendTable, type Cell } from './export.ts'
import { effectOf } from './effect.ts'
import { type ProblemChange, STATUSES, listProblems, updateProblem, type ProblemQuery } from './store.ts'

const LEVEL_ZH: Record<string, string> = {
  city: '城区',
  district: '区县',
  street: '街道',
  community: '社区',
  area: '小区',
  building: '楼栋',
}
const HEADER = [
  '序号 No.',
  '维度 Dimension',
  '指标 Indicator',
  '类型 Type',
  '层级 Level',
  '单元代码 Code',
  '单元名称 Unit',
  '所属街道/区县 Parent',
  '现状值 Value',
  '目标值 Target',
  '单位 Unit',
  '差距 Shortfall (%)',
  '严重程度 Severity',
  '上年值 Previous',
  '同比变化 Change',
  '整治建议 Suggestion',
  '状态 Status',
  '责任单位 Assignee',
  '整改期限 Deadline',
  '逾期 Overdue',
  '备注 Note',
]

export default async function problemRoutes(app: FastifyInstance, ctx: AppContext) {
  const { knex } = ctx.db
  app.get(
    '/years/:year/problems',
    {
      schema: {
        summary: '问题清单（可导出 CSV / XLSX）/ The problem list, exportable as CSV or XLSX',
        tags: ['problems'],
        params: { type: 'object', properties: { year: { type: 'integer' } }, required: ['year'] },
        querystring: {
          type: 'object',
          properties: {
            level: { type: 'string', enum: ['city', 'district', 'street', 'community', 'area', 'building'] },
            dimension: { type: 'string' },
            indicator: { type: 'string' },
            severity: { type: 'string', enum: ['严重', '较重', '一般'] },
            unit: { type: 'string' },
            status: { type: 'string', enum: [...STATUSES] },
            assignee: { type: 'string', maxLength: 100, description: '责任单位 / assigned department' },
            overdue: { type: 'boolean' },
            limit: { type: 'integer', minimum: 1, maximum: 100000 },
            format: { type: 'string', enum: ['json', 'csv', 'xlsx', 'geojson'], default: 'json' },
          },
        },
      },
    },
    async (req, reply) => {
      const year = checkYear((req.params as { year: number }).year)
      const q = req.query as ProblemQuery & { format: string }
      if (q.format === 'json') {
        // Kept serialised for this generation of the city-year: a status change is a change notice, and
        // the generation's 30 s period also bounds how late an overdue flag turns at midnight.
        const key = `problems|${req.city.code}|${year}|${generationOf(req.city.code, year)}|${JSON.stringify(q)}`
        const r = await cachedReply(key, async () => {
          const problems = await listProblems(knex, req.city.code, year, q)
          return { year, count: problems.length, problems }
        })
        return sendReply(req, reply, r)
      }
      const problems = await listProblems(knex, req.city.code, year, q)
      // The 问题地图's problem points: building-level 台账 entries, located (others have no point).
      if (q.format === 'geojson')
        return reply.type('application/geo+json').send({
          type: 'FeatureCollection',
          features: problems.flatMap((p) =>
            'lon' in p && p.lon != null
              ? [
                  {
                    type: 'Feature',
                    geometry: { type: 'Point', coordinates: [p.lon, p.lat] },
                    properties: {
                      id: p.id,
                      indicator: p.indicator,
                      code: p.unitCode,
                      name: p.unitName,
                      severity: p.severity,
                      status: p.status,
                      items: p.items.map((i) => i.zh).join('、'),
                      itemsEn: p.items.map((i) => i.en).join('; '),
                    },
                  },
                ]
              : [],
          ),
        })
      const fmt = (v: number | null | undefined) => (v == null ? null : Math.round(v * 100) / 100)
      const rows: Cell[][] = problems.map((p, i) => [
        i + 1,
        p.dimension,
        p.indicatorZh,
        p.type,
        LEVEL_ZH[p.level],
        p.unitCode,
        p.unitName,
        p.parent ? `${p.parent.name}（${p.parent.code}）` : null,
        fmt(p.value),
        p.band ? `${p.band[0]}–${p.band[1]}` : fmt(p.target),
        p.unitOfMeasure,
        p.shortfall != null ? Math.round(p.shortfall * 1000) / 10 : null,
        p.severity,
        fmt(p.previous),
        fmt(p.change),
        p.suggestion,
        p.status,
        p.assignee,
        p.deadline,
        p.overdue ? '是' : null,
        p.note,
      ])
      return sendTable(reply, q.format as 'csv' | 'xlsx', `问题清单-${year}`, HEADER, rows)
    },
  )

  const CHANGE = {
    // Checked in code, so a wrong status gets the coded error listing the four.
    status: { type: 'string', description: STATUSES.join(' / ') },
    note: { type: 'string', maxLength: 2000 },
    evidence: { type: 'string', maxLength: 4000, description: '整改佐证说明 / evidence of the fix' },
    evidenceAttachment: {
      type: 'integer',
      nullable: true,
      description: 'POST …/attachments 返回的编号 / an attachment id',
    },
  }
  const idParams = {
    type: 'object',
    properties: { year: { type: 'integer' }, id: { type: 'string', description: 'indicator:level:unit_code' } },
    required: ['year', 'id'],
  }

  app.patch(
    '/years/:year/problems/:id',
    {
      config: { right: 'problems:review' },
      schema: {
        summary: '城检办：分派责任单位与期限、更新状态、审核销号 / Reviewer: assign, set status, close',
        tags: ['problems'],
        security: [{ bearer: [] }],
        params: idParams,
        body: {
          type: 'object',
          properties: {
            ...CHANGE,
            assignee: { type: 'string', nullable: true, maxLength: 100, description: '责任单位 / department' },
            deadline: { type: 'string', nullable: true, description: 'YYYY-MM-DD' },
          },
          additionalProperties: false,
        },
      },
    },
    async (req) => {
      const { year, id } = req.params as { year: number; id: string }
      const r = await updateProblem(knex, req.city.code, checkYear(year), id, req.body as ProblemChange, req.principal!)
      // The problem tiles show statuses: every process drops that city-year's tiles.
      await ctx.db.events.changed(req.city.code, checkYear(year))
      return r
    },
  )

  app.post(
    '/years/:year/problems/:id/rectify',
    {
      config: { right: 'problems:rectify' },
      schema: {
        summary: '责任单位：推进本单位的整改（整改中 → 申请销号，附佐证）/ Department: move its own problem forward',
        tags: ['problems'],
        security: [{ bearer: [] }],
        params: idParams,
        body: { type: 'object', required: ['status'], properties: CHANGE, additionalProperties: false },
      },
    },
    async (req) => {
      const { year, id } = req.params as { year: number; id: string }
      const r = await updateProblem(
        knex,
        req.city.code,
        checkYear(year),
        id,
        req.body as ProblemChange,
        req.principal!,
        req.principal!.role !== 'admin',
      )
      await ctx.db.events.changed(req.city.code, checkYear(year))
      return r
    },
  )

  app.get(
    '/years/:year/effect',
    {
      schema: {
        summary: '上年度整改成效：上年已销号的问题今年是否改善 / Did last year’s closed problems improve?',
        tags: ['problems'],
        params: { type: 'object', properties: { year: { type: 'integer' } }, required: ['year'] },
      },
    },
    async (req) => effectOf(knex, req.city.code, checkYear((req.params as { year: number }).year)),
  )
}
