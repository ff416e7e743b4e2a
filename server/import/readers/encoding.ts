// Text encodings of Chinese GIS files. Shapefile .dbf text is GBK more often than not; the encoding
// is taken from, in order: the uploader's `encoding`, the .cpg file, the .dbf LDID byte (0x4D = code
// page 936 = GBK), and finally detection (valid UTF-8 → UTF-8, else GBK).
import { AppError } from '../../errors.ts'

const ALIASES: Record<string, string> = {
  gbk: 'gbk',
  gb2312: 'gbk',
  cp936: 'gbk',
  '936': 'gbk',
  ms936: 'gbk',
  'windows-936': 'gbk',
  gb18030: 'gb18030',
  'utf-8': 'utf-8',
  utf8: 'utf-8',
  '65001': 'utf-8',
  big5: 'big5',
  '950': 'big5',
  'utf-16': 'utf-16le',
  utf16: 'utf-16le',
  'utf-16le': 'utf-16le',
  'utf-16be': 'utf-16be',
  '1200': 'utf-16le',
  '1201': 'utf-16be',
  'shift-jis': 'shift_jis',
  sjis: 'shift_jis',
  '932': 'shift_jis',
  latin1: 'windows-1252',
  'iso-8859-1': 'windows-1252',
  '1252': 'windows-1252',
  'windows-1252': 'windows-1252',
  ascii: 'utf-8',
}

/** A WHATWG encoding label for a name from a user or a .cpg file; throws CC_ENCODING_UNSUPPORTED. */
export function normaliseEncoding(name: string): string {
  const key = name
    .trim()
    .toLowerCase()
    .replace(/^cp(?=\d)/, '')
    .replace(/_/g, '-')
  const label = ALIASES[key] ?? ALIASES[key.replace(/-/g, '')] ?? key
  try {
    new TextDecoder(label)
    return label
  } catch {
    throw new AppError('CC_ENCODING_UNSUPPORTED', { encoding: name })
  }
}

/** dBASE language driver IDs that say something useful about Chinese text. */
export const LDID: Record<number, string> = { 77: 'gbk', 122: 'gbk', 78: 'euc-kr', 79: 'big5', 87: '', 0: '' }

export function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes)
    return true
  } catch {
    return false
  }
}

/**
 * Decodes with `enc`, refusing bytes that are not valid in it (a wrong declared encoding would
 * otherwise store U+FFFD for every character it cannot read).
 */
export function decodeStrict(buf: Uint8Array, enc: string, file: string): string {
  try {
    return new TextDecoder(enc, { fatal: true }).decode(buf)
  } catch {
    throw new AppError('CC_ENCODING_INVALID', { file, encoding: enc, field: 'encoding' })
  }
}

/** Decode a whole text file (GeoJSON, CSV): declared encoding, else a UTF-16 BOM, else UTF-8, else GBK by detection. */
export function decodeText(
  buf: Uint8Array,
  declared?: string,
  file = 'upload',
): { text: string; encoding: string; source: 'declared' | 'detected' | 'utf-8 (standard)' } {
  if (declared) {
    const enc = normaliseEncoding(declared)
    return { text: decodeStrict(buf, enc, file), encoding: enc, source: 'declared' }
  }
  // Windows "Unicode" text (Excel, Notepad) starts with a UTF-16 byte-order mark.
  if (buf[0] === 0xff && buf[1] === 0xfe)
    return { text: decodeStrict(buf, 'utf-16le', file), encoding: 'utf-16le', source: 'detected' }
  if (buf[0] === 0xfe && buf[1] === 0xff)
    return { text: decodeStrict(buf, 'utf-16be', file), encoding: 'utf-16be', source: 'detected' }
  // One strict pass: valid UTF-8 decodes, anything else is read as GBK.
  try {
    return {
      text: new TextDecoder('utf-8', { fatal: true }).decode(buf),
      encoding: 'utf-8',
      source: 'utf-8 (standard)',
    }
  } catch {
    return { text: new TextDecoder('gbk').decode(buf), encoding: 'gbk', source: 'detected' }
  }
}
