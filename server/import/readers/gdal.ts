// Formats only GDAL reads (a zipped File Geodatabase, MapInfo, KML/KMZ, GML): converted to GeoJSON by
// ogr2ogr when it is installed, then read and validated like any GeoJSON upload. Without ogr2ogr the
// upload is refused with a coded error saying what to install. `GET /api/formats` says which.
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { AppError } from '../../errors.ts'
import { readGeoJson } from './geojson.ts'
import type { ReadOptions, ReadResult } from './types.ts'

const run = promisify(execFile)

/** The ogr2ogr to use: CITYCHECK_OGR2OGR, else the first on PATH; null when there is none. */
export function ogr2ogr(): string | null {
  const given = process.env.CITYCHECK_OGR2OGR
  if (given) return fs.existsSync(given) ? given : null
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, 'ogr2ogr')
    if (dir && fs.existsSync(p)) return p
  }
  return null
}

/** GDAL datasets the service routes through ogr2ogr: how each is recognised among a zip's members. */
export const GDAL_FORMATS = [
  {
    format: 'filegdb',
    zh: '压缩的 File Geodatabase（.gdb 文件夹打包为 .zip）',
    name: 'File Geodatabase',
    member: /\.gdb$/i,
  },
  {
    format: 'mapinfo',
    zh: 'MapInfo（.tab/.dat/.map/.id 或 .mif/.mid，打包为 .zip）',
    name: 'MapInfo',
    member: /\.(tab|mif)$/i,
  },
  { format: 'kml', zh: 'KML / KMZ（.kml，或内含 .kml 的 .kmz/.zip）', name: 'KML', member: /\.kml$/i },
  { format: 'gml', zh: 'GML（.gml，可带 .xsd）', name: 'GML', member: /\.gml$/i },
] as const

/** The members of a zip that belong to a GDAL dataset, and which one GDAL opens. */
export function gdalDataset(names: string[]): { dataset: string; name: string } | null {
  const gdb = names.map((n) => /^(.*\.gdb)\//i.exec(n)?.[1]).find(Boolean)
  if (gdb) return { dataset: gdb, name: 'File Geodatabase' }
  for (const f of GDAL_FORMATS.slice(1)) {
    const hits = names.filter((n) => f.member.test(n))
    if (hits.length === 1) return { dataset: hits[0], name: f.name }
  }
  return null
}

/** An ogr2ogr failure that means "the source has no CRS to reproject from". */
const NO_SOURCE_SRS = /no coordinate system|source srs|Failed to create coordinate transformation/i

/**
 * Converts one GDAL dataset to GeoJSON and reads it: a folder dataset (`x.gdb/`) with its members, or
 * a file (`x.tab`, `doc.kml`, `x.gml`) with the files beside it in the zip (`x.dat`, `x.map`, `x.xsd`).
 * Where the user gave no `crs`, GDAL reprojects to CGCS2000 lon/lat (EPSG:4490) from the dataset's own
 * CRS: MapInfo and some GML carry a CRS GeoJSON cannot name by code, and reprojecting keeps it; a
 * dataset without a CRS is converted as it is and its CRS detected from the coordinates. The files are
 * written to a private temporary folder, removed afterwards whatever happens.
 */
export async function readWithGdal(
  files: Map<string, Buffer>,
  dataset: string,
  formatName: string,
  fileName: string,
  opts: ReadOptions,
): Promise<ReadResult> {
  const bin = ogr2ogr()
  if (!bin) throw new AppError('CC_FORMAT_NEEDS_GDAL', { file: fileName, format: formatName })
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'citycheck-gdal-'))
  const folder = /\.gdb$/i.test(dataset)
  try {
    // GDAL knows a File Geodatabase by its folder's .gdb suffix.
    const inDir = path.join(dir, folder ? 'in.gdb' : 'in')
    fs.mkdirSync(inDir)
    const home = folder ? dataset : path.posix.dirname(dataset)
    for (const [name, data] of files) {
      // Only the dataset's own members, flattened under one folder: no path from the zip is trusted.
      if (folder ? !name.startsWith(`${dataset}/`) : path.posix.dirname(name) !== home) continue
      const rel = folder ? name.slice(dataset.length + 1) : path.posix.basename(name)
      if (!rel || rel.includes('/') || rel.includes('..')) continue
      fs.writeFileSync(path.join(inDir, rel), data)
    }
    const src = folder ? inDir : path.join(inDir, path.posix.basename(dataset))
    const out = path.join(dir, 'out.geojson')
    const args = (reproject: boolean) => [
      '-f',
      'GeoJSON',
      '-lco',
      'RFC7946=NO',
      ...(reproject ? ['-t_srs', 'EPSG:4490'] : []),
      out,
      src,
      ...(opts.layer ? [opts.layer] : []),
    ]
    try {
      try {
        await run(bin, args(!opts.crs), { timeout: 10 * 60_000, maxBuffer: 1 << 20 })
      } catch (e) {
        if (opts.crs || !NO_SOURCE_SRS.test(String((e as { stderr?: string }).stderr))) throw e
        fs.rmSync(out, { force: true })
        await run(bin, args(false), { timeout: 10 * 60_000, maxBuffer: 1 << 20 })
      }
    } catch (e) {
      const msg = String((e as { stderr?: string }).stderr || (e as Error).message)
        .trim()
        .slice(0, 300)
      // Several layers and none chosen: say which there are.
      if (!opts.layer) {
        const info = await run(bin.replace(/ogr2ogr$/, 'ogrinfo'), ['-q', '-ro', src]).catch(() => null)
        if (info && info.stdout.trim().split('\n').length > 1)
          throw new AppError('CC_OPTION_INVALID', {
            option: 'gpkgLayer',
            field: 'gpkgLayer',
            reason: `请用 gpkgLayer 参数指定图层 / name the layer with gpkgLayer: ${info.stdout.trim().replace(/\s+/g, ' ')}`,
          })
      }
      throw new AppError('CC_PARSE_FAILED', { file: fileName, reason: `ogr2ogr: ${msg}` })
    }
    const read = readGeoJson(fs.readFileSync(out), `${fileName}/${path.posix.basename(dataset)}`, opts)
    return { ...read, format: 'gdal' }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** What the service reads, and with what (for GET /api/formats). */
export function formats() {
  const gdal = ogr2ogr()
  return {
    formats: [
      { format: 'geojson', zh: 'GeoJSON', reader: 'built in', available: true },
      {
        format: 'shapefile',
        zh: '压缩的 Shapefile（.zip：.shp/.shx/.dbf/.prj/.cpg）',
        reader: 'shapefile',
        available: true,
      },
      { format: 'geopackage', zh: 'GeoPackage（.gpkg）', reader: 'better-sqlite3 + wkx', available: true },
      { format: 'csv', zh: 'CSV（经纬度或 WKT 列）', reader: 'csv-parse', available: true },
      {
        format: 'xlsx',
        zh: 'XLSX 表格（经纬度或 WKT 列；就业岗位、通勤OD 可只填社区/街道代码，按单元定位）',
        reader: 'exceljs',
        available: true,
      },
      ...GDAL_FORMATS.map((f) => ({
        format: f.format,
        zh: f.zh,
        reader: 'ogr2ogr (GDAL)',
        available: gdal !== null,
        ...(gdal ? {} : { note: '未安装 GDAL（ogr2ogr）：apt-get install gdal-bin / GDAL (ogr2ogr) is not installed' }),
      })),
    ],
    inspectionTables: ['csv', 'xlsx', 'geojson'],
  }
}
