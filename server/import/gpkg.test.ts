// GeoPackage upload: a file written here with better-sqlite3 (the GPKG tables, GP-header geometry
// blobs with and without an envelope, an empty geometry, a CGCS2000 Gauss-Kruger CRS), a file with
// several layers, and the real Haidian GeoPackage where ../shared is present.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import wkx from 'wkx'
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../test/helpers/app.ts'
import { HAIDIAN } from '../../test/helpers/paths.ts'
import { get, upload } from '../../test/helpers/upload.ts'
import { gpkgWkb } from './readers/gpkg.ts'

/** GP header: magic, version 0, flags (little endian, envelope kind), srs id, envelope; then WKB. */
function gpBlob(g: object | null, srs: number, envelope: boolean): Buffer {
  const flags = 0x01 | (envelope ? 0x02 : 0) | (g ? 0 : 0x10)
  const head = Buffer.alloc(8)
  head.write('GP', 0, 'latin1')
  head[2] = 0
  head[3] = flags
  head.writeInt32LE(srs, 4)
  const wkb = g ? wkx.Geometry.parseGeoJSON(g).toWkb() : Buffer.alloc(0)
  return Buffer.concat([head, envelope ? Buffer.alloc(32) : Buffer.alloc(0), wkb])
}

function geopackage(layers: { name: string; srs: number; rows: { name: string; g: object | null }[] }[]): Buffer {
  const file = path.join(os.tmpdir(), `cc-${process.pid}-${Math.random().toString(36).slice(2)}.gpkg`)
  const db = new Database(file)
  db.exec(`CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT, srs_id INTEGER PRIMARY KEY, organization TEXT, organization_coordsys_id INTEGER, definition TEXT, description TEXT);
    CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT, identifier TEXT, srs_id INTEGER);
    CREATE TABLE gpkg_geometry_columns (table_name TEXT, column_name TEXT, geometry_type_name TEXT, srs_id INTEGER, z INTEGER, m INTEGER);`)
  db.prepare('INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)').run(
    'CGCS2000 / 3-degree GK CM 117E',
    4548,
    'EPSG',
    4548,
    'undefined',
    null,
  )
  for (const l of layers) {
    db.exec(`CREATE TABLE "${l.name}" (fid INTEGER PRIMARY KEY, geom BLOB, 名称 TEXT)`)
    db.prepare('INSERT INTO gpkg_contents VALUES (?, ?, ?, ?)').run(l.name, 'features', l.name, l.srs)
    db.prepare('INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, ?, 0, 0)').run(l.name, 'geom', 'MULTIPOLYGON', l.srs)
    l.rows.forEach((r, i) => {
      db.prepare(`INSERT INTO "${l.name}" (geom, 名称) VALUES (?, ?)`).run(gpBlob(r.g, l.srs, i % 2 === 0), r.name)
    })
  }
  db.close()
  const buf = fs.readFileSync(file)
  fs.unlinkSync(file)
  return buf
}

const sq = (x: number, y: number, s: number) => ({
  type: 'Polygon',
  coordinates: [
    [
      [x, y],
      [x + s, y],
      [x + s, y + s],
      [x, y + s],
      [x, y],
    ],
  ],
})

describe('GeoPackage upload', () => {
  const t = useTestApp()

  it('reads the GP header with and without an envelope and refuses a blob without the magic', () => {
    expect(gpkgWkb(gpBlob({ type: 'Point', coordinates: [1, 2] }, 4326, true))?.length).toBe(21)
    expect(gpkgWkb(gpBlob(null, 4326, false))).toBeNull()
    expect(() => gpkgWkb(Buffer.from('XX000000'))).toThrow(/GP magic/)
  })

  it('uploads a layer in a Gauss-Kruger CRS named by gpkg_spatial_ref_sys', async () => {
    const gpkg = geopackage([
      {
        name: 'jiedao',
        srs: 4548,
        rows: [
          { name: '东街道', g: sq(500000, 3520000, 1000) },
          { name: '西街道', g: sq(501000, 3520000, 1000) },
        ],
      },
    ])
    const r = await upload(t.app, 2025, 'streets', gpkg, '街道.gpkg', { fields: { name: '名称' } })
    expect(r.status, JSON.stringify(r.body)).toBe(201)
    expect(r.body).toMatchObject({ featureCount: 2, format: 'geopackage', crs: 'EPSG:4548' })
    const back = await get(t.app, '/api/years/2025/layers/streets')
    expect(back.body.features.map((f: { properties: { name: string } }) => f.properties.name)).toEqual([
      '东街道',
      '西街道',
    ])
    // 117°E is the zone's central meridian: the first square starts there.
    expect(back.body.features[0].geometry.coordinates[0][0][0][0]).toBeCloseTo(117, 6)
  })

  it('asks which layer when the file holds several, and refuses an unknown one', async () => {
    const gpkg = geopackage([
      { name: 'a', srs: 4548, rows: [{ name: 'x', g: sq(500000, 3520000, 100) }] },
      { name: 'b', srs: 4548, rows: [{ name: 'y', g: sq(500000, 3520000, 100) }] },
    ])
    const r = await upload(t.app, 2025, 'streets', gpkg, 'two.gpkg')
    expect(r.status).toBe(400)
    expect(r.body.error).toMatchObject({ code: 'CC_OPTION_INVALID', field: 'gpkgLayer' })
    expect(r.body.error.message).toMatch(/a, b/)
    const bad = await upload(t.app, 2025, 'streets', gpkg, 'two.gpkg', { gpkgLayer: 'c' })
    expect(bad.status).toBe(400)
    const ok = await upload(t.app, 2025, 'streets', gpkg, 'two.gpkg', { gpkgLayer: 'b', fields: { name: '名称' } })
    expect(ok.status, JSON.stringify(ok.body)).toBe(201)
  })

  it('refuses a SQLite file that is not a GeoPackage', async () => {
    const file = path.join(os.tmpdir(), `cc-${process.pid}-plain.sqlite`)
    const db = new Database(file)
    db.exec('CREATE TABLE x (a)')
    db.close()
    const r = await upload(t.app, 2025, 'streets', fs.readFileSync(file), 'x.gpkg')
    fs.unlinkSync(file)
    expect(r.status).toBe(400)
    expect(r.body.error.message).toMatch(/不是 GeoPackage/)
  })

  it.skipIf(!fs.existsSync(path.join(HAIDIAN, 'beijing-haidian.gpkg')))(
    'uploads the real Haidian GeoPackage’s 街道 layer',
    async () => {
      const r = await upload(
        t.app,
        2025,
        'streets',
        fs.readFileSync(path.join(HAIDIAN, 'beijing-haidian.gpkg')),
        'beijing-haidian.gpkg',
        {
          gpkgLayer: 'jiedao',
        },
      )
      expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(201)
      expect(r.body.featureCount).toBe(29)
    },
  )
})
