// dBASE III records (a Shapefile's attributes), read straight from the .dbf bytes. The `shapefile`
// package reads geometry well but decodes every attribute through the pure-JS `text-encoding` polyfill:
// on a million footprints its .dbf side took 35 of the 55 s (see the README's Shapefile row). Text
// fields here go through the platform's TextDecoder (UTF-8 through Buffer's own), numbers, dates and
// logicals are read as ASCII, and the values are those the package gave: numbers (null when blank),
// trimmed text (null when empty), booleans, dates.
import { AppError } from '../../errors.ts'

export interface DbfField {
  name: string
  type: string
  offset: number
  length: number
}

export interface Dbf {
  fields: DbfField[]
  count: number
  /** Record i's attributes. */
  record(i: number): Record<string, unknown>
}

const logical = (v: string) => (/^[nf]$/i.test(v) ? false : /^[yt]$/i.test(v) ? true : null)

export function openDbf(buf: Buffer, encoding: string, file: string): Dbf {
  if (buf.length < 32) throw new AppError('CC_PARSE_FAILED', { file, reason: '.dbf 文件太短 / the .dbf is too short' })
  const count = buf.readUInt32LE(4)
  const headerLength = buf.readUInt16LE(8)
  const recordLength = buf.readUInt16LE(10)
  const utf8 = encoding === 'utf-8'
  const decoder = new TextDecoder(encoding)
  const text = (s: number, e: number) => (utf8 ? buf.toString('utf8', s, e) : decoder.decode(buf.subarray(s, e)))
  const fields: DbfField[] = []
  // Field descriptors: 32 bytes each after the 32-byte header, up to the 0x0D terminator.
  for (let n = 32, offset = 1; n + 32 <= headerLength && buf[n] !== 0x0d; n += 32) {
    let j = 0
    while (j < 11 && buf[n + j] !== 0) j++
    const length = buf[n + 16]
    fields.push({ name: text(n, n + j), type: String.fromCharCode(buf[n + 11]), offset, length })
    offset += length
  }
  if (headerLength + count * recordLength > buf.length)
    throw new AppError('CC_PARSE_FAILED', {
      file,
      reason: `.dbf 记录不完整（声明 ${count} 条）/ the .dbf is cut short (${count} records declared)`,
    })
  return {
    fields,
    count,
    record(i) {
      const base = headerLength + i * recordLength
      const out: Record<string, unknown> = {}
      for (const f of fields) {
        const s = base + f.offset
        const e = s + f.length
        if (f.type === 'C') out[f.name] = text(s, e).trim() || null
        else {
          const v = buf.toString('latin1', s, e).trim()
          if (f.type === 'N' || f.type === 'F' || f.type === 'B' || f.type === 'M') {
            const x = v ? Number(v) : Number.NaN
            out[f.name] = Number.isNaN(x) ? null : x
          } else if (f.type === 'L') out[f.name] = logical(v)
          else if (f.type === 'D') out[f.name] = v ? new Date(+v.slice(0, 4), +v.slice(4, 6) - 1, +v.slice(6, 8)) : null
          else out[f.name] = text(s, e).trim() || null
        }
      }
      return out
    },
  }
}
