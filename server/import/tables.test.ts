// Layer tables as XLSX, and tables without coordinates placed by unit code (jobs per 社区, commuting
// OD between 社区): each row lands inside the unit it names; a code no unit has refuses the file.
import ExcelJS from 'exceljs'
import proj4 from 'proj4'
import { beforeAll, describe, expect, it } from 'vitest'
import { useTestApp } from '../../test/helpers/app.ts'
import { CRS, X0, Y0, fixture } from '../../test/helpers/city-fixture.ts'
import { get, upload } from '../../test/helpers/upload.ts'
import { gaussKrugerEpsg } from './crs.ts'

async function xlsx(rows: (string | number)[][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook()
  const ws = wb.addWorksheet('表1')
  for (const r of rows) ws.addRow(r)
  return Buffer.from(await wb.xlsx.writeBuffer())
}
const lonLat = (x: number, y: number) =>
  proj4(gaussKrugerEpsg(4548)!.proj!, 'EPSG:4326').forward([X0 + x, Y0 + y]) as [number, number]

describe('tables: XLSX layers and rows placed by unit code', () => {
  const t = useTestApp()
  beforeAll(async () => {
    for (const layer of ['streets', 'communities'] as const)
      expect((await upload(t.app, 2025, layer, fixture[layer], `${layer}.geojson`, CRS)).status).toBe(201)
  })

  it('jobs per 社区 from an XLSX without coordinates: each row inside its 社区', async () => {
    const file = await xlsx([
      ['code', '单位名称', '社区代码', '就业人数'],
      ['J1', '甲厂', 'C1', 100],
      ['J2', '乙店', 'C2', 50],
      ['J3', '街道办', 'S1', 20],
    ])
    const r = await upload(t.app, 2025, 'jobs', file, '岗位.xlsx')
    expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(201)
    expect(r.body).toMatchObject({ featureCount: 3, format: 'xlsx' })
    const inside = await t.db.knex.raw(`
      SELECT j.code, c.code AS unit FROM jobs j
      JOIN layer_current lj ON lj.upload_id = j.upload_id AND lj.layer = 'jobs'
      LEFT JOIN communities c ON c.upload_id = (SELECT upload_id FROM layer_current WHERE layer = 'communities')
        AND ST_Contains(c.geom, j.geom)
      ORDER BY j.code`)
    expect(inside.rows.map((x: { code: string; unit: string }) => [x.code, x.unit])).toEqual([
      ['J1', 'C1'],
      ['J2', 'C2'],
      ['J3', expect.any(String)], // inside S1, so inside one of its 社区
    ])
  })

  it('a code no unit has refuses the whole table, naming the row; nothing is stored', async () => {
    const before = (await get(t.app, '/api/years/2025/layers/jobs/versions')).body.versions.length
    const file = await xlsx([
      ['code', '社区代码', '就业人数'],
      ['J1', 'C1', 100],
      ['J9', 'C9', 5],
    ])
    const r = await upload(t.app, 2025, 'jobs', file, '岗位.xlsx')
    expect(r.status).toBe(422)
    expect(r.body.error.message).toContain('岗位.xlsx')
    expect(JSON.stringify(r.body)).toMatch(/第 2 个要素.*C9/)
    expect((await get(t.app, '/api/years/2025/layers/jobs/versions')).body.versions.length).toBe(before)
  })

  it('commuting OD between 社区 as CSV, placed at the destination 社区', async () => {
    const csv = 'origin_code,dest_code,count\nC1,C2,30\nC2,C1,10\n'
    const r = await upload(t.app, 2025, 'commutes', Buffer.from(csv), 'od.csv')
    expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(201)
    expect(r.body.featureCount).toBe(2)
  })

  it('a layer that needs coordinates refuses a table without them; an XLSX with lon/lat is read', async () => {
    const noXY = await xlsx([
      ['code', 'use'],
      ['B1', '住宅'],
    ])
    const r = await upload(t.app, 2025, 'buildings', noXY, '建筑.xlsx')
    expect([r.status, r.body.error.code]).toEqual([400, 'CC_PARSE_FAILED'])
    expect(r.body.error.message).toMatch(/经度\/纬度列.*WKT/)
    const [lon, lat] = lonLat(200, 800)
    const fac = await xlsx([
      ['name', 'type', '经度', '纬度'],
      ['K1', '幼儿园', lon, lat],
    ])
    const f = await upload(t.app, 2025, 'facilities', fac, '设施.xlsx')
    expect(f.status, JSON.stringify(f.body).slice(0, 300)).toBe(201)
    expect(f.body).toMatchObject({ featureCount: 1, format: 'xlsx' })
  })
})

describe('the upload form in the API docs', () => {
  const t = useTestApp()
  it('documents every multipart route’s file and fields, so /docs can send one', async () => {
    const doc = (await get(t.app, '/docs/json')).body
    const up =
      doc.paths['/api/cities/{city}/years/{year}/layers/{layer}'].post.requestBody.content['multipart/form-data']
    expect(up.schema.properties.file).toMatchObject({ type: 'string', format: 'binary' })
    expect(Object.keys(up.schema.properties)).toEqual(
      expect.arrayContaining(['crs', 'encoding', 'gpkgLayer', 'fields']),
    )
    expect(up.schema.required).toEqual(['file'])
    for (const [path, ops] of Object.entries(doc.paths) as [
      string,
      Record<string, { requestBody?: { content: Record<string, unknown> } }>,
    ][])
      for (const op of Object.values(ops)) {
        const form = op.requestBody?.content?.['multipart/form-data'] as
          | { schema?: { properties?: object } }
          | undefined
        if (form) expect(form.schema?.properties, path).toBeDefined()
      }
  })
})
