// COPY text read back as numbers: copyColumns parses what PostgreSQL prints exactly as Number() does.
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../test/helpers/app.ts'
import { copyColumns, fieldValue } from './bulk.ts'

const t = useTestApp()

describe('copyColumns', () => {
  it('reads the numbers PostgreSQL prints exactly as Number() does, across chunk boundaries', async () => {
    // 200,000 rows of every kind of float8 text PostgreSQL writes: decimals of every magnitude, 17-digit
    // ones, exponents, integers, NaN, ±Infinity, NULL and booleans.
    const sql = `SELECT i a, (random() - 0.5) * 10 ^ (i % 25 - 12) b, CASE i % 7 WHEN 0 THEN NULL WHEN 1 THEN 'NaN'::float8
        WHEN 2 THEN '-Infinity'::float8 WHEN 3 THEN 5e-324 WHEN 4 THEN 1.7976931348623157e308 ELSE i * 1.1 END c,
        i % 2 = 0 d, round((random() * 1e6)::numeric, i % 9)::float8 e, ST_X(ST_Transform(ST_SetSRID(ST_MakePoint(
        116 + random(), 39 + random()), 4490), 4548)) f FROM generate_series(1, 200000) i`
    const client = (await t.db.knex.client.acquireConnection()) as import('pg').ClientBase
    try {
      await client.query(`CREATE TEMP TABLE cc_nums AS ${sql}`)
      const { n, cols } = await copyColumns(client, 'SELECT * FROM cc_nums ORDER BY a', 6)
      expect(n).toBe(200000)
      const text = await client.query({
        text: 'SELECT a::text, b::text, c::text, d, e::text, f::text FROM cc_nums ORDER BY cc_nums.a',
        rowMode: 'array',
      })
      let checked = 0
      text.rows.forEach((r: (string | boolean | null)[], i: number) => {
        r.forEach((v, k) => {
          const want = v === null ? NaN : typeof v === 'boolean' ? Number(v) : Number(v)
          if (!Object.is(cols[k][i], want)) throw new Error(`row ${i} column ${k}: ${cols[k][i]} for ${v}`)
          checked++
        })
      })
      expect(checked).toBe(1_200_000)
      expect(cols[2].filter((v) => v === Number.POSITIVE_INFINITY || v === 5e-324).length).toBeGreaterThan(0)
    } finally {
      await t.db.knex.client.releaseConnection(client)
    }
  })

  it('parses fields by the fast path only where it is exact', () => {
    const enc = new TextEncoder()
    const cases = [
      '0',
      '-0',
      '1',
      '-12.5',
      '0.1',
      '0.30000000000000004',
      '123456789012345.6',
      '9007199254740993',
      '1e-05',
      '-1.5e+300',
      'NaN',
      'Infinity',
      '-Infinity',
      '5e-324',
      '.5',
      '1.',
      '',
      '-',
      '\\N',
      't',
      'f',
      '0.0000000000000000000001',
      '0.00000000000000000000001',
      '500123.45678901234',
      '4401234.5678',
    ]
    for (const c of cases) {
      const b = enc.encode(`x${c}y`)
      const want = c === '\\N' ? NaN : c === 't' ? 1 : c === 'f' ? 0 : Number(c)
      expect(Object.is(fieldValue(b, 1, b.length - 1, `x${c}y`), want), c).toBe(true)
    }
    for (let k = 0; k < 100000; k++) {
      const v = (Math.random() - 0.5) * 10 ** Math.floor(Math.random() * 30 - 15)
      for (const c of [String(v), v.toFixed(k % 12), v.toPrecision(1 + (k % 17))]) {
        const b = enc.encode(c)
        expect(Object.is(fieldValue(b, 0, b.length, c), Number(c)), c).toBe(true)
      }
    }
  })
})
