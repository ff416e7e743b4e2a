// Department figures, the year's system, the scorecard, the 整改 loop, 成效 and the report draft,
// on the hand-computed fixture city (test/helpers/city-fixture.ts) loaded for 2024 and 2025.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import ExcelJS from 'exceljs'
import { unzipSync, strFromU8 } from 'fflate'
import sharp from 'sharp'
import request from 'supertest'
import { beforeAll, describe, expect, it } from 'vitest'
import { createToken } from '../auth/tokens.ts'
import { AUTH, useTestApp } from '../../test/helpers/app.ts'
import { CRS, LOAD_ORDER, X0, Y0, fixture } from '../../test/helpers/city-fixture.ts'
import { compute, get, upload } from '../../test/helpers/upload.ts'
import { verdictOf, distanceToTarget } from '../problems/effect.ts'
import { warningOf, evaluate } from '../reporting/scorecard.ts'
import { reportDocx } from '../reporting/report.ts'
import { REPORTED } from './system.ts'
import { parseTarget } from './table.ts'
import { checkFigure, parseNumber } from './validate.ts'
import { attachmentMime } from './routes.ts'

const entry = (code: string) => {
  const r = REPORTED.find((x) => x.code === code)!
  return { seq: 1, tier: '国家基础' as const, definition: '', levels: ['city' as const], ...r }
}

describe('the maths and checks, by hand', () => {
  it('reads targets the way 城检办 tables write them', () => {
    expect(parseTarget('≥100%')).toEqual({ value: 100, direction: '>=' })
    expect(parseTarget('<= 0')).toEqual({ value: 0, direction: '<=' })
    expect(parseTarget('不超过5')).toEqual({ value: 5, direction: '<=' })
    expect(parseTarget('0.9–1.1')).toEqual({ min: 0.9, max: 1.1, direction: 'between' })
    expect(parseTarget('80', '<=')).toEqual({ value: 80, direction: '<=' })
    expect(parseTarget('—')).toBeUndefined()
    expect(parseTarget('很好')).toBeNull()
  })

  it('checks a figure against its unit, range and the survey sample size', () => {
    const g = entry('green_building_share')
    const base = { indicator: g.code, level: 'city', unit: '990100' }
    expect(checkFigure(g, { ...base, value: '85%', source: '住建局统计', asOf: '2025年末' }, true).value).toBe(85)
    expect(() => checkFigure(g, { ...base, value: 120 }, false)).toThrow(/超出 0–100/)
    expect(() => checkFigure(g, { ...base, value: 'abc' }, false)).toThrow(/不是数字/)
    expect(() => checkFigure(g, { ...base, value: 85 }, true)).toThrow(/数据来源/)
    expect(() => checkFigure(g, { ...base, value: 85, source: 'x', asOf: '去年' }, true)).toThrow(/统计时点/)
    const w = entry('severe_waterlogging_points')
    expect(() => checkFigure(w, { ...base, indicator: w.code, value: 2.5 }, false)).toThrow(/整数/)
    const s = entry('resident_satisfaction')
    expect(() => checkFigure(s, { ...base, indicator: s.code, value: 80, source: '调查', asOf: '2025' }, true)).toThrow(
      /样本量/,
    )
    expect(parseNumber('1,234.5')).toBe(1234.5)
    expect(parseNumber('')).toBeNull()
  })

  it('grades 红/黄/正常 by the distance to the target', () => {
    const t = { value: 100, direction: '>=' as const }
    expect(warningOf({ target: t, type: '底线' }, 100)).toBe('正常')
    expect(warningOf({ target: t, type: '底线' }, 85)).toBe('黄色') // 15 % short
    expect(warningOf({ target: t, type: '导向' }, 80)).toBe('红色') // 20 % short: the red band
    expect(warningOf({ target: { value: 0, direction: '<=' }, type: '底线' }, 1)).toBe('红色')
    expect(warningOf({ target: { value: 0, direction: '<=' }, type: '导向' }, 3)).toBe('黄色')
    expect(warningOf({ target: undefined, type: '导向' }, 3)).toBeNull()
    expect(evaluate(undefined, 5)).toBe('无标准')
    expect(evaluate(t, null)).toBe('无数据')
    expect(distanceToTarget({ min: 0.9, max: 1.1, direction: 'between' }, 1.3)).toBeCloseTo(0.2)
  })

  it('judges a closed problem by whether its value moved toward the target', () => {
    const def = { target: { value: 100, direction: '>=' } } as never
    expect(verdictOf(def, 0, 33)).toBe('有改善未达标')
    expect(verdictOf(def, 0, 100)).toBe('改善且达标')
    expect(verdictOf(def, 40, 40)).toBe('未改善')
    expect(verdictOf(def, 40, null)).toBe('无数据')
  })

  it('recognises attachments by their bytes, not their names', () => {
    expect(attachmentMime(Buffer.from('%PDF-1.7\n…'), 'a.pdf')).toBe('application/pdf')
    expect(attachmentMime(Buffer.from('年份,数值\n2025,85\n'), 'a.csv')).toBe('text/csv')
    expect(attachmentMime(Buffer.from([0x4d, 0x5a, 0x90, 0, 3, 0, 0, 0]), 'report.pdf')).toBeNull() // an .exe
  })
})

describe('department figures, review, scorecard, 整改 and the report', () => {
  const t = useTestApp()
  const tok: Record<string, string> = {}
  const as = (who: string) => ({ Authorization: `Bearer ${tok[who]}` })
  const put = (who: string, body: Record<string, unknown>, year = 2025) =>
    request(t.app.server).put(`/api/years/${year}/figures`).set(as(who)).send(body)
  const review = (body: Record<string, unknown>, year = 2025) =>
    request(t.app.server).post(`/api/years/${year}/figures/review`).set(as('reviewer')).send(body)
  const CITY = '990100'
  const green = { indicator: 'green_building_share', level: 'city', unit: CITY }

  beforeAll(async () => {
    tok.housing = await createToken(t.db.knex, {
      name: '住建局填报员',
      role: 'reporter',
      department: '住房和城乡建设局',
    })
    tok.water = await createToken(t.db.knex, { name: '水务局填报员', role: 'reporter', department: '水务局' })
    tok.edu = await createToken(t.db.knex, { name: '教育局', role: 'reporter', department: '教育局' })
    tok.office = await createToken(t.db.knex, { name: '城检办', role: 'reporter', department: '城市体检工作办公室' })
    tok.reviewer = await createToken(t.db.knex, { name: '城检办审核', role: 'reviewer' })
    // 2024: kindergarten K1 stood in C3's empty corner, out of everyone's reach; 2025: the fixture as drawn.
    const noK1 = JSON.parse(fixture.facilities.toString())
    for (const f of noK1.features) if (f.properties.name === 'K1') f.geometry.coordinates = [X0 + 2950, Y0 + 60]
    for (const year of [2024, 2025])
      for (const layer of LOAD_ORDER) {
        const file = year === 2024 && layer === 'facilities' ? Buffer.from(JSON.stringify(noK1)) : fixture[layer]
        const r = await upload(t.app, year, layer, file, `${layer}.geojson`, CRS)
        expect(r.status, `${year} ${layer}: ${JSON.stringify(r.body).slice(0, 200)}`).toBe(201)
      }
    await compute(t.app, 2024)
    await compute(t.app, 2025)
  })

  it('gives each department its tasks: the reported indicators it owes, per unit', async () => {
    const r = await get(t.app, '/api/years/2025/figures/tasks?department=水务局')
    expect(r.status).toBe(200)
    expect(r.body.tasks).toHaveLength(1)
    const codes = r.body.tasks[0].indicators.map((i: { code: string }) => i.code).sort()
    expect(codes).toEqual(['emergency_water_supply_rate', 'severe_waterlogging_points'])
    expect(r.body.tasks[0].indicators[0].units).toEqual([{ level: 'city', code: CITY, name: '测试市', figure: null }])
    const sys = await get(t.app, '/api/years/2025/system')
    expect(sys.body.from).toBe('shipped')
    const obtained = new Set(sys.body.entries.map((e: { obtained: string }) => e.obtained))
    expect(obtained).toEqual(new Set(['体检采集', '部门填报', '空间计算', '问卷调查']))
  })

  it('runs draft → submit → return (with a comment) → resubmit → accept, keeping every step', async () => {
    expect((await put('housing', { ...green, value: 80 })).body.status).toBe('draft')
    const sub = await put('housing', {
      ...green,
      value: 80,
      source: '住建局 2025 年报',
      asOf: '2025年末',
      submit: true,
    })
    expect(sub.status, JSON.stringify(sub.body)).toBe(200)
    // Submitted: the reporter cannot change it until the reviewer returns it.
    const locked = await put('housing', { ...green, value: 81 })
    expect([locked.status, locked.body.error.code]).toEqual([409, 'CC_FIGURE_STATE'])
    const noReason = await review({ ...green, action: 'return' })
    expect([noReason.status, noReason.body.error.code]).toEqual([400, 'CC_OPTION_INVALID'])
    expect((await review({ ...green, action: 'return', comment: '口径应为竣工面积' })).body.status).toBe('returned')
    const again = await put('housing', {
      ...green,
      value: 85,
      source: '住建局 2025 年报',
      caliber: '按竣工建筑面积',
      asOf: '2025-12-31',
      submit: true,
    })
    expect(again.body.status).toBe('submitted')
    expect((await review({ ...green, action: 'accept' })).body.status).toBe('accepted')
    const h = await get(t.app, `/api/years/2025/figures/history?indicator=${green.indicator}&level=city&unit=${CITY}`)
    expect(h.body.steps.map((s: { action: string }) => s.action)).toEqual([
      'save',
      'submit',
      'return',
      'submit',
      'accept',
    ])
    expect(h.body.steps[2]).toMatchObject({ comment: '口径应为竣工面积', by: '城检办审核' })
  })

  it('refuses another department, bad values and reviewers acting as reporters, with coded errors', async () => {
    const other = await put('water', { ...green, value: 80 })
    expect([other.status, other.body.error.code]).toEqual([403, 'CC_NOT_YOUR_DEPARTMENT'])
    expect(other.body.error.message).toMatch(/水务局填报员 属于“水务局”.*住房和城乡建设局/)
    const pct = await put('water', { indicator: 'emergency_water_supply_rate', level: 'city', unit: CITY, value: 130 })
    expect([pct.status, pct.body.error.code]).toEqual([422, 'CC_FIGURE_INVALID'])
    expect(pct.body.error.message).toMatch(/应急供水保障率.*value.*130 超出 0–100.*\/ .*percentages are 0–100/)
    const unit = await put('water', {
      indicator: 'emergency_water_supply_rate',
      level: 'city',
      unit: '000000',
      value: 1,
    })
    expect(unit.status).toBe(404)
    const computed = await put('water', { indicator: 'kindergarten_coverage', level: 'city', unit: CITY, value: 1 })
    expect([computed.status, computed.body.error.code]).toEqual([400, 'CC_OPTION_INVALID'])
    // Control characters and out-of-range ids are coded 4xx errors, never a database error.
    const nul = await review({ indicator: 'green\u0000share', level: 'city', unit: CITY, action: 'accept' })
    expect(nul.status).toBe(400)
    expect((await request(t.app.server).get('/api/attachments/99999999999999999999')).status).toBe(400)
    for (const q of ['figures?department=a%00b', 'figures/tasks?department=a%00b', 'figures?indicator=a%00b'])
      expect((await get(t.app, `/api/years/2025/${q}`)).status, q).toBe(400)
    const ev = await request(t.app.server)
      .patch(`/api/years/2025/problems/${encodeURIComponent('kindergarten_coverage:community:C2')}`)
      .set(as('reviewer'))
      .send({ note: 'a\u0000b' })
    expect([ev.status, ev.body.error.code]).toEqual([400, 'CC_OPTION_INVALID'])
    const asReviewer = await request(t.app.server).put('/api/years/2025/figures').set(as('reviewer')).send(green)
    expect([asReviewer.status, asReviewer.body.error.code]).toEqual([403, 'CC_FORBIDDEN'])
  })

  it('bulk entry from the generated template: all rows or none', async () => {
    const tpl = await request(t.app.server)
      .get(`/api/years/2025/figures/template?department=${encodeURIComponent('水务局')}`)
      .buffer(true)
      .parse((res, cb) => {
        const parts: Buffer[] = []
        res.on('data', (c: Buffer) => parts.push(c))
        res.on('end', () => cb(null, Buffer.concat(parts)))
      })
    expect(tpl.status).toBe(200)
    const wb = new ExcelJS.Workbook()
    await wb.xlsx.load(tpl.body)
    const ws = wb.worksheets[0]
    expect(ws.getRow(2).getCell(1).value).toBe('指标代码 Code')
    const rowOf = (code: string) => [3, 4].find((r) => ws.getRow(r).getCell(1).value === code)!
    const fill = async (water: unknown) => {
      const w = rowOf('severe_waterlogging_points')
      const e = rowOf('emergency_water_supply_rate')
      ws.getRow(w).getCell(7).value = water as number
      ws.getRow(e).getCell(7).value = 96
      for (const r of [w, e]) {
        ws.getRow(r).getCell(9).value = '水务局 2025 年汛期台账'
        ws.getRow(r).getCell(11).value = '2025-10'
      }
      return Buffer.from(await wb.xlsx.writeBuffer())
    }
    const before = (await t.db.knex('figure_values').where({ department: '水务局' })).length
    const bad = await request(t.app.server)
      .post('/api/years/2025/figures/import')
      .set(as('water'))
      .field('submit', 'true')
      .attach('file', await fill(2.5), '水务局.xlsx')
    expect([bad.status, bad.body.error.code]).toEqual([422, 'CC_FIGURE_INVALID'])
    expect(bad.body.error.message).toMatch(/文件 水务局\.xlsx 第 \d 行.*严重易涝积水点数量.*整数/)
    expect((await t.db.knex('figure_values').where({ department: '水务局' })).length).toBe(before)
    const ok = await request(t.app.server)
      .post('/api/years/2025/figures/import')
      .set(as('water'))
      .field('submit', 'true')
      .attach('file', await fill(3), '水务局.xlsx')
    expect(ok.status, JSON.stringify(ok.body)).toBe(201)
    expect(ok.body).toMatchObject({ rows: 2, submitted: 2 })
    await review({ indicator: 'severe_waterlogging_points', level: 'city', unit: CITY, action: 'accept' })
    const prog = (await get(t.app, '/api/years/2025/figures/progress')).body.departments
    const water = prog.find((d: { department: string }) => d.department === '水务局')
    expect(water).toMatchObject({ owed: 2, submitted: 1, accepted: 1, missing: 0, late: false })
    await request(t.app.server)
      .put('/api/years/2025/figures/deadlines')
      .set(as('reviewer'))
      .send({ department: '体育局', due: '2020-03-31' })
      .expect(200)
    const sport = (await get(t.app, '/api/years/2025/figures/progress')).body.departments.find(
      (d: { department: string }) => d.department === '体育局',
    )
    expect(sport).toMatchObject({ late: true, deadline: '2020-03-31', accepted: 0 })
  })

  it('the scorecard mixes the four sources, says why data is missing and compares with last year', async () => {
    // A survey figure with its sample size, and last year's green-building share.
    const sat = { indicator: 'resident_satisfaction', level: 'city', unit: CITY }
    await put('office', {
      ...sat,
      value: 82.5,
      sampleSize: 1200,
      source: '第三方问卷',
      asOf: '2025-11',
      submit: true,
    }).expect(200)
    await review({ ...sat, action: 'accept' }).expect(200)
    await put('housing', { ...green, value: 70, source: '年报', asOf: '2024年末', submit: true }, 2024).expect(200)
    await review({ ...green, action: 'accept' }, 2024).expect(200)
    const card = (await get(t.app, '/api/years/2025/scorecard')).body
    const row = (code: string) => card.rows.find((r: { code: string }) => r.code === code)
    // 空间计算: B1's 100 m² of 1,400 m² residential footprint is within 300 m of K1.
    expect(row('kindergarten_coverage')).toMatchObject({ evaluation: '未达标', warning: '红色', obtained: '空间计算' })
    expect(row('kindergarten_coverage').value).toBeCloseTo((100 / 1400) * 100, 3)
    expect(row('kindergarten_coverage').previous).toBe(0) // 2024's kindergarten reached no one
    // 体检采集: nothing inspected → no data, with the reason from the run.
    expect(row('housing_gas_hazard')).toMatchObject({ value: null, evaluation: '无数据', obtained: '体检采集' })
    expect(row('housing_gas_hazard').noData.zh).toMatch(/检查记录/)
    // 部门填报: accepted 85 against ≥ 100 → 15 % short, yellow; 70 last year.
    expect(row('green_building_share')).toMatchObject({
      value: 85,
      evaluation: '未达标',
      warning: '黄色',
      previous: 70,
      change: 15,
      department: '住房和城乡建设局',
    })
    expect(row('severe_waterlogging_points')).toMatchObject({ value: 3, evaluation: '未达标', warning: '红色' })
    // Submitted but not yet accepted, and never reported: both no data, each saying why.
    expect(row('emergency_water_supply_rate')).toMatchObject({ value: null, noData: { zh: '已提交，待审核' } })
    expect(row('old_gas_network_renewal_rate')).toMatchObject({ value: null, noData: { zh: '未填报' } })
    // 问卷调查 without a target.
    expect(row('resident_satisfaction')).toMatchObject({ value: 82.5, evaluation: '无标准', sampleSize: 1200 })
    expect(card.summary.noData).toBeGreaterThan(5)
    // Accepted figures that miss their targets are 问题清单 rows too, graded by the same rule, and can be assigned.
    const listed = (await get(t.app, '/api/years/2025/problems?level=city')).body.problems
    const gb = listed.find((p: { indicator: string }) => p.indicator === 'green_building_share')
    expect(gb).toMatchObject({ id: `green_building_share:city:${CITY}`, value: 85, target: 100, severity: '较重' })
    expect(gb.suggestion).toMatch(/住房和城乡建设局/)
    const wl = listed.find((p: { indicator: string }) => p.indicator === 'severe_waterlogging_points')
    expect(wl).toMatchObject({ value: 3, severity: '严重' }) // a 底线 count over its limit
    expect(listed.some((p: { indicator: string }) => p.indicator === 'emergency_water_supply_rate')).toBe(false) // not accepted
    await request(t.app.server)
      .patch(`/api/years/2025/problems/${encodeURIComponent(gb.id)}`)
      .set(as('reviewer'))
      .send({ assignee: '住房和城乡建设局', deadline: '2030-12-31' })
      .expect(200)
    const xlsx = await request(t.app.server).get('/api/years/2025/scorecard?format=xlsx')
    expect(xlsx.status).toBe(200)
    expect(xlsx.headers['content-type']).toContain('spreadsheetml')
  })

  it('imports a 城检办 indicator table: known rows keep their computation, new rows are reported; bad cells refuse it', async () => {
    const table = async (rows: (string | number)[][]) => {
      const wb = new ExcelJS.Workbook()
      const ws = wb.addWorksheet('指标体系')
      ws.addRow(['2025年城市体检指标体系'])
      ws.addRow(['序号', '维度', '指标', '单位', '目标值', '类型', '责任单位', '数据来源'])
      for (const r of rows) ws.addRow(r)
      return Buffer.from(await wb.xlsx.writeBuffer())
    }
    const rows = [
      [1, '城区', '人均公园绿地面积', 'm²/人', '≥9', '国家基础/导向', '市园林局', '遥感与图层计算'],
      [2, '', '新建建筑中绿色建筑占比', '%', '100%', '国家基础/导向', '市住建局', '部门统计'],
      [3, '', '城市夜景照明达标率', '%', '≥90', '市特色', '市城管局', '部门填报'],
      [4, '街区', '居民对街区环境满意度', '%', '', '市特色', '城检办', '问卷调查'],
    ]
    const bad = await request(t.app.server)
      .put('/api/years/2026/system')
      .set(as('reviewer'))
      .attach(
        'file',
        await table([...rows, [5, '城区', '某指标', '%', '很高', '市特色', '某局', '部门填报']]),
        '体系.xlsx',
      )
    expect([bad.status, bad.body.error.code]).toEqual([422, 'CC_SYSTEM_TABLE_INVALID'])
    expect(bad.body.error.message).toMatch(/第 7 行“目标值”列无效/)
    expect((await get(t.app, '/api/years/2026/system')).body.from).toBe('shipped')
    const ok = await request(t.app.server)
      .put('/api/years/2026/system')
      .set(as('reviewer'))
      .attach('file', await table(rows), '体系.xlsx')
    expect(ok.status, JSON.stringify(ok.body)).toBe(200)
    expect(ok.body).toMatchObject({ count: 4, matched: 2, targetsChanged: ['park_per_capita'] })
    expect(ok.body.added).toHaveLength(2)
    const sys = (await get(t.app, '/api/years/2026/system')).body
    expect(sys.from).toBe('table')
    const by = (zh: string) => sys.entries.find((e: { zh: string }) => e.zh === zh)
    expect(by('人均公园绿地面积')).toMatchObject({ obtained: '空间计算', department: '市园林局', target: { value: 9 } })
    expect(by('新建建筑中绿色建筑占比')).toMatchObject({
      obtained: '部门填报',
      department: '市住建局',
      dimension: '城区',
    })
    expect(by('城市夜景照明达标率')).toMatchObject({ obtained: '部门填报', tier: '市特色', target: { value: 90 } })
    expect(by('居民对街区环境满意度')).toMatchObject({ obtained: '问卷调查', dimension: '街区' })
    // The computed target went into the year's config, so the next run grades by it.
    expect((await get(t.app, '/api/years/2026/indicator-config')).body.config.targets.park_per_capita).toEqual({
      value: 9,
      direction: '>=',
    })
    const tasks = (await get(t.app, '/api/years/2026/figures/tasks')).body.tasks
    expect(tasks.map((x: { department: string }) => x.department).sort()).toEqual(['城检办', '市住建局', '市城管局'])
  })

  it('the 整改 loop: assign with a deadline, the department works it, asks to close with evidence, the reviewer closes', async () => {
    const id = 'kindergarten_coverage:community:C1'
    const rectify = (who: string, body: Record<string, unknown>) =>
      request(t.app.server)
        .post(`/api/years/2025/problems/${encodeURIComponent(id)}/rectify`)
        .set(as(who))
        .send(body)
    const notYet = await rectify('edu', { status: '整改中' })
    expect([notYet.status, notYet.body.error.code]).toEqual([403, 'CC_NOT_YOUR_DEPARTMENT']) // not assigned yet
    await request(t.app.server)
      .patch(`/api/years/2025/problems/${encodeURIComponent(id)}`)
      .set(as('reviewer'))
      .send({ assignee: '教育局', deadline: '2020-06-30' })
      .expect(200)
    let list = (await get(t.app, `/api/years/2025/problems?assignee=${encodeURIComponent('教育局')}`)).body.problems
    expect(list).toHaveLength(1)
    expect(list[0]).toMatchObject({ id, status: '待整改', deadline: '2020-06-30', overdue: true })
    expect(list[0].suggestionEn).toBe(
      '一社区: 64 residents (2 homes) live more than 300 m from kindergarten: add one in existing buildings, on vacant land or in a renewal project, where uncovered homes cluster.',
    )
    expect((await rectify('water', { status: '整改中' })).body.error.code).toBe('CC_NOT_YOUR_DEPARTMENT')
    expect((await rectify('edu', { status: '整改中', note: '已选址' })).status).toBe(200)
    const noEvidence = await rectify('edu', { status: '申请销号' })
    expect([noEvidence.status, noEvidence.body.error.code]).toEqual([409, 'CC_PROBLEM_TRANSITION'])
    expect(noEvidence.body.error.message).toMatch(/佐证/)
    const skip = await rectify('edu', { status: '已销号' })
    expect(skip.body.error.code).toBe('CC_PROBLEM_TRANSITION')
    const att = await request(t.app.server)
      .post('/api/attachments')
      .set(as('edu'))
      .attach('file', Buffer.from('%PDF-1.4\n验收报告'), '验收.pdf')
    expect(att.status).toBe(201)
    const evil = await request(t.app.server)
      .post('/api/attachments')
      .set(as('edu'))
      .attach('file', Buffer.from([0x4d, 0x5a, 0, 0, 1, 2, 3, 0]), '验收.pdf')
    expect([evil.status, evil.body.error.code]).toEqual([415, 'CC_ATTACHMENT_INVALID'])
    const ask = await rectify('edu', {
      status: '申请销号',
      evidence: '新建幼儿园已开园',
      evidenceAttachment: att.body.id,
    })
    expect(ask.status, JSON.stringify(ask.body)).toBe(200)
    const dl = await request(t.app.server).get(`/api/attachments/${att.body.id}`)
    expect(dl.headers['content-disposition']).toMatch(/^attachment/)
    await request(t.app.server)
      .patch(`/api/years/2025/problems/${encodeURIComponent(id)}`)
      .set(as('reviewer'))
      .send({ status: '已销号' })
      .expect(200)
    list = (await get(t.app, `/api/years/2025/problems?assignee=${encodeURIComponent('教育局')}`)).body.problems
    expect(list[0]).toMatchObject({ status: '已销号', overdue: false, evidence: '新建幼儿园已开园' })
    const steps = await t.db
      .knex('problem_events')
      .where({ year: 2025, unit_code: 'C1', indicator: 'kindergarten_coverage' })
    expect(steps.map((s) => s.status)).toEqual(['待整改', '整改中', '申请销号', '已销号'])
  })

  it('成效: last year’s closed problems, improved or not', async () => {
    // 2024: C1 had no kindergarten (0 %) and no nursery within reach (0 %); both were closed.
    for (const id of ['kindergarten_coverage:community:C1', 'nursery_coverage:community:C1'])
      await request(t.app.server)
        .patch(`/api/years/2024/problems/${encodeURIComponent(id)}`)
        .set(as('reviewer'))
        .send({ status: '已销号', assignee: '教育局' })
        .expect(200)
    const e = (await get(t.app, '/api/years/2025/effect')).body
    expect(e.closedLastYear).toBe(2)
    const k = e.items.find((i: { indicator: string }) => i.indicator === 'kindergarten_coverage')
    expect(k).toMatchObject({ before: 0, verdict: '有改善未达标' })
    expect(k.now).toBeCloseTo((100 / 300) * 100, 3) // B1 of C1's 300 m²
    expect(e.notImproved.map((i: { indicator: string }) => i.indicator)).toEqual(['nursery_coverage'])
  })

  it('a city export carries the figures, the system, the attachments and the 整改 state; a restore keeps them', async () => {
    const exp = await request(t.app.server)
      .get(`/api/cities/${CITY}/export`)
      .set(AUTH)
      .buffer(true)
      .parse((r, cb) => {
        const parts: Buffer[] = []
        r.on('data', (c: Buffer) => parts.push(c))
        r.on('end', () => cb(null, Buffer.concat(parts)))
      })
    expect(exp.status).toBe(200)
    const r = await request(t.app.server)
      .post('/api/cities/restore')
      .set(AUTH)
      .field('as', '990300')
      .attach('file', exp.body as Buffer, 'c.ndjson.gz')
    expect(r.status, JSON.stringify(r.body)).toBe(201)
    const count = async (table: string, city: string) => (await t.db.knex(table).where({ city })).length
    for (const table of ['figure_values', 'figure_events', 'figure_deadlines', 'indicator_systems', 'attachments'])
      expect(await count(table, '990300'), table).toBe(await count(table, CITY))
    const closed = await t.db
      .knex('problem_status')
      .where({ city: '990300', year: 2025, indicator: 'kindergarten_coverage', unit_code: 'C1' })
      .first()
    expect(closed).toMatchObject({ status: '已销号', assignee: '教育局', evidence: '新建幼儿园已开园' })
    const att = await t.db.knex('attachments').where({ id: closed.evidence_attachment }).first('city', 'name')
    expect(att).toEqual({ city: '990300', name: '验收.pdf' })
    // Dropped again, so the routes without a city still mean the test city.
    await request(t.app.server).delete('/api/cities/990300').set(AUTH).expect(200)
  })

  it('writes the 体检报告 draft as a DOCX with chapters, tables, a map and both appendices', async () => {
    const res = await request(t.app.server)
      .get('/api/years/2025/report.docx')
      .buffer(true)
      .parse((r, cb) => {
        const parts: Buffer[] = []
        r.on('data', (c: Buffer) => parts.push(c))
        r.on('end', () => cb(null, Buffer.concat(parts)))
      })
    expect(res.status).toBe(200)
    const files = unzipSync(new Uint8Array(res.body))
    const xml = strFromU8(files['word/document.xml'])
    const text = xml.replace(/<[^>]+>/g, '')
    for (const h of ['一、城市概况', '二、住房', '三、小区（社区）', '四、街区', '五、城区', '附录一', '附录二'])
      expect(text).toContain(h)
    expect(text).toContain('新建建筑中绿色建筑占比')
    expect(text).toContain('甲街道二社区幼儿园服务半径覆盖率为 0%，目标 100%（严重）。')
    expect(text).toContain('全市职住比为 0.5（严重）') // a ratio has no unit to print
    expect((xml.match(/<w:tbl>/g) ?? []).length).toBeGreaterThanOrEqual(8)
    const media = Object.keys(files).filter((f) => /^word\/media\/.+\.png$/.test(f))
    expect(media.length).toBeGreaterThanOrEqual(1)
    expect((await sharp(Buffer.from(files[media[0]])).metadata()).width).toBe(1200)
  })

  it('renders the draft’s first pages to PNG with LibreOffice, where it is installed', async (ctx) => {
    const soffice = ['/usr/bin/soffice', '/usr/bin/libreoffice'].find((p) => fs.existsSync(p))
    if (!soffice || !fs.existsSync('/usr/bin/pdftoppm')) return ctx.skip()
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-docx-'))
    fs.writeFileSync(path.join(dir, 'report.docx'), await reportDocx(t.db.knex, CITY, 2025))
    // DOCX → PDF (LibreOffice) → the first two pages as PNG (poppler).
    const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { timeout: 120_000, stdio: 'ignore' })
    run(soffice, [
      '--headless',
      `-env:UserInstallation=file://${dir}/profile`,
      '--convert-to',
      'pdf',
      '--outdir',
      dir,
      path.join(dir, 'report.docx'),
    ])
    run('/usr/bin/pdftoppm', [
      '-png',
      '-r',
      '50',
      '-f',
      '1',
      '-l',
      '2',
      path.join(dir, 'report.pdf'),
      path.join(dir, 'page'),
    ])
    const pages = fs.readdirSync(dir).filter((f) => /^page-\d+\.png$/.test(f))
    expect(pages).toHaveLength(2)
    for (const page of pages) {
      const { data, info } = await sharp(path.join(dir, page)).greyscale().raw().toBuffer({ resolveWithObject: true })
      expect(info.width).toBeGreaterThan(300)
      // A page with text on it: a share of the pixels are not white.
      let ink = 0
      for (const v of data) if (v < 200) ink++
      expect(ink / data.length).toBeGreaterThan(0.003)
    }
    fs.rmSync(dir, { recursive: true, force: true })
  }, 150_000)
})
