// Formats only GDAL reads (a zipped File Geodatabase, KML, MapInfo …): converted to GeoJSON by
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

/**
 * Converts the files of one GDAL dataset (e.g. the members of `x.gdb/`) to GeoJSON and reads it.
 * The dataset is written to a private temporary folder, removed afterwards whatever happens.
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
  try {
    for (const [name, data] of files) {
      // Only the dataset's own members, flattened under its folder name: no path from the zip is trusted.
      if (!name.startsWith(dataset)) continue
      const rel = name.slice(dataset.length).replace(/^\/+/, '')
      if (!rel || rel.includes('/') || rel.includes('..')) continue
      fs.mkdirSync(path.join(dir, 'in.gdb'), { recursive: true })
      fs.writeFileSync(path.join(dir, 'in.gdb', rel), data)
    }
    const out = path.join(dir, 'out.geojson')
    const args = ['-f', 'GeoJSON', '-lco', 'RFC7946=NO', out, path.join(dir, 'in.gdb')]
    if (opts.layer) args.push(opts.layer)
    try {
      await run(bin, args, { timeout: 10 * 60_000, maxBuffer: 1 << 20 })
    } catch (e) {
      const msg = String((e as { stderr?: string }).stderr || (e as Error).message)
        .trim()
        .slice(0, 300)
      // Several layers and none chosen: say which there are.
      if (!opts.layer) {
        const info = await run(bin.replace(/ogr2ogr$/, 'ogrinfo'), ['-q', '-ro', path.join(dir, 'in.gdb')]).catch(
          () => null,
        )
        if (info)
          throw new AppError('CC_OPTION_INVALID', {
            option: 'gpkgLayer',
            field: 'gpkgLayer',
            reason: `请用 gpkgLayer 参数指定图层 / name the layer with gpkgLayer: ${info.stdout.trim().replace(/\s+/g, ' ')}`,
          })
      }
      throw new AppError('CC_PARSE_FAILED', { file: fileName, reason: `ogr2ogr: ${msg}` })
    }
    const read = readGeoJson(fs.readFileSync(out), `${fileName}/${path.basename(dataset)}`, opts)
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
      { format: 'csv', zh: 'CSV（经纬度或 WKT 列）', reader: 'built in', available: true },
      {
        format: 'filegdb',
        zh: '压缩的 File Geodatabase（.gdb 文件夹打包为 .zip）',
        reader: 'ogr2ogr (GDAL)',
        available: gdal !== null,
        ...(gdal ? {} : { note: '未安装 GDAL（ogr2ogr）：apt-get install gdal-bin / GDAL (ogr2ogr) is not installed' }),
      },
    ],
    inspectionTables: ['csv', 'xlsx', 'geojson'],
  }
}
