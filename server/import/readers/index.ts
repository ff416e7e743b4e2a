// Turns an uploaded file into raw features, whatever its format. Format is sniffed from the bytes
// (zip magic, JSON brace), with the file name as a tie-breaker for CSV.
import path from 'node:path'
import { AppError } from '../../errors.ts'
import { readCsv, tableFeatures } from './csv.ts'
import { isXlsxName, readSheet } from './xlsx.ts'
import { readGeoJson } from './geojson.ts'
import { readShapefile } from './shapefile.ts'
import { isSqlite, readGeoPackage } from './gpkg.ts'
import { gdalDataset, readWithGdal } from './gdal.ts'
import type { ReadOptions, ReadResult } from './types.ts'
import { unzip } from './zip.ts'

export type { FeatureList, ReadResult, RawFeature, ReadOptions } from './types.ts'

function sniff(buf: Buffer, name: string): 'zip' | 'geojson' | 'csv' | 'gpkg' | 'kml' | 'gml' | undefined {
  if (buf.length >= 4 && buf[0] === 0x50 && buf[1] === 0x4b && buf[2] === 0x03 && buf[3] === 0x04) return 'zip'
  if (isSqlite(buf)) return 'gpkg'
  const ext = path.extname(name).toLowerCase()
  // XML: KML or GML, told apart by their root elements (GDAL reads both).
  const head = buf.subarray(0, 4096).toString('utf8')
  if (/^\uFEFF?\s*</.test(head)) {
    if (/<kml[\s>]/.test(head)) return 'kml'
    if (/<(\w+:)?FeatureCollection[\s>]|xmlns(:\w+)?="http:\/\/www\.opengis\.net\/gml/.test(head)) return 'gml'
  }
  if (ext === '.csv' || ext === '.txt' || ext === '.tsv') return 'csv'
  let i = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0
  while (i < buf.length && (buf[i] === 0x20 || buf[i] === 0x0a || buf[i] === 0x0d || buf[i] === 0x09)) i++
  if (buf[i] === 0x7b) return 'geojson'
  if (ext === '.geojson' || ext === '.json') return 'geojson'
  return undefined
}

export async function readUpload(buf: Buffer, fileName: string, opts: ReadOptions): Promise<ReadResult> {
  const kind = sniff(buf, fileName)
  if (kind === 'geojson') return readGeoJson(buf, fileName, opts)
  if (kind === 'csv') return readCsv(buf, fileName, opts)
  if (kind === 'gpkg') return readGeoPackage(buf, fileName, opts)
  if (kind === 'kml' || kind === 'gml') {
    const inner = `upload.${kind}`
    return readWithGdal(new Map([[inner, buf]]), inner, kind === 'kml' ? 'KML' : 'GML', fileName, opts)
  }
  if (kind !== 'zip') throw new AppError('CC_FORMAT_UNKNOWN', { file: fileName })
  // An .xlsx is a zip too: a table with coordinates, a WKT column or unit codes, like a CSV.
  if (isXlsxName(fileName)) {
    const rows = (await readSheet(buf, fileName)).filter((r) => r.some((c) => c !== ''))
    if (rows.length - 1 > opts.maxFeatures)
      throw new AppError('CC_TOO_MANY_FEATURES', { file: fileName, limit: opts.maxFeatures })
    return {
      ...tableFeatures(rows, fileName, opts),
      format: 'xlsx',
      encoding: 'utf-8',
      encodingSource: 'utf-8 (standard)',
    }
  }

  const files = await unzip(buf, fileName, opts.maxUnpackedBytes)
  const byExt = (ext: string) => [...files.keys()].filter((n) => n.toLowerCase().endsWith(ext))
  const shps = byExt('.shp')
  if (shps.length > 1) throw new AppError('CC_ZIP_MANY_SHAPEFILES', { file: fileName, names: shps.join(', ') })
  if (shps.length === 1) {
    const base = shps[0].slice(0, -4)
    const part = (ext: string) => {
      const key = [...files.keys()].find((n) => n.slice(0, -ext.length) === base && n.toLowerCase().endsWith(ext))
      return key ? files.get(key) : undefined
    }
    const member = `${fileName}/${path.basename(shps[0])}`
    return readShapefile(
      {
        shp: files.get(shps[0])!,
        dbf: part('.dbf'),
        prj: part('.prj')?.toString('utf8'),
        cpg: part('.cpg')?.toString('utf8'),
      },
      member,
      opts,
    )
  }
  // A File Geodatabase (a folder: members under `<name>.gdb/`), MapInfo, KML (a KMZ is a zip) or GML.
  const gdal = gdalDataset([...files.keys()])
  if (gdal) return readWithGdal(files, gdal.dataset, gdal.name, fileName, opts)
  const others = [...byExt('.geojson'), ...byExt('.json'), ...byExt('.csv')]
  if (others.length === 1) {
    const inner = others[0]
    const member = `${fileName}/${path.basename(inner)}`
    return inner.toLowerCase().endsWith('.csv')
      ? readCsv(files.get(inner)!, member, opts)
      : readGeoJson(files.get(inner)!, member, opts)
  }
  throw new AppError('CC_ZIP_NO_SHAPEFILE', { file: fileName })
}
