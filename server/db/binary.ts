// PostgreSQL's binary array format, for a COPY field or a binary parameter: the database copies floats
// and strings instead of parsing text, escapes and quotes — for a million results 2.8 s of PostgreSQL's
// time as array literals (README: design notes). Pure: result sets (indicators/sets.ts) and kept rows'
// upload lists (db/derived.ts) are written with it.

export const OID = { int8: 20, text: 25, float8: 701, json: 114 } as const

/** ndim 1, the null flag, the element type, the length, lower bound 1; or ndim 0 when empty. */
export function header(buf: Buffer, n: number, hasNull: boolean, oid: number): void {
  buf.writeInt32BE(n ? 1 : 0, 0)
  buf.writeInt32BE(hasNull ? 1 : 0, 4)
  buf.writeInt32BE(oid, 8)
  if (n) {
    buf.writeInt32BE(n, 12)
    buf.writeInt32BE(1, 16)
  }
}
export const headerSize = (n: number) => (n ? 20 : 12)

/** Writes one float8 element at `o` (NULL for null and non-finite values); returns the next offset. */
function putFloat8(buf: Buffer, o: number, v: number | null | undefined): number {
  if (v == null || !Number.isFinite(v)) {
    buf.writeInt32BE(-1, o)
    return o + 4
  }
  buf.writeInt32BE(8, o)
  buf.writeDoubleBE(v, o + 4)
  return o + 12
}

/** Numbers as a binary float8[]; null and non-finite values are NULL (as the COPY text writes them). */
export function float8Array(values: ArrayLike<number | null | undefined>): Buffer {
  const n = values.length
  const buf = Buffer.allocUnsafe(headerSize(n) + n * 12)
  let o = headerSize(n)
  for (let i = 0; i < n; i++) o = putFloat8(buf, o, values[i])
  header(buf, n, o < headerSize(n) + n * 12, OID.float8)
  return buf.subarray(0, o)
}

/** Strings as a binary text[] (or json[] with `oid`); null is NULL. */
export function textArray(values: readonly (string | null | undefined)[], oid: number = OID.text): Buffer {
  const n = values.length
  let size = headerSize(n)
  let hasNull = false
  // A run of equal strings (one no-data reason for every unit) is measured once.
  let last: string | undefined
  let lastLen = 0
  for (let i = 0; i < n; i++) {
    const v = values[i]
    if (v == null) {
      hasNull = true
      size += 4
      continue
    }
    if (v !== last) {
      last = v
      lastLen = Buffer.byteLength(v)
    }
    size += 4 + lastLen
  }
  const buf = Buffer.allocUnsafe(size)
  let o = headerSize(n)
  for (let i = 0; i < n; i++) {
    const v = values[i]
    if (v == null) {
      buf.writeInt32BE(-1, o)
      o += 4
    } else {
      const len = buf.write(v, o + 4)
      buf.writeInt32BE(len, o)
      o += 4 + len
    }
  }
  header(buf, n, hasNull, oid)
  return buf
}

/** Integers as a binary int8[] (no NULLs). */
export function int8Array(values: readonly number[]): Buffer {
  const n = values.length
  const buf = Buffer.allocUnsafe(headerSize(n) + n * 12)
  let o = headerSize(n)
  for (const v of values) {
    buf.writeInt32BE(8, o)
    buf.writeBigInt64BE(BigInt(v), o + 4)
    o += 12
  }
  header(buf, n, false, OID.int8)
  return buf
}
