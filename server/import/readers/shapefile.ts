import { open } from 'shapefile'
import { AppError } from '../../errors.ts'
import { LDID, isValidUtf8, normaliseEncoding } from './encoding.ts'
import type { ReadOptions, ReadResult, RawFeature } from './types.ts'

export interface ShapefileParts { shp: Buffer; dbf?: Buffer; prj?: string; cpg?: string }

/** The .dbf's text encoding: declared → .cpg → LDID byte → detection over every record's bytes. */
export function dbfEncoding(dbf: Buffer, cpg: string | undefined, declared: string | undefined): { encoding: string; source: ReadResult['encodingSource'] } {
  if (declared) return { encoding: normaliseEncoding(declared), source: 'declared' }
  if (cpg && cpg.trim()) return { encoding: normaliseEncoding(cpg.trim()), source: 'cpg' }
  const ldid = LDID[dbf[29]]
  if (ldid) return { encoding: ldid, source: 'ldid' }
  // Field names and every record's bytes: GBK text is almost never valid UTF-8.
  const headerLength = dbf.readUInt16LE(8)
  const names: number[] = []
  for (let n = 32; n + 32 <= headerLength && dbf[n] !== 0x0d; n += 32) for (let j = 0; j < 11 && dbf[n + j] !== 0; j++) names.push(dbf[n + j])
  const utf8 = isValidUtf8(Uint8Array.from(names)) && isValidUtf8(dbf.subarray(headerLength))
  return { encoding: utf8 ? 'utf-8' : 'gbk', source: 'detected' }
}

export async function readShapefile(parts: ShapefileParts, fileName: string, opts: ReadOptions): Promise<ReadResult> {
  if (!parts.dbf) throw new AppError('CC_SHAPEFILE_PART_MISSING', { file: fileName, part: '.dbf' })
  const { encoding, source: encodingSource } = dbfEncoding(parts.dbf, parts.cpg, opts.encoding)
  let src
  try {
    src = await open(new Uint8Array(parts.shp), new Uint8Array(parts.dbf), { encoding })
  } catch (e) {
    throw new AppError('CC_PARSE_FAILED', { file: fileName, reason: (e as Error).message })
  }
  const features: RawFeature[] = []
  const fieldNames = ((src as unknown as { _dbf?: { _fields: { name: string }[] } })._dbf?._fields ?? []).map((f) => f.name)
  try {
    for (;;) {
      const r = await src.read()
      if (r.done) break
      if (features.length >= opts.maxFeatures) throw new AppError('CC_TOO_MANY_FEATURES', { file: fileName, limit: opts.maxFeatures })
      const props: Record<string, unknown> = {}
      // dBASE pads text with spaces and has no NULL: an empty string means "not given".
      for (const [k, v] of Object.entries(r.value.properties ?? {})) props[k] = typeof v === 'string' ? (v.trim() === '' ? null : v.trim()) : v
      features.push({ geometry: r.value.geometry, properties: props })
    }
  } catch (e) {
    if (e instanceof AppError) throw e
    throw new AppError('CC_PARSE_FAILED', { file: fileName, reason: (e as Error).message })
  }
  return { format: 'shapefile', fileName, features, fieldNames, prj: parts.prj, encoding, encodingSource }
}
