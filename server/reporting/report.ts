// The 体检报告 draft: a DOCX (written with `docx`, a well-kept library) a 城检办 edits in WPS or
// Word. 一、城市概况; one chapter per dimension with its indicator table, a problem map from the
// map-figure renderer and the main problems in words; 附录一 问题清单 and 附录二 整治建议清单 per
// dimension. Everything in it is read from the same places as the API, so the draft never
// disagrees with the scorecard or the 问题清单.
import {
  AlignmentType,
  Document,
  HeadingLevel,
  ImageRun,
  Packer,
  Paragraph,
  Table,
  TableCell,
  TableRow,
  TextRun,
  WidthType,
} from 'docx'
import type { Knex } from 'knex'
import { latestRun } from '../indicators/service.ts'
import { renderIndicatorMap } from '../maps/render.ts'
import { listProblems, type Problem } from '../problems/store.ts'
import { unitsFor } from '../figures/store.ts'
import { OBTAINED } from '../figures/system.ts'
import { targetText } from '../figures/routes.ts'
import { type ScoreRow, scorecard } from './scorecard.ts'

const DIMENSIONS = ['住房', '小区(社区)', '街区', '城区'] as const
const CHAPTER = ['二', '三', '四', '五']
/** Appendix tables stop here per dimension; the XLSX export has them all. */
const APPENDIX_ROWS = 150

const fmt = (v: number | null | undefined, unit = '') =>
  v == null ? '—' : `${Math.round(v * 100) / 100}${unit === '%' ? '%' : ''}`

const p = (text: string, o: { bold?: boolean; size?: number } = {}) =>
  new Paragraph({ children: [new TextRun({ text, bold: o.bold, size: o.size })], spacing: { after: 120 } })

function table(header: string[], rows: string[][], widths?: number[]): Table {
  const cell = (t: string, head: boolean, i: number) =>
    new TableCell({
      children: [new Paragraph({ children: [new TextRun({ text: t, bold: head, size: 18 })] })],
      width: widths ? { size: widths[i], type: WidthType.PERCENTAGE } : undefined,
      shading: head ? { fill: 'E8EEF5' } : undefined,
    })
  return new Table({
    width: { size: 100, type: WidthType.PERCENTAGE },
    rows: [
      new TableRow({ tableHeader: true, children: header.map((h, i) => cell(h, true, i)) }),
      ...rows.map((r) => new TableRow({ children: r.map((t, i) => cell(t, false, i)) })),
    ],
  })
}

/** One sentence per problem, from the 问题清单's own fields. */
export function problemSentence(pr: Problem): string {
  const where = pr.parent ? `${pr.parent.name}${pr.unitName}` : pr.unitName
  const u = pr.unitOfMeasure === '%' || pr.unitOfMeasure === 'ratio' ? '' : pr.unitOfMeasure
  const value = pr.value == null ? '' : `为 ${fmt(pr.value, pr.unitOfMeasure)}${u}`
  const target = pr.target == null ? '' : `，目标 ${fmt(pr.target, pr.unitOfMeasure)}`
  return `${where}${pr.indicatorZh}${value}${target}（${pr.severity}）。`
}

export interface ReportOptions {
  /** draw the problem maps (a few hundred ms each); tests of the text may skip them */
  maps?: boolean
}

export async function reportDocx(knex: Knex, city: string, year: number, o: ReportOptions = {}): Promise<Buffer> {
  const c = await knex('cities').where({ code: city }).first('name')
  const card = await scorecard(knex, city, year, 'city')
  const problems = await listProblems(knex, city, year, {})
  const run = await latestRun(knex, city, year)
  const counts: Record<string, number> = {}
  for (const l of ['district', 'street', 'community'] as const) counts[l] = (await unitsFor(knex, city, year, l)).length
  const byObtained = OBTAINED.map(
    (ob) => `${ob} ${new Set(card.rows.filter((r) => r.obtained === ob).map((r) => r.code)).size} 项`,
  )
  const serious = problems.filter((x) => x.severity === '严重').length

  const body: (Paragraph | Table)[] = [
    new Paragraph({
      heading: HeadingLevel.TITLE,
      alignment: AlignmentType.CENTER,
      children: [new TextRun({ text: `${c.name}${year}年城市体检报告（初稿）`, bold: true })],
    }),
    new Paragraph({
      alignment: AlignmentType.CENTER,
      children: [new TextRun({ text: `由 citycheck 根据 ${year} 年度数据生成，供编辑修改`, size: 20 })],
      spacing: { after: 240 },
    }),
    new Paragraph({ heading: HeadingLevel.HEADING_1, text: '一、城市概况' }),
    p(
      `${c.name}${year}年城市体检覆盖 ${counts.district} 个区县、${counts.street} 个街道、${counts.community} 个社区，` +
        `按住房、小区（社区）、街区、城区四个层级开展。`,
    ),
    p(
      `本年度指标体系共 ${card.summary.indicators} 项（${byObtained.join('，')}）。城区层级评价：达标 ${card.summary.met} 项，` +
        `未达标 ${card.summary.missed} 项，无标准 ${card.summary.noTarget} 项，无数据 ${card.summary.noData} 项；` +
        `红色预警 ${card.summary.red} 项，黄色预警 ${card.summary.yellow} 项。`,
    ),
    p(
      `问题清单共 ${problems.length} 条，其中严重 ${serious} 条。` +
        (run
          ? `空间指标计算于 ${new Date(run.created_at).toISOString().slice(0, 10)}，覆盖 ${run.building_count ?? '—'} 栋建筑。`
          : '空间指标尚未计算。'),
    ),
  ]

  for (const [i, d] of DIMENSIONS.entries()) {
    const rows = card.rows.filter((r) => r.dimension === d)
    const dimProblems = problems.filter((x) => x.dimension === d)
    body.push(
      new Paragraph({
        heading: HeadingLevel.HEADING_1,
        text: `${CHAPTER[i]}、${d === '小区(社区)' ? '小区（社区）' : d}`,
      }),
    )
    body.push(new Paragraph({ heading: HeadingLevel.HEADING_2, text: '（一）指标评价' }))
    body.push(
      table(
        ['序号', '指标', '单位', '现状值', '目标值', '评价', '预警', '上年值', '获取方式', '责任单位'],
        rows.map((r, k) => scoreCells(r, k + 1)),
        [5, 25, 7, 9, 9, 10, 7, 9, 9, 10],
      ),
    )
    const missing = rows.filter((r) => r.evaluation === '无数据')
    if (missing.length)
      body.push(p(`无数据的指标：${missing.map((r) => `${r.zh}（${r.noData?.zh ?? '无数据'}）`).join('；')}。`))
    if (o.maps !== false) {
      const worst = dimProblems.find((x) => x.level === 'community' || x.level === 'street')
      if (worst) {
        try {
          const png = await renderIndicatorMap(knex, city, year, worst.indicator, {
            level: worst.level === 'street' ? 'street' : 'community',
            width: 1200,
            height: 800,
            lang: 'zh',
          })
          body.push(new Paragraph({ heading: HeadingLevel.HEADING_2, text: '（二）问题地图' }))
          body.push(
            new Paragraph({
              alignment: AlignmentType.CENTER,
              children: [new ImageRun({ type: 'png', data: png, transformation: { width: 600, height: 400 } })],
            }),
          )
          body.push(
            new Paragraph({
              alignment: AlignmentType.CENTER,
              children: [
                new TextRun({
                  text: `图 ${i + 1}　${worst.indicatorZh}（按${worst.level === 'street' ? '街道' : '社区'}）`,
                  size: 18,
                }),
              ],
            }),
          )
        } catch {
          // A dimension without a drawable layer (no communities uploaded) goes without its map.
        }
      }
    }
    body.push(
      new Paragraph({ heading: HeadingLevel.HEADING_2, text: o.maps === false ? '（二）主要问题' : '（三）主要问题' }),
    )
    if (!dimProblems.length) body.push(p('本维度未发现未达标的计算指标。'))
    for (const pr of dimProblems.slice(0, 8))
      body.push(new Paragraph({ text: problemSentence(pr), bullet: { level: 0 } }))
  }

  body.push(new Paragraph({ heading: HeadingLevel.HEADING_1, text: '附录一　问题清单' }))
  for (const d of DIMENSIONS) {
    const list = problems.filter((x) => x.dimension === d)
    body.push(new Paragraph({ heading: HeadingLevel.HEADING_2, text: `${d}（${list.length} 条）` }))
    if (!list.length) {
      body.push(p('无。'))
      continue
    }
    body.push(
      table(
        ['序号', '单元', '所属', '指标', '现状值', '目标值', '严重程度', '状态'],
        list
          .slice(0, APPENDIX_ROWS)
          .map((x, k) => [
            String(k + 1),
            x.unitName,
            x.parent?.name ?? '',
            x.indicatorZh,
            fmt(x.value, x.unitOfMeasure),
            fmt(x.target, x.unitOfMeasure),
            x.severity,
            x.status,
          ]),
        [6, 18, 14, 26, 9, 9, 9, 9],
      ),
    )
    if (list.length > APPENDIX_ROWS) body.push(p(`（另有 ${list.length - APPENDIX_ROWS} 条，见问题清单 XLSX 导出。）`))
  }
  body.push(new Paragraph({ heading: HeadingLevel.HEADING_1, text: '附录二　整治建议清单' }))
  for (const d of DIMENSIONS) {
    const list = problems.filter((x) => x.dimension === d && x.suggestion)
    body.push(new Paragraph({ heading: HeadingLevel.HEADING_2, text: `${d}（${list.length} 条）` }))
    if (!list.length) {
      body.push(p('无。'))
      continue
    }
    body.push(
      table(
        ['序号', '单元', '指标', '整治建议', '责任单位'],
        list
          .slice(0, APPENDIX_ROWS)
          .map((x, k) => [String(k + 1), x.unitName, x.indicatorZh, x.suggestion ?? '', x.assignee ?? '']),
        [6, 16, 22, 44, 12],
      ),
    )
    if (list.length > APPENDIX_ROWS) body.push(p(`（另有 ${list.length - APPENDIX_ROWS} 条，见问题清单 XLSX 导出。）`))
  }

  const doc = new Document({
    creator: 'citycheck 城市体检',
    title: `${c.name}${year}年城市体检报告`,
    styles: {
      default: {
        document: { run: { font: { ascii: 'Times New Roman', hAnsi: 'Times New Roman', eastAsia: '宋体' }, size: 22 } },
        heading1: { run: { font: { eastAsia: '黑体' }, size: 32, bold: true } },
        heading2: { run: { font: { eastAsia: '黑体' }, size: 26, bold: true } },
      },
    },
    sections: [{ children: body }],
  })
  return Packer.toBuffer(doc)
}

function scoreCells(r: ScoreRow, n: number): string[] {
  return [
    String(n),
    r.zh,
    r.unit,
    fmt(r.value, r.unit),
    targetText(r.target ?? undefined),
    r.evaluation === '无数据' && r.noData ? `无数据（${r.noData.zh}）` : r.evaluation,
    r.warning ?? '—',
    fmt(r.previous, r.unit),
    r.obtained,
    r.department,
  ]
}
