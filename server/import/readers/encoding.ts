// Text encodings of Chinese GIS files. Shapefile .dbf text is GBK more often than not; the encoding
// is taken from, in order: the uploader's `encoding`, the .cpg file, the .dbf LDID byte (0x4D = code
// page 936 = GBK), and finally detection (valid UTF-8 → UTF-8, else GBK).
import { AppError } from '../../errors.ts'

const ALIASES: Record<string, string> = {
  gbk: 'gbk', gb2312: 'gbk', cp936: 'gbk', '936': 'gbk', 'ms936': 'gbk', 'windows-936': 'gbk', gb18030: 'gb18030',
  'utf-8': 'utf-8', utf8: 'utf-8', '65001': 'utf-8', big5: 'big5', '950': 'big5',
  'latin1': 'windows-1252', 'iso-8859-1': 'windows-1252', '1252': 'windows-1252', 'windows-1252': 'windows-1252', ascii: 'utf-8',
}

/** A WHATWG encoding label for a name from a user or a .cpg file; throws CC_ENCODING_UNSUPPORTED. */
export function normaliseEncoding(name: string): string {
  const key = name.trim().toLowerCase().replace(/^cp(?=\d)/, '').replace(/_/g, '-')
  const label = ALIASES[key] ?? ALIASES[key.replace(/-/g, '')] ?? key
  try {
    new TextDecoder(label)
    return label
  } catch {
    throw new AppError('CC_ENCODING_UNSUPPORTED', { encoding: name })
  }
}

/** dBASE language driver IDs that say something useful about Chinese text. */
export const LDID: Record<number, string> = { 0x4d: 'gbk', 0x7a: 'gbk', 0x4e: 'euc-kr', 0x4f: 'big5', 0x57: '', 0x00: '' }

export function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes)
    return true
  } catch {
    return false
  }
}

/** Decode a whole text file (GeoJSON, CSV): declared encoding, else UTF-8 (with BOM), else GBK by detection. */
export function decodeText(buf: Uint8Array, declared?: string): { text: string; encoding: string; source: 'declared' | 'detected' | 'utf-8 (standard)' } {
  if (declared) {
    const enc = normaliseEncoding(declared)
    return { text: new TextDecoder(enc).decode(buf), encoding: enc, source: 'declared' }
  }
  // One strict pass: valid UTF-8 decodes, anything else is read as GBK.
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(buf), encoding: 'utf-8', source: 'utf-8 (standard)' }
  } catch {
    return { text: new TextDecoder('gbk').decode(buf), encoding: 'gbk', source: 'detected' }
  }
}
