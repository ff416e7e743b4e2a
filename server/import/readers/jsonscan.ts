// Finding the extent of JSON values in raw bytes, without decoding the file: a FeatureCollection is
// read feature by feature (each slice decoded and JSON.parse'd on its own), so a file larger than
// the longest string V8 can hold (~512 MB, about 1.6 million footprints) still reads, and a caller
// can keep the bytes instead of the parsed objects. The scan checks only what it needs (strings,
// nesting); JSON.parse checks each value it hands out.
//
// Legacy Chinese encodings are handled here too: in GBK/GB18030, Big5, Shift-JIS and EUC-KR the
// second byte of a two-byte character can be 0x5C, the backslash, which must not be taken for an
// escape. With `dbcs` set, a byte ≥ 0x81 inside a string takes the next byte with it (GB18030's
// four-byte sequences are two such pairs). UTF-8 needs no such rule: all its multi-byte bytes are
// ≥ 0x80 and none is a quote or a backslash.

const QUOTE = 0x22
const BACKSLASH = 0x5c

/** Index of the first byte at or after `i` that is not JSON whitespace. */
export function skipWs(b: Uint8Array, i: number): number {
  while (i < b.length) {
    const c = b[i]
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break
    i++
  }
  return i
}

/** Index just past the string that opens at `i` (a quote), or -1 when it is not closed. */
export function stringEnd(b: Uint8Array, i: number, dbcs: boolean): number {
  let j = i + 1
  const n = b.length
  while (j < n) {
    const c = b[j]
    if (c === QUOTE) return j + 1
    if (c === BACKSLASH || (dbcs && c >= 0x81)) j += 2
    else j++
  }
  return -1
}

/**
 * Index just past the JSON value that starts at `i` (no leading whitespace), or -1 when the bytes end
 * first. Objects and arrays are matched by depth only; their contents are JSON.parse's to check.
 */
export function valueEnd(b: Uint8Array, i: number, dbcs: boolean): number {
  const n = b.length
  const c = b[i]
  if (c === QUOTE) return stringEnd(b, i, dbcs)
  if (c === 0x7b || c === 0x5b) {
    let depth = 0
    for (let j = i; j < n; j++) {
      const x = b[j]
      if (x === QUOTE) {
        const e = stringEnd(b, j, dbcs)
        if (e < 0) return -1
        j = e - 1
      } else if (x === 0x7b || x === 0x5b) depth++
      else if (x === 0x7d || x === 0x5d) {
        if (--depth === 0) return j + 1
      }
    }
    return -1
  }
  // A number, true, false or null: up to the next delimiter.
  let j = i
  while (j < n) {
    const x = b[j]
    if (x === 0x2c || x === 0x7d || x === 0x5d || x === 0x20 || x === 0x0a || x === 0x0d || x === 0x09) break
    j++
  }
  return j > i ? j : -1
}
