// Text encodings of Chinese GIS files. Shapefile .dbf text is GBK more often than not; the encoding
// is taken from, in order: the uploader's `encoding`, the .cpg file, the .dbf LDID byte (0x4D = code
// page 936 = GBK), and finally detection: valid UTF-8 → UTF-8, else jschardet (a maintained port of
// Mozilla's universal detector) among GB18030/GBK, Big5, Shift-JIS and EUC-KR, accepted only when the
// bytes decode strictly in its pick; else GBK, the mainland default, when that decodes strictly.
import { isUtf8 } from 'node:buffer'
import jschardet from 'jschardet'
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

// Node's own check: no string is made (a whole .dbf can be hundreds of megabytes).
export const isValidUtf8 = (bytes: Uint8Array): boolean => isUtf8(bytes)

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

/** Refuses bytes that are not valid in `enc` (as decodeStrict), without keeping the text. */
export function checkDecodes(buf: Uint8Array, enc: string, file: string): void {
  if (!(enc === 'utf-8' ? isUtf8(buf) : decodes(buf, enc)))
    throw new AppError('CC_ENCODING_INVALID', { file, encoding: enc, field: 'encoding' })
}

const DETECTED: Record<string, string> = {
  GB18030: 'gb18030',
  GB2312: 'gbk',
  GBK: 'gbk',
  BIG5: 'big5',
  SHIFT_JIS: 'shift_jis',
  CP932: 'shift_jis',
  'EUC-KR': 'euc-kr',
  'UTF-16LE': 'utf-16le',
  'UTF-16BE': 'utf-16be',
}

/** Whether the bytes are valid in `enc`, checked in pieces (a whole large file is no one string). */
const decodes = (buf: Uint8Array, enc: string) => {
  const dec = new TextDecoder(enc, { fatal: true })
  const step = 1 << 24
  try {
    for (let i = 0; i < buf.length; i += step) dec.decode(buf.subarray(i, i + step), { stream: i + step < buf.length })
    return true
  } catch {
    return false
  }
}

/** A legacy encoding for bytes that are not UTF-8: the detector's pick if the bytes decode in it, else GBK. */
export function detectLegacy(buf: Uint8Array, file: string): { encoding: string; confidence: number } {
  // The detector reads a sample; 64 KB of text is plenty and keeps a million-row file cheap.
  const sample = Buffer.from(buf.buffer, buf.byteOffset, Math.min(buf.length, 65536))
  const d = jschardet.detect(sample)
  const pick = d?.encoding ? DETECTED[d.encoding.toUpperCase()] : undefined
  if (pick && decodes(buf, pick))
    return { encoding: pick === 'gb18030' ? 'gbk' : pick, confidence: Math.round((d.confidence ?? 0) * 100) / 100 }
  if (decodes(buf, 'gbk')) return { encoding: 'gbk', confidence: 0 }
  if (decodes(buf, 'gb18030')) return { encoding: 'gb18030', confidence: 0 }
  throw new AppError('CC_ENCODING_INVALID', { file, encoding: '(UTF-8/GBK/Big5/Shift-JIS)', field: 'encoding' })
}

/** Decode a whole text file (GeoJSON, CSV): declared encoding, else a UTF-16 BOM, else UTF-8, else detection. */
export function decodeText(
  buf: Uint8Array,
  declared?: string,
  file = 'upload',
): { text: string; encoding: string; source: 'declared' | 'detected' | 'utf-8 (standard)'; confidence?: number } {
  if (declared) {
    const enc = normaliseEncoding(declared)
    return { text: decodeStrict(buf, enc, file), encoding: enc, source: 'declared' }
  }
  // Windows "Unicode" text (Excel, Notepad) starts with a UTF-16 byte-order mark.
  if (buf[0] === 0xff && buf[1] === 0xfe)
    return { text: decodeStrict(buf, 'utf-16le', file), encoding: 'utf-16le', source: 'detected' }
  if (buf[0] === 0xfe && buf[1] === 0xff)
    return { text: decodeStrict(buf, 'utf-16be', file), encoding: 'utf-16be', source: 'detected' }
  // One strict pass: valid UTF-8 decodes; anything else goes to the detector.
  try {
    return {
      text: new TextDecoder('utf-8', { fatal: true }).decode(buf),
      encoding: 'utf-8',
      source: 'utf-8 (standard)',
    }
  } catch {
    const { encoding, confidence } = detectLegacy(buf, file)
    return { text: new TextDecoder(encoding).decode(buf), encoding, source: 'detected', confidence }
  }
}
