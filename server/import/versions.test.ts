// All-or-nothing uploads, version history, restore, per-year editions, interrupted uploads.
import { describe, expect, it } from 'vitest'
import request from 'supertest'
import { AUTH, TEST_CITY, useTestApp } from '../../test/helpers/app.ts'
import { geojson, polygonF, rect } from '../../test/helpers/fixtures.ts'
import { get, upload } from '../../test/helpers/upload.ts'
import { importLayer } from './pipeline.ts'
import { admin } from '../../test/helpers/pg.ts'

const streets = (names: string[]) =>
  geojson(names.map((n, i) => polygonF(rect(i * 100, 0, i * 100 + 90, 90), { code: `S${i}`, name: n })))
const names = async (t: ReturnType<typeof useTestApp>, year: number) =>
  (await get(t.app, `/api/years/${year}/layers/streets`)).body.features.map(
    (f: { properties: { name: string } }) => f.properties.name,
  )

describe('versions and atomicity', () => {
  const t = useTestApp({ CITYCHECK_KEEP_VERSIONS: '2' })

  it('a failed upload leaves the previous version untouched; a good one replaces it', async () => {
    const v1 = await upload(t.app, 2025, 'streets', streets(['一', '二', '三']), 'v1.geojson')
    expect(v1.status).toBe(201)
    // Fails in the database stage (GEOS validity), after rows were already written to the new partition.
    const bad = geojson([
      polygonF(rect(0, 0, 10, 10), { code: 'X' }),
      polygonF(
        [
          [117.2, 31.8],
          [117.21, 31.81],
          [117.21, 31.8],
          [117.2, 31.81],
          [117.2, 31.8],
        ],
        { code: 'Y' },
      ),
    ])
    expect((await upload(t.app, 2025, 'streets', bad, 'v2.geojson')).status).toBe(422)
    expect(await names(t, 2025)).toEqual(['一', '二', '三'])
    const leftovers = await t.db.knex.raw(`SELECT count(*)::int n FROM pg_tables WHERE tablename LIKE 'streets_u%'`)
    expect(leftovers.rows[0].n).toBe(1) // only v1's partition; the failed one was rolled back
    const v3 = await upload(t.app, 2025, 'streets', streets(['甲', '乙']), 'v3.geojson')
    expect(v3.status).toBe(201)
    expect(await names(t, 2025)).toEqual(['甲', '乙'])
  })

  it('lists versions, restores an earlier one, and keeps only the configured number', async () => {
    const list = await get(t.app, '/api/years/2025/layers/streets/versions')
    expect(list.body.versions.map((v: { file_name: string; current: boolean }) => [v.file_name, v.current])).toEqual([
      ['v3.geojson', true],
      ['v1.geojson', false],
    ])
    // Numbered per layer and year (the failed upload between them is no version): v1 and v2.
    expect(list.body.versions.map((v: { label: string }) => v.label)).toEqual(['v2', 'v1'])
    const v1 = list.body.versions[1].version
    const restored = await request(t.app.server).post(`/api/years/2025/layers/streets/versions/v1/restore`).set(AUTH)
    expect(restored.status).toBe(200)
    expect(restored.body.version).toBe(v1)
    expect(await names(t, 2025)).toEqual(['一', '二', '三'])
    // The upload id names the same version; v0, v9 and words name none.
    await request(t.app.server).post(`/api/years/2025/layers/streets/versions/${v1}/restore`).set(AUTH).expect(200)
    for (const bad of ['v0', 'v9', 'v9999999999', 'latest', '1e3', '99999999999'])
      expect(
        (await request(t.app.server).post(`/api/years/2025/layers/streets/versions/${bad}/restore`).set(AUTH)).body
          .error.code,
        bad,
      ).toBe('CC_VERSION_NOT_FOUND')
    expect(
      (await request(t.app.server).post(`/api/years/2025/layers/streets/versions/999999/restore`).set(AUTH)).body.error
        .code,
    ).toBe('CC_VERSION_NOT_FOUND')
    // Rows derived from an upload (network/cache.ts) go when it is dropped; others stay.
    const cached = (key: string, uploads: number[]) =>
      t.db.knex('derived_cache').insert({ key, city: TEST_CITY, kind: 'graph', uploads, data: Buffer.from([1]) })
    await cached('graph:from-v1', [Number(v1), 999998])
    await cached('graph:from-others', [999999])
    // KEEP_VERSIONS=2: after two more uploads, the oldest non-current version is dropped.
    await upload(t.app, 2025, 'streets', streets(['四']), 'v4.geojson')
    await upload(t.app, 2025, 'streets', streets(['五']), 'v5.geojson')
    await upload(t.app, 2025, 'streets', streets(['六']), 'v6.geojson')
    const after = (await get(t.app, '/api/years/2025/layers/streets/versions')).body.versions
    expect(
      after.filter((v: { restorable: boolean }) => v.restorable).map((v: { file_name: string }) => v.file_name),
    ).toEqual(['v6.geojson', 'v5.geojson', 'v4.geojson'])
    expect(after.find((v: { file_name: string }) => v.file_name === 'v1.geojson').status).toBe('dropped')
    expect((await t.db.knex('derived_cache').select('key')).map((r) => r.key)).toEqual(['graph:from-others'])
  })

  it('each year is its own edition; a version can be carried forward to a new year', async () => {
    await upload(t.app, 2024, 'streets', streets(['旧甲', '旧乙']), '2024.geojson')
    const before = await names(t, 2024)
    await upload(t.app, 2025, 'streets', streets(['新甲']), '2025.geojson')
    expect(await names(t, 2024)).toEqual(before)
    const v2024 = (await get(t.app, '/api/years/2024/layers/streets/versions')).body.versions[0].version
    await request(t.app.server).post(`/api/years/2026/layers/streets/versions/${v2024}/restore`).set(AUTH).expect(200)
    expect(await names(t, 2026)).toEqual(['旧甲', '旧乙'])
    // The same by 2024's own numbering: its v1, carried into 2026.
    const carried = await request(t.app.server)
      .post(`/api/years/2026/layers/streets/versions/v1/restore?fromYear=2024`)
      .set(AUTH)
    expect(carried.body.version).toBe(v2024)
    await upload(t.app, 2026, 'streets', streets(['改']), '2026.geojson')
    expect(await names(t, 2024)).toEqual(['旧甲', '旧乙']) // editing 2026 never touches 2024
    const years = (await get(t.app, '/api/years')).body.years
    expect(years).toEqual([2026, 2025, 2024])
    const layers = (await get(t.app, '/api/years/2026/layers')).body.layers
    expect(layers.find((l: { layer: string }) => l.layer === 'streets')).toMatchObject({
      featureCount: 1,
      fileName: '2026.geojson',
    })
  })

  it('an upload whose database connection dies mid-transaction (COPY, validation or indexing) leaves everything as it was', async () => {
    const before = await names(t, 2025)
    const big = geojson(
      Array.from({ length: 120_000 }, (_, i) =>
        polygonF(rect((i % 300) * 20, Math.floor(i / 300) * 20, (i % 300) * 20 + 15, Math.floor(i / 300) * 20 + 15), {
          code: `B${i}`,
          name: `楼${i}`,
        }),
      ),
    )
    const dbName = t.dbName
    const p = importLayer(
      t.db,
      {
        city: TEST_CITY,
        year: 2025,
        layer: 'streets',
        fileName: 'huge.geojson',
        buffer: big,
        uploader: 'tester',
        options: {},
      },
      t.config,
    )
    // Handled from the start: the import may fail while the loop below is still waiting for the kill's
    // reply, and a rejection nobody is listening to yet counts as unhandled.
    const outcome = p.then(
      () => null,
      (e: unknown) => e,
    )
    // Kill the import's backend as soon as it is inside its transaction (the staged partition exists).
    let killed = 0
    for (let i = 0; i < 400 && !killed; i++) {
      await new Promise((r) => setTimeout(r, 10))
      killed = await admin(
        async (c) =>
          (
            await c.query(
              `SELECT count(pg_terminate_backend(pid))::int n FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend' AND xact_start IS NOT NULL AND (query LIKE 'COPY%' OR query LIKE '%ST_IsValid%' OR query LIKE 'CREATE INDEX%' OR query LIKE 'ANALYZE%')`,
              [dbName],
            )
          ).rows[0].n,
      )
    }
    expect(killed).toBe(1)
    expect(await outcome).toBeInstanceOf(Error)
    expect(await names(t, 2025)).toEqual(before)
    const log = (await get(t.app, '/api/uploads?year=2025&layer=streets&limit=1')).body.uploads[0]
    expect(log).toMatchObject({ file_name: 'huge.geojson', status: 'failed' })
    const tables = await t.db.knex.raw(`SELECT count(*)::int n FROM pg_tables WHERE tablename = 'streets_u' || ?`, [
      log.id,
    ])
    expect(tables.rows[0].n).toBe(0)
  })
})
