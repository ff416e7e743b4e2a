// The kept buildings' bytes (kept.ts): columns and units come back exactly, whatever was narrowed to
// float32 on the way; bytes that do not fit the units read with them are a miss.
import { describe, expect, it } from 'vitest'
import { BUILDING_COLUMNS, narrowed, packBuildings, unpackBuildings } from './kept.ts'

const n = 5
const cols = Array.from({ length: BUILDING_COLUMNS }, (_, k) =>
  Float64Array.from({ length: n }, (_, i) =>
    k === 1 ? 512345.678901 + i : k === 5 ? (i === 2 ? Number.NaN : i) : 0.1 * k * i,
  ),
)
const membership = {
  community: Int32Array.from([0, 1, -1, 1, 0]),
  street: Int32Array.from([0, 0, -1, 0, 0]),
  area: Int32Array.from([-1, 2, -1, 0, 1]),
}
const units = { communities: 2, streets: 1, areas: 3 }

describe('the kept buildings', () => {
  it('narrows a column to float32 only where every value survives it', () => {
    expect(narrowed(Float64Array.from([1, 6, Number.NaN, 2009]))).toBeInstanceOf(Float32Array)
    expect(narrowed(Float64Array.from([1, 0.1]))).toBeInstanceOf(Float64Array)
  })

  it('gives back every column and unit exactly', () => {
    const k = unpackBuildings(packBuildings({ cols, membership }), units)!
    expect(k.cols).toEqual(cols)
    expect(k.cols.every((c) => c instanceof Float64Array)).toBe(true)
    expect(k.membership).toEqual(membership)
  })

  it('is a miss when a unit index names no unit read now, or the bytes are cut short', () => {
    const packed = packBuildings({ cols, membership })
    expect(unpackBuildings(packed, { ...units, areas: 2 })).toBeNull()
    expect(unpackBuildings(packed.subarray(0, packed.length - 8), units)).toBeNull()
    expect(unpackBuildings(Buffer.from('not kept'), units)).toBeNull()
  })
})
