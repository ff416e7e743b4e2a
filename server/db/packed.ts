// Named typed arrays with a JSON header in one buffer: what the kept rows (db/derived.ts) hold. Pure
// (no database), so the network's worker thread can unpack a kept graph without loading the drivers.
import crypto from 'node:crypto'

export type Arrays = Record<string, Float64Array | Float32Array | Int32Array>
const TYPES = { f64: Float64Array, f32: Float32Array, i32: Int32Array } as const
const typeOf = (a: Arrays[string]) => (a instanceof Float64Array ? 'f64' : a instanceof Float32Array ? 'f32' : 'i32')
const MAGIC = 0x63636e63 // "ccnc"

/**
 * Named typed arrays and a JSON header in one buffer: magic, header length, header, then each array's
 * bytes at a multiple of 8.
 */
export function packArrays(meta: unknown, arrays: Arrays): Buffer {
  const list = Object.entries(arrays).map(([name, a]) => [name, typeOf(a), a.length])
  const head = Buffer.from(JSON.stringify({ meta, arrays: list }))
  const pad = (n: number) => Math.ceil(n / 8) * 8
  let size = pad(8 + head.length)
  for (const a of Object.values(arrays)) size += pad(a.byteLength)
  const out = Buffer.alloc(size)
  out.writeUInt32LE(MAGIC, 0)
  out.writeUInt32LE(head.length, 4)
  head.copy(out, 8)
  let o = pad(8 + head.length)
  for (const a of Object.values(arrays)) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), o)
    o += pad(a.byteLength)
  }
  return out
}

/** packArrays' header, where its arrays start, and whether the bytes hold every array it lists; else null. */
function layout(b: Buffer) {
  try {
    if (b.length < 8 || b.readUInt32LE(0) !== MAGIC) return null
    const len = b.readUInt32LE(4)
    const head = JSON.parse(b.toString('utf8', 8, 8 + len)) as {
      meta: unknown
      arrays: [string, keyof typeof TYPES, number][]
    }
    let o = Math.ceil((8 + len) / 8) * 8
    const start = o
    for (const [, type, n] of head.arrays) {
      const T = TYPES[type]
      if (!T || !(Number.isInteger(n) && n >= 0)) return null
      o += Math.ceil((n * T.BYTES_PER_ELEMENT) / 8) * 8
    }
    return o <= b.length ? { ...head, start } : null
  } catch {
    return null
  }
}

const asBuffer = (buf: Uint8Array) => Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)

/**
 * What packArrays packed, or null if the bytes are not such a buffer. Each array a copy; with `views`,
 * arrays the bytes hold aligned are views of them instead (no copy: they keep all the bytes alive).
 */
export function unpackArrays(
  buf: Uint8Array,
  opts: { views?: boolean } = {},
): { meta: unknown; arrays: Arrays } | null {
  const b = asBuffer(buf)
  const l = layout(b)
  if (!l) return null
  const arrays: Arrays = {}
  let o = l.start
  for (const [name, type, n] of l.arrays) {
    const T = TYPES[type]
    let a: Arrays[string]
    if (opts.views && (b.byteOffset + o) % T.BYTES_PER_ELEMENT === 0)
      a = new T(b.buffer as ArrayBuffer, b.byteOffset + o, n)
    else {
      a = new T(n)
      new Uint8Array(a.buffer).set(b.subarray(o, o + a.byteLength))
    }
    arrays[name] = a
    o += Math.ceil(a.byteLength / 8) * 8
  }
  return { meta: l.meta, arrays }
}

/** The header of packArrays' bytes alone (no array copied), or null if they do not hold what it lists. */
export function packedMeta(buf: Uint8Array): unknown {
  return layout(asBuffer(buf))?.meta ?? null
}

export const sha1 = (parts: (string | ArrayBufferView)[]) => {
  const h = crypto.createHash('sha1')
  for (const p of parts) h.update(typeof p === 'string' ? p : new Uint8Array(p.buffer, p.byteOffset, p.byteLength))
  return h.digest('hex')
}
