// Numeric columns read back through a binary COPY: the same numbers PostgreSQL prints, bit for bit.
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../test/helpers/app.ts'
import { readRunArrays } from '../indicators/service.ts'
import { copyColumns, copyRawRows } from './bulk.ts'

const t = useTestApp()

describe('copyColumns', () => {
  it('reads the same numbers as PostgreSQL prints, across chunk boundaries', async () => {
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

  it('reads every integer and float width, booleans and NULL; refuses a column that is not a number', async () => {
    const client = (await t.db.knex.client.acquireConnection()) as import('pg').ClientBase
    try {
      const { n, cols } = await copyColumns(
        client,
        `SELECT * FROM (VALUES (1::int2, '-2147483648'::int4, 9007199254740991::int8, 0.1::float4, '-0'::float8, true),
          (NULL, NULL, -42::int8, 'NaN'::float4, 'Infinity'::float8, false), ('-32768'::int2, 7, NULL, NULL, NULL, NULL)) v`,
        6,
      )
      expect(n).toBe(3)
      expect(cols.map((c) => Array.from(c))).toEqual([
        [1, NaN, -32768],
        [-2147483648, NaN, 7],
        [9007199254740991, -42, NaN],
        [Math.fround(0.1), NaN, NaN],
        [-0, Infinity, NaN],
        [1, 0, NaN],
      ])
      expect(Object.is(cols[4][0], -0)).toBe(true)
      await expect(copyColumns(client, "SELECT 1::float8 a, 'x'::text b", 2)).rejects.toThrow(/column b has type 25/)
      await expect(copyColumns(client, 'SELECT 1::float8 a', 2)).rejects.toThrow(/1 columns, 2 expected/)
      const empty = await copyColumns(client, 'SELECT 1::float8 a WHERE false', 1)
      expect(empty.n).toBe(0)
    } finally {
      await t.db.knex.client.releaseConnection(client)
    }
  })
})

describe('copyRawRows', () => {
  it('gives each field its own bytes: bytea of every byte value across chunks, empty, NULL and UTF-8 text', async () => {
    const client = (await t.db.knex.client.acquireConnection()) as import('pg').ClientBase
    try {
      // every byte value, an empty value, NULL, text with 中文 and a quote, then 5 MB (many COPY chunks)
      await client.query(`CREATE TEMP TABLE cc_raw AS SELECT * FROM (VALUES
        (1, '社区''一', decode((SELECT string_agg(lpad(to_hex(b), 2, '0'), '') FROM generate_series(0, 255) b), 'hex')),
        (2, 'b', ''::bytea), (3, NULL, NULL)) v(i, name, data)`)
      await client.query(
        `INSERT INTO cc_raw SELECT 4, 'big', decode(string_agg(lpad(to_hex(g % 256), 2, '0'), ''), 'hex') FROM generate_series(0, 5242879) g`,
      )
      const rows = await copyRawRows(client, 'SELECT name, data FROM cc_raw ORDER BY i')
      const plain = (await client.query('SELECT name, data FROM cc_raw ORDER BY i')).rows
      expect(rows).toHaveLength(4)
      rows.forEach(([name, data], i) => {
        expect(name?.toString('utf8') ?? null).toBe(plain[i].name)
        expect(data === null ? null : data.equals(plain[i].data)).toBe(plain[i].data === null ? null : true)
      })
      expect(rows[0][0]!.toString('utf8')).toBe("社区'一")
      expect(rows[1][1]!.length).toBe(0)
      expect(rows[3][1]!.length).toBe(5242880)
      expect(rows[3][1]![300]).toBe(300 % 256)
      // Shared: the same bytes, read in place, the first field at a multiple of 8 in memory.
      const shared = await copyRawRows(client, 'SELECT data FROM cc_raw WHERE i = 4', { share: true })
      expect(shared[0][0]!.byteOffset % 8).toBe(0)
      expect(shared[0][0]!.equals(rows[3][1]!)).toBe(true)
    } finally {
      await t.db.knex.client.releaseConnection(client)
    }
  })

  it("reads a run's arrays by name, a name with quotes taken as a name", async () => {
    expect(await readRunArrays(t.db.knex, 0, ["x') OR true OR ('", 'fid'])).toEqual({})
    expect(await readRunArrays(t.db.knex, 0, [])).toEqual({})
  })
})
