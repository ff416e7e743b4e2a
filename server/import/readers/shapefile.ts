import { type Dbf, openDbf } from './dbf.ts'
import { type Shp, openShp } from './shp.ts'
import { addToExtent, newExtent } from '../geometry.ts'
import { AppError } from '../../errors.ts'
import { LDID, checkDecodes, detectLegacy, isValidUtf8, normaliseEncoding } from './encoding.ts'
import type { FeatureList, ReadOptions, ReadResult, RawFeature } from './types.ts'

export interface ShapefileParts {
  shp: Buffer
  dbf?: Buffer
  prj?: string
  cpg?: string
}

/** The .dbf's text encoding: declared → .cpg → LDID byte → detection over every record's bytes. */
export function dbfEncoding(
  dbf: Buffer,
  cpg: string | undefined,
  declared: string | undefined,
  file = 'upload',
): { encoding: string; source: ReadResult['encodingSource']; confidence?: number } {
  if (dbf.length < 32) throw new AppError('CC_PARSE_FAILED', { file, reason: '.dbf 文件太短 / the .dbf is too short' })
  const records = dbf.subarray(Math.min(dbf.length, dbf.readUInt16LE(8)))
  // A declared (or .cpg) encoding must actually decode the text: else U+FFFD would be stored.
  if (declared) {
    const encoding = normaliseEncoding(declared)
    checkDecodes(records, encoding, file)
    return { encoding, source: 'declared' }
  }
  if (cpg?.trim()) {
    const encoding = normaliseEncoding(cpg.trim())
    checkDecodes(records, encoding, file)
    return { encoding, source: 'cpg' }
  }
  const ldid = LDID[dbf[29]]
  if (ldid) return { encoding: ldid, source: 'ldid' }
  // Field names and every record's bytes: GBK text is almost never valid UTF-8.
  const headerLength = dbf.readUInt16LE(8)
  const names: number[] = []
  for (let n = 32; n + 32 <= headerLength && dbf[n] !== 0x0d; n += 32)
    for (let j = 0; j < 11 && dbf[n + j] !== 0; j++) names.push(dbf[n + j])
  const utf8 = isValidUtf8(Uint8Array.from(names)) && isValidUtf8(dbf.subarray(headerLength))
  if (utf8) return { encoding: 'utf-8', source: 'detected' }
  // The text is the field names and the records (numbers are ASCII, valid in every candidate).
  // The detector judges text: drop the padding runs and the control bytes (0x1A end marker), which
  // make it call the bytes binary.
  const body = dbf.subarray(headerLength)
  const text = new Uint8Array(names.length + 1 + body.length)
  text.set(names)
  let n = names.length
  text[n++] = 0x20
  for (let i = 0; i < body.length; i++) {
    const b = body[i]
    if (b >= 0x20 && !(b === 0x20 && text[n - 1] === 0x20)) text[n++] = b
  }
  const { encoding, confidence } = detectLegacy(text.subarray(0, n), file)
  return { encoding, source: 'detected', confidence }
}

/**
 * A Shapefile's features by index, each built from the .shp and .dbf bytes when asked for: the import
 * reads every feature twice (extent, then rows), which costs less than holding them all parsed.
 */
class ShapefileFeatures implements FeatureList {
  constructor(
    private readonly shp: Shp,
    private readonly dbf: Dbf,
  ) {}
  get length() {
    return this.shp.count
  }
  at(i: number): RawFeature | undefined {
    if (i < 0 || i >= this.shp.count) return undefined
    return { geometry: this.shp.geometry(i), properties: this.dbf.record(i) }
  }
}

export async function readShapefile(parts: ShapefileParts, fileName: string, opts: ReadOptions): Promise<ReadResult> {
  if (!parts.dbf) throw new AppError('CC_SHAPEFILE_PART_MISSING', { file: fileName, part: '.dbf' })
  const shp = openShp(parts.shp, fileName, opts.maxFeatures)
  const {
    encoding,
    source: encodingSource,
    confidence: encodingConfidence,
  } = dbfEncoding(parts.dbf, parts.cpg, opts.encoding, fileName)
  const dbf = openDbf(parts.dbf, encoding, fileName)
  // The .dbf header states its record count; the .shp's is what is read.
  if (dbf.count !== shp.count)
    throw new AppError('CC_SHAPEFILE_MISMATCH', { file: fileName, shp: shp.count, dbf: dbf.count })
  const extent = newExtent()
  for (let i = 0; i < shp.count; i++) addToExtent(extent, i, shp.geometry(i))
  return {
    format: 'shapefile',
    fileName,
    features: new ShapefileFeatures(shp, dbf),
    extent,
    fieldNames: dbf.fields.map((f) => f.name),
    prj: parts.prj,
    encoding,
    encodingSource,
    encodingConfidence,
  }
}
