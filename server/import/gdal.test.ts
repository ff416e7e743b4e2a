// Formats only GDAL reads: a zipped File Geodatabase written here by ogr2ogr itself, uploaded and
// validated like any layer; and without ogr2ogr the clear 415 that says what to install.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { zipSync } from 'fflate'
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../test/helpers/app.ts'
import { geojson, polygonF, rect } from '../../test/helpers/fixtures.ts'
import { get, upload } from '../../test/helpers/upload.ts'
import { ogr2ogr } from './readers/gdal.ts'

/** A File Geodatabase of the features, zipped with its folder, as users send one. */
function gdbZip(features: Buffer): Buffer {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-gdb-'))
  try {
    fs.writeFileSync(path.join(dir, 'in.geojson'), features)
    execFileSync(ogr2ogr()!, [
      '-f',
      'OpenFileGDB',
      path.join(dir, '街道.gdb'),
      path.join(dir, 'in.geojson'),
      '-nln',
      'jiedao',
    ])
    const files: Record<string, Uint8Array> = {}
    for (const f of fs.readdirSync(path.join(dir, '街道.gdb')))
      files[`街道.gdb/${f}`] = fs.readFileSync(path.join(dir, '街道.gdb', f))
    return Buffer.from(zipSync(files))
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** The features written by ogr2ogr in another GDAL format: the files it makes, by name. */
function gdalFiles(features: Buffer, driver: string, name: string, extra: string[] = []): Record<string, Uint8Array> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-ogr-'))
  try {
    fs.writeFileSync(path.join(dir, 'in.geojson'), features)
    fs.mkdirSync(path.join(dir, 'out'))
    execFileSync(ogr2ogr()!, ['-f', driver, ...extra, path.join(dir, 'out', name), path.join(dir, 'in.geojson')])
    const files: Record<string, Uint8Array> = {}
    for (const f of fs.readdirSync(path.join(dir, 'out'))) files[f] = fs.readFileSync(path.join(dir, 'out', f))
    return files
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

const streets = geojson([
  polygonF(rect(0, 0, 1000, 1000), { code: 'S1', name: '东街道' }),
  polygonF(rect(1000, 0, 2000, 1000), { code: 'S2', name: '西街道' }),
])

describe('formats GDAL reads', () => {
  const t = useTestApp()

  it('says which formats it reads, GDAL ones included', async () => {
    const r = await get(t.app, '/api/formats')
    expect(r.status).toBe(200)
    const gdb = r.body.formats.find((f: { format: string }) => f.format === 'filegdb')
    expect(gdb.available).toBe(ogr2ogr() !== null)
    expect(r.body.formats.map((f: { format: string }) => f.format)).toContain('geopackage')
  })

  it('uploads a zipped File Geodatabase through ogr2ogr', async () => {
    expect(ogr2ogr(), 'ogr2ogr is needed for this test: apt-get install gdal-bin (.ci/run does)').not.toBeNull()
    const r = await upload(t.app, 2025, 'streets', gdbZip(streets), '街道.zip')
    expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(201)
    expect(r.body).toMatchObject({ featureCount: 2, format: 'gdal' })
    const back = await get(t.app, '/api/years/2025/layers/streets')
    expect(back.body.features.map((f: { properties: { code: string } }) => f.properties.code).sort()).toEqual([
      'S1',
      'S2',
    ])
  })

  // What comes back must be where it was: the first vertex of S1 within `tol` degrees (1e-7° ≈ 1 cm).
  const s1 = JSON.parse(streets.toString()).features[0].geometry.coordinates[0][0] as [number, number]
  const backAgain = async (tol = 1e-7, featureCount = 2) => {
    const back = await get(t.app, '/api/years/2025/layers/streets')
    const codes = back.body.features.map((f: { properties: { code: string } }) => f.properties.code).sort()
    expect(codes).toEqual(['S1', 'S2'].slice(0, featureCount))
    const g = back.body.features.find((f: { properties: { code: string } }) => f.properties.code === 'S1').geometry
    const ring = (g.type === 'MultiPolygon' ? g.coordinates[0][0] : g.coordinates[0]) as [number, number][]
    const near = ring.some(([x, y]) => Math.abs(x - s1[0]) <= tol && Math.abs(y - s1[1]) <= tol)
    expect(near, JSON.stringify(ring.slice(0, 3))).toBe(true)
  }

  it('uploads zipped MapInfo (.tab and its parts) in a Gauss-Kruger zone, reprojected by GDAL', async () => {
    // MapInfo cannot name CGCS2000 by code: GDAL reprojects from the file's own definition.
    const files = gdalFiles(streets, 'MapInfo File', '街道.tab', ['-t_srs', 'EPSG:4548'])
    expect(Object.keys(files).sort()).toEqual(['街道.dat', '街道.id', '街道.map', '街道.tab'])
    const r = await upload(t.app, 2025, 'streets', Buffer.from(zipSync(files)), '街道-mapinfo.zip')
    expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(201)
    expect(r.body).toMatchObject({ featureCount: 2, format: 'gdal' })
    // MapInfo stores integer coordinates on a grid set by the layer's bounds: a few centimetres here.
    await backAgain(5e-7)
  })

  it('uploads KML, a KMZ and GML', async () => {
    const kml = gdalFiles(streets, 'KML', 'streets.kml')['streets.kml']
    let r = await upload(t.app, 2025, 'streets', Buffer.from(kml), 'streets.kml')
    expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(201)
    await backAgain()
    r = await upload(t.app, 2025, 'streets', Buffer.from(zipSync({ 'doc.kml': kml })), 'streets.kmz')
    expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(201)
    await backAgain()
    const gml = gdalFiles(streets, 'GML', 'streets.gml')
    r = await upload(t.app, 2025, 'streets', Buffer.from(gml['streets.gml']), 'streets.gml')
    expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(201)
    await backAgain()
    const formats = (await get(t.app, '/api/formats')).body.formats.map((f: { format: string }) => f.format)
    expect(formats).toEqual(expect.arrayContaining(['filegdb', 'mapinfo', 'kml', 'gml']))
  })

  it('a broken KML is a coded 4xx naming the file, and nothing is stored', async () => {
    const before = (await get(t.app, '/api/years/2025/layers/streets/versions')).body.versions.length
    const r = await upload(
      t.app,
      2025,
      'streets',
      Buffer.from('<?xml version="1.0"?><kml><Document><Placemark>'),
      'x.kml',
    )
    expect(r.status).toBeGreaterThanOrEqual(400)
    expect(r.status).toBeLessThan(500)
    expect(r.body.error.message).toContain('x.kml')
    expect((await get(t.app, '/api/years/2025/layers/streets/versions')).body.versions.length).toBe(before)
  })

  it('without ogr2ogr, refuses a geodatabase with a 415 that says what to install', async () => {
    const zip = gdbZip(streets)
    process.env.CITYCHECK_OGR2OGR = '/nonexistent/ogr2ogr'
    try {
      const r = await upload(t.app, 2025, 'streets', zip, '街道.zip')
      expect(r.status).toBe(415)
      expect(r.body.error.code).toBe('CC_FORMAT_NEEDS_GDAL')
      expect(r.body.error.message).toMatch(/GDAL（ogr2ogr）.*File Geodatabase/)
      const f = await get(t.app, '/api/formats')
      expect(f.body.formats.find((x: { format: string }) => x.format === 'filegdb').available).toBe(false)
    } finally {
      delete process.env.CITYCHECK_OGR2OGR
    }
  })
})
