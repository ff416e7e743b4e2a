import { openShp } from 'shapefile'
import { openDbf } from './dbf.ts'
import { AppError } from '../../errors.ts'
import { LDID, decodeStrict, detectLegacy, isValidUtf8, normaliseEncoding } from './encoding.ts'
import type { ReadOptions, ReadResult, RawFeature } from './types.ts'

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
    decodeStrict(records, encoding, file)
    return { encoding, source: 'declared' }
  }
  if (cpg?.trim()) {
    const encoding = normaliseEncoding(cpg.trim())
    decodeStrict(records, encoding, file)
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
  const text: number[] = [...names, 0x20]
  for (const b of dbf.subarray(headerLength))
    if (b >= 0x20 && !(b === 0x20 && text[text.length - 1] === 0x20)) text.push(b)
  const { encoding, confidence } = detectLegacy(Uint8Array.from(text), file)
  return { encoding, source: 'detected', confidence }
}

export async function readShapefile(parts: ShapefileParts, fileName: string, opts: ReadOptions): Promise<ReadResult> {
  if (!parts.dbf) throw new AppError('CC_SHAPEFILE_PART_MISSING', { file: fileName, part: '.dbf' })
  // A .shp starts with the file code 9994 (big-endian) in a 100-byte header.
  if (parts.shp.length < 100 || parts.shp.readInt32BE(0) !== 9994)
    throw new AppError('CC_PARSE_FAILED', {
      file: fileName,
      reason: '不是 Shapefile：.shp 的文件头不对 / not a Shapefile: the .shp header is wrong',
    })
  const {
    encoding,
    source: encodingSource,
    confidence: encodingConfidence,
  } = dbfEncoding(parts.dbf, parts.cpg, opts.encoding, fileName)
  // Geometry from the `shapefile` package; attributes from our .dbf reader (dbf.ts says why).
  const dbf = openDbf(parts.dbf, encoding, fileName)
  let src: Awaited<ReturnType<typeof openShp>>
  try {
    src = await openShp(new Uint8Array(parts.shp))
  } catch (e) {
    throw new AppError('CC_PARSE_FAILED', { file: fileName, reason: (e as Error).message })
  }
  const features: RawFeature[] = []
  try {
    for (;;) {
      const r = await src.read()
      if (r.done) break
      if (features.length >= opts.maxFeatures)
        throw new AppError('CC_TOO_MANY_FEATURES', { file: fileName, limit: opts.maxFeatures })
      // The .dbf header states its record count; the .shp's is what is read (checked below).
      const properties = features.length < dbf.count ? dbf.record(features.length) : {}
      features.push({ geometry: r.value, properties })
    }
  } catch (e) {
    if (e instanceof AppError) throw e
    throw new AppError('CC_PARSE_FAILED', { file: fileName, reason: (e as Error).message })
  }
  if (dbf.count !== features.length)
    throw new AppError('CC_SHAPEFILE_MISMATCH', { file: fileName, shp: features.length, dbf: dbf.count })
  const fieldNames = dbf.fields.map((f) => f.name)
  return {
    format: 'shapefile',
    fileName,
    features,
    fieldNames,
    prj: parts.prj,
    encoding,
    encodingSource,
    encodingConfidence,
  }
}
