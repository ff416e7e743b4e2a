// The scorecard (JSON and an XLSX laid out for the report) and the 体检报告 draft (DOCX).
import type { FastifyInstance } from 'fastify'
import type { AppContext } from '../context.ts'
import { checkYear } from '../import/pipeline.ts'
import { FIGURE_LEVELS, type FigureLevel } from '../figures/system.ts'
import { LEVEL_ZH, targetText } from '../figures/routes.ts'
import { sendTable } from '../problems/export.ts'
import { reportDocx } from './report.ts'
import { scorecard } from './scorecard.ts'

const yearParam = { type: 'object', properties: { year: { type: 'integer' } }, required: ['year'] }
const round = (v: number | null) => (v == null ? null : Math.round(v * 100) / 100)

export default async function reportingRoutes(app: FastifyInstance, ctx: AppContext) {
  const { knex } = ctx.db

  app.get(
    '/years/:year/scorecard',
    {
      schema: {
        summary: '体检指标总表：每项指标的现状值、目标、评价、预警、上年值 / The scorecard of every indicator',
        tags: ['reporting'],
        params: yearParam,
        querystring: {
          type: 'object',
          properties: {
            level: { type: 'string', enum: [...FIGURE_LEVELS], default: 'city' },
            format: { type: 'string', enum: ['json', 'xlsx'], default: 'json' },
          },
        },
      },
    },
    async (req, reply) => {
      const year = checkYear((req.params as { year: number }).year)
      const q = req.query as { level: FigureLevel; format: string }
      const card = await scorecard(knex, req.city.code, year, q.level)
      if (q.format === 'json') return card
      return sendTable(
        reply,
        'xlsx',
        `${req.city.name}${year}年城市体检指标总表（${LEVEL_ZH[q.level]}）`,
        [
          '序号',
          '维度',
          '分组',
          '指标',
          '单元',
          '单位',
          '现状值',
          '目标值',
          '评价',
          '预警',
          '上年值',
          '变化',
          '类型',
          '获取方式',
          '责任单位',
          '数据来源',
        ],
        card.rows.map((r, i) => [
          i + 1,
          r.dimension,
          r.group,
          r.zh,
          q.level === 'city' ? r.unitName : `${r.unitName}（${r.unitCode}）`,
          r.unit,
          round(r.value),
          targetText(r.target ?? undefined),
          r.evaluation === '无数据' && r.noData ? `无数据（${r.noData.zh}）` : r.evaluation,
          r.warning,
          round(r.previous),
          round(r.change),
          `${r.tier}/${r.type}`,
          r.obtained,
          r.department,
          r.source,
        ]),
      )
    },
  )

  app.get(
    '/years/:year/report.docx',
    {
      schema: {
        summary: '体检报告初稿（DOCX，可在 WPS/Word 中编辑）/ The report draft as DOCX',
        tags: ['reporting'],
        params: yearParam,
      },
    },
    async (req, reply) => {
      const year = checkYear((req.params as { year: number }).year)
      const buf = await reportDocx(knex, req.city.code, year)
      const name = `${req.city.name}${year}年城市体检报告（初稿）.docx`
      reply
        .header('content-type', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document')
        .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(name)}`)
      return buf
    },
  )
}
