// Walking distance on the real Haidian roads (../shared/geodata) against an independent pgRouting
// computation: the same walkable-road rule written in SQL, the roads cut into segments joined at
// shared vertices (1 cm grid), buildings and facilities joined at their nearest walkable segment
// (KNN), and pgr_withPointsCost between every facility and every home, access legs added. The
// network-uncovered homes must be the same set, apart from homes within 1 m of the radius.
import fs from 'node:fs'
import path from 'node:path'
import request from 'supertest'
import { beforeAll, describe, expect, it } from 'vitest'
import { AUTH, useTestApp } from './helpers/app.ts'
import { HAIDIAN } from './helpers/paths.ts'
import { get, upload } from './helpers/upload.ts'

const present = fs.existsSync(path.join(HAIDIAN, 'roads.geojson'))
const pgrouting = fs.existsSync('/usr/share/postgresql/15/extension/pgrouting.control')

describe.skipIf(!present)('walking coverage on the real Haidian roads vs pgRouting', () => {
  const t = useTestApp()
  let v: Record<string, number>

  beforeAll(async () => {
    if (!pgrouting)
      throw new Error('pgRouting is not installed: apt-get install postgresql-15-pgrouting (.ci/run does)')
    for (const [layer, file] of [
      ['streets', 'jiedao.geojson'],
      ['residential-areas', 'landuse_residential.geojson'],
      ['buildings', 'buildings.geojson'],
      ['facilities', 'facilities.geojson'],
      ['green-spaces', 'green_spaces.geojson'],
      ['roads', 'roads.geojson'],
    ]) {
      const r = await upload(t.app, 2025, layer, fs.readFileSync(path.join(HAIDIAN, file)), file)
      expect(r.status, `${layer}: ${JSON.stringify(r.body).slice(0, 300)}`).toBe(201)
    }
    const job = await request(t.app.server).post('/api/years/2025/indicators/compute').set(AUTH)
    for (let i = 0; i < 400; i++) {
      const j = await get(t.app, job.body.status)
      if (j.body.state === 'succeeded') break
      if (j.body.state === 'failed') throw new Error(JSON.stringify(j.body.error))
      await new Promise((r) => setTimeout(r, 50))
    }
    v = Object.fromEntries((await t.db.knex('layer_current').where({ year: 2025 })).map((r) => [r.layer, r.upload_id]))
    const k = t.db.knex
    await k.raw('CREATE EXTENSION IF NOT EXISTS pgrouting')
    // Walkable roads, written independently of server/network/load.ts from the same stated rule.
    await k.raw(
      `CREATE TABLE w_seg AS
       SELECT row_number() OVER () id, s.geom FROM (
         SELECT (ST_Dump(ST_Transform(geom, 4548))).geom g FROM roads WHERE upload_id = ?
           AND coalesce(lower(foot), '') NOT IN ('no')
           AND (lower(coalesce(foot, '')) IN ('yes', 'designated', 'permissive')
                OR (coalesce(lower(access), '') <> 'no'
                    AND coalesce(lower(kind), '') NOT IN ('motorway', 'motorway_link', 'trunk', 'trunk_link', 'construction',
                      'proposed', 'raceway', 'bus_guideway', 'busway', 'escape')))) w,
         ST_DumpSegments(w.g) s WHERE ST_Length(s.geom) > 0`,
      [v.roads],
    )
    await k.raw(`CREATE TABLE w_v AS SELECT row_number() OVER () id, kx, ky FROM (
       SELECT round(ST_X(ST_StartPoint(geom)) * 100)::bigint kx, round(ST_Y(ST_StartPoint(geom)) * 100)::bigint ky FROM w_seg
       UNION SELECT round(ST_X(ST_EndPoint(geom)) * 100)::bigint, round(ST_Y(ST_EndPoint(geom)) * 100)::bigint FROM w_seg) x`)
    await k.raw(`CREATE TABLE w_e AS SELECT s.id, a.id source, b.id target, ST_Length(s.geom) cost, ST_Length(s.geom) reverse_cost, s.geom
       FROM w_seg s
       JOIN w_v a ON a.kx = round(ST_X(ST_StartPoint(s.geom)) * 100)::bigint AND a.ky = round(ST_Y(ST_StartPoint(s.geom)) * 100)::bigint
       JOIN w_v b ON b.kx = round(ST_X(ST_EndPoint(s.geom)) * 100)::bigint AND b.ky = round(ST_Y(ST_EndPoint(s.geom)) * 100)::bigint
       WHERE a.id <> b.id`)
    await k.raw('CREATE INDEX ON w_e USING gist (geom)')
    // Homes: residential by use, or of unknown use inside a 小区 (the stated rule, as in real-city-indicators).
    await k.raw(
      `CREATE TABLE w_home AS
       SELECT b.code, ST_Transform(ST_PointOnSurface(b.geom), 4548) p FROM buildings b WHERE upload_id = :b
         AND (residential OR (residential IS NULL AND EXISTS (SELECT 1 FROM residential_areas r
              WHERE r.upload_id = :r AND ST_Intersects(r.geom, ST_PointOnSurface(b.geom)))))`,
      { b: v.buildings, r: v['residential-areas'] },
    )
  }, 120_000)

  /** Homes more than `radius` walking metres (or off the network) from every facility of the types. */
  async function pgrUncovered(types: string[], radius: number) {
    const k = t.db.knex
    const near = (
      from: string,
    ) => `SELECT x.*, e.id edge_id, ST_LineLocatePoint(e.geom, x.p) fraction, ST_Distance(e.geom, x.p) leg
       FROM ${from} x CROSS JOIN LATERAL (SELECT id, geom FROM w_e ORDER BY geom <-> x.p LIMIT 1) e WHERE ST_Distance(e.geom, x.p) <= 150`
    await k.raw('DROP TABLE IF EXISTS w_pt')
    await k.raw(
      `CREATE TABLE w_pt AS
       SELECT row_number() OVER () pid, kind, code, edge_id, fraction, leg FROM (
         SELECT 'home' kind, code, edge_id, fraction, leg FROM (${near('w_home')}) h
         UNION ALL
         SELECT 'site', code, edge_id, fraction, leg FROM (${near(
           `(SELECT code, ST_Transform(geom, 4548) p FROM facilities WHERE upload_id = ${Number(v.facilities)} AND type IN (${types.map((x) => `'${x}'`).join(',')}))`,
         )}) s) u`,
    )
    const r = await k.raw(
      `WITH c AS (
         SELECT * FROM pgr_withPointsCost(
           'SELECT id, source, target, cost, reverse_cost FROM w_e',
           -- pgRouting drops points at fraction 0 or 1 (on a vertex): nudge them inside (≤ 1e-7 of the edge).
           'SELECT pid, edge_id, least(greatest(fraction, 1e-7), 1 - 1e-7) fraction, ''b''::char side FROM w_pt',
           (SELECT array_agg(-pid) FROM w_pt WHERE kind = 'site'),
           (SELECT array_agg(-pid) FROM w_pt WHERE kind = 'home'),
           directed => false))
       SELECT h.code, min(s.leg + c.agg_cost + h.leg) d FROM w_home x
         LEFT JOIN w_pt h ON h.kind = 'home' AND h.code = x.code
         LEFT JOIN c ON c.end_pid = -h.pid
         LEFT JOIN w_pt s ON s.pid = -c.start_pid
       GROUP BY h.code, x.code`,
    )
    return r.rows as { code: string | null; d: number | null }[]
  }

  it.each([
    ['kindergarten_coverage', ['kindergarten'], 300],
    ['market_coverage', ['food_market', 'supermarket'], 500],
    ['bus_stop_coverage', ['bus_stop', 'transit'], 500],
  ] as const)('%s: the same homes are out of walking reach', async (code, types, radius) => {
    const ours = await get(t.app, `/api/years/2025/indicators/${code}/gaps?model=network&limit=100000`)
    expect(ours.status, JSON.stringify(ours.body).slice(0, 200)).toBe(200)
    const mine = new Set(ours.body.features.map((f: { properties: { code: string } }) => f.properties.code))
    const theirs = await pgrUncovered([...types], radius)
    const homes = await t.db.knex('w_home').count<{ n: string }[]>('* as n')
    let compared = 0,
      borderline = 0
    const differ: string[] = []
    // Homes that pgRouting could not join (no segment within 150 m) have code null: uncovered there too.
    const all = await t.db.knex('w_home').pluck('code')
    const dist = new Map(theirs.filter((r) => r.code).map((r) => [r.code as string, r.d]))
    for (const c of all) {
      const d = dist.get(c) ?? null
      if (d != null && Math.abs(d - radius) <= 1) {
        borderline++
        continue
      }
      compared++
      const outThere = d == null || d > radius
      if (outThere !== mine.has(c)) differ.push(`${c}: pgRouting ${d?.toFixed(2) ?? 'off'}`)
    }
    expect(differ).toEqual([])
    expect(compared).toBeGreaterThan(Number(homes[0].n) * 0.9)
    expect(mine.size).toBeGreaterThan(0)
    expect(mine.size).toBeLessThan(compared + borderline)
  })
})
