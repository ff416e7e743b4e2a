// Result sets: the binary arrays carry every value exactly (quotes, backslashes,
// braces, commas, NULL, non-finite numbers, JSON), the view unnests them back to the rows, and a set
// PostgreSQL refuses fails the writer with nothing kept and the connection still able to roll back.
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../test/helpers/app.ts'
import { inTransaction } from '../db/client.ts'
import { type ColumnSet, type ResultRow, rowsOfSets } from './compute.ts'
import { float8Array, int8Array, textArray } from '../db/binary.ts'
import { jsonArray, setWriter } from './sets.ts'

const t = useTestApp()

async function newRun(): Promise<number> {
  await t.db.knex.raw(`INSERT INTO cities (code, name) VALUES ('990900', '集') ON CONFLICT DO NOTHING`)
  const r = await t.db.knex.raw(
    `INSERT INTO indicator_runs (city, year, data_versions, definitions, settings, distance_model)
     VALUES ('990900', 2025, '{}', '[]', '{}', 'test') RETURNING id`,
  )
  return Number(r.rows[0].id)
}

const shared = { reason: '缺少 "幼儿园" \\ 数据', list: [1, 2] }
const row = (k: number, over: Partial<ResultRow> = {}): ResultRow => ({
  indicator: 'kindergarten_coverage',
  variant: 'area',
  level: 'community',
  unit_code: `C${k}`,
  unit_name: [`社区 ${k}`, 'a "quoted", {braced} \\ name', 'NULL', '', ' 空格 '][k % 5],
  value: [k / 3, null, Number.NaN, 1e-300, -0.1 + 0.2][k % 5],
  numerator: k % 4 === 0 ? null : k * 1234.5678,
  denominator: Number.POSITIVE_INFINITY === k ? 0 : k + 0.1,
  target: 85,
  status: k % 3 ? 'pass' : 'fail',
  extra: k % 2 ? shared : { k, note: `第${k}个\t"}{,` },
  ...over,
})

/** Rows as the sets a run stores: one per indicator, variant and level, in the order they came. */
function setsOf(rows: ResultRow[]): ColumnSet[] {
  const groups = new Map<string, ResultRow[]>()
  for (const r of rows) {
    const key = `${r.indicator}|${r.variant}|${r.level}`
    groups.set(key, [...(groups.get(key) ?? []), r])
  }
  return [...groups.values()].map((g) => ({
    indicator: g[0].indicator,
    variant: g[0].variant,
    level: g[0].level,
    units: { level: g[0].level, units: [], codes: g.map((r) => r.unit_code), names: g.map((r) => r.unit_name) },
    value: Float64Array.from(g, (r) => r.value ?? Number.NaN),
    numerator: Float64Array.from(g, (r) => r.numerator ?? Number.NaN),
    denominator: Float64Array.from(g, (r) => r.denominator ?? Number.NaN),
    target: g[0].target,
    status: g.map((r) => r.status),
    extra: g.map((r) => r.extra),
  }))
}

describe('result sets', () => {
  it('binary arrays: PostgreSQL reads back every element as sent', async () => {
    const texts = ['plain', 'a "b"', 'c\\d', '{e,f}', 'NULL', '', ' g ', '中文，逗号', null]
    const numbers = [0, -0.5, 1 / 3, 5e-324, 1.7976931348623157e308, null, Number.NaN, Number.NEGATIVE_INFINITY]
    const json = [{ a: 'x"y\\z', b: [1, null] }, null, { c: '{,}' }, 'str', 3]
    const ints = [0, -1, 2 ** 53 - 1, 42]
    const r = await t.db.knex.raw('SELECT ?::text[] t, ?::float8[] n, ?::json[]::text[] j, ?::int8[] i, ?::int8[] e', [
      textArray(texts),
      float8Array(numbers),
      jsonArray(json),
      int8Array(ints),
      int8Array([]),
    ])
    expect(r.rows[0].t).toEqual(texts)
    expect(r.rows[0].i.map(Number)).toEqual(ints)
    expect(r.rows[0].e).toEqual([])
    // Non-finite numbers are NULL, as the COPY text writes them; every finite one exact.
    expect(r.rows[0].n.map((v: string | null) => (v == null ? null : Number(v)))).toEqual(
      numbers.map((v) => (v == null || !Number.isFinite(v) ? null : v)),
    )
    expect(r.rows[0].j.map((v: string | null) => (v == null ? null : JSON.parse(v)))).toEqual(json)
  })

  it('json[]: an object the last set held at the same index is stringified once, the text the same', async () => {
    let calls = 0
    const counted = (k: number) => ({
      k,
      toJSON: () => {
        calls++
        return { k }
      },
    })
    const shared = [counted(0), counted(1), null, counted(3)]
    const memo = { objects: [] as unknown[], texts: [] as (string | null)[] }
    const first = jsonArray(shared, memo)
    expect(calls).toBe(3)
    // The same objects at the same places (one replaced): only the new one is stringified.
    const next = [shared[0], counted(9), null, shared[3]]
    const second = jsonArray(next, memo)
    expect(calls).toBe(4)
    expect(second.equals(jsonArray(next.map((o) => (o ? { k: (o as { k: number }).k } : null))))).toBe(true)
    const r = await t.db.knex.raw('SELECT ?::json[]::text[] a, ?::json[]::text[] b', [first, second])
    expect(r.rows[0].a.map((v: string | null) => v && JSON.parse(v))).toEqual([{ k: 0 }, { k: 1 }, null, { k: 3 }])
    expect(r.rows[0].b.map((v: string | null) => v && JSON.parse(v))).toEqual([{ k: 0 }, { k: 9 }, null, { k: 3 }])
  })

  it('unfolds sets into rows unit by unit, each unit’s variants in the order of the sets', () => {
    const n = 7
    const units = {
      level: 'community' as const,
      units: [],
      codes: Array.from({ length: n }, (_, i) => `C${i}`),
      names: Array.from({ length: n }, (_, i) => `社区 "${i}"`),
    }
    const own = Array.from({ length: n }, (_, i) => ({ gapResidents: i, gapBuildings: 2 * i }))
    const set = (variant: ColumnSet['variant'], extra: Record<string, unknown>[]): ColumnSet => ({
      indicator: 'kindergarten_coverage',
      variant,
      level: 'community',
      units,
      value: Float64Array.from([50, Number.NaN, 1 / 3, 0, 100, Number.NaN, 85]),
      numerator: Float64Array.from([1, 0, 1, 0, 2, 0, 17]),
      denominator: Float64Array.from([2, 0, 3, 5, 2, 0, 20]),
      target: 85,
      status: ['fail', 'no-data', 'fail', 'fail', 'pass', 'no-data', 'pass'],
      extra,
    })
    const sets = [set('area', own), set('residents', Array(n).fill(shared))]
    const rows = rowsOfSets(sets)
    expect(rows.map((r) => [r.variant, r.unit_code])).toEqual(
      units.codes.flatMap((c) => [
        ['area', c],
        ['residents', c],
      ]),
    )
    expect(rows[2]).toMatchObject({ unit_name: '社区 "1"', value: null, numerator: 0, status: 'no-data' })
    expect(rows[3]).toMatchObject({ variant: 'residents', unit_code: 'C1', extra: shared })
  })

  // Both ways a writer sends: COPY in the binary format on PostgreSQL, multi-row INSERTs on the embedded engine.
  for (const copy of [false, true]) {
    it(`writes sets while other work goes on, and the view gives the rows back (${copy ? 'COPY' : 'INSERT'})`, async () => {
      const run = await newRun()
      const rows = Array.from({ length: 3000 }, (_, k) => row(k, { level: k % 2 ? 'community' : 'area' }))
      await inTransaction(t.db.knex, async (client) => {
        const w = setWriter(client, '990900', run, { copy })
        for (let b = 0; b < 3; b++) {
          w.write(setsOf(rows.slice(b * 1000, (b + 1) * 1000).map((r) => ({ ...r, indicator: `ind_${b}` }))))
          await new Promise((r) => setTimeout(r, 5))
        }
        await w.end()
      })
      const sets = await t.db.knex.raw('SELECT count(*)::int n FROM indicator_result_sets WHERE run_id = ?', [run])
      expect(sets.rows[0].n).toBe(6)
      const back = await t.db.knex('indicator_results').where({ run_id: run }).orderByRaw('substr(unit_code, 2)::int')
      expect(back.length).toBe(3000)
      for (const [k, b] of back.entries()) {
        const want = rows[k]
        const v = want.value
        expect(b).toMatchObject({
          city: '990900',
          indicator: `ind_${Math.floor(k / 1000)}`,
          level: want.level,
          unit_code: want.unit_code,
          unit_name: want.unit_name,
          value: v == null || !Number.isFinite(v) ? null : v,
          numerator: want.numerator,
          denominator: want.denominator,
          target: 85,
          status: want.status,
          extra: want.extra,
        })
      }
      // A filter on the run, indicator, variant and level applies to the sets before they are unnested.
      const plan = await t.db.knex.raw(
        `EXPLAIN SELECT * FROM indicator_results WHERE run_id = ? AND indicator = 'ind_1' AND variant = 'area' AND level = 'area'`,
        [run],
      )
      expect(plan.rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n')).toMatch(
        /Index Cond: \(\(run_id = '?\d+'?(::bigint)?\) AND \(indicator = 'ind_1'::text\) AND \(variant = 'area'::text\) AND \(level = 'area'::text\)\)/,
      )
    })

    it(`stores an extra every unit shares once, and units a level repeats once encoded, yet reads each back (${copy ? 'COPY' : 'INSERT'})`, async () => {
      const run = await newRun()
      const reason = { noData: { zh: '没有数据', en: 'no data' } }
      const a = Array.from({ length: 50 }, (_, k) => row(k, { indicator: 'a', extra: reason }))
      const b = Array.from({ length: 50 }, (_, k) => row(k, { indicator: 'b' }))
      // The same codes under new names (a unit renamed between two sets of one level).
      const c = Array.from({ length: 50 }, (_, k) => row(k, { indicator: 'c', unit_name: `改名 ${k}` }))
      await inTransaction(t.db.knex, async (client) => {
        const w = setWriter(client, '990900', run, { copy })
        w.write(setsOf([...a, ...b]))
        w.write(setsOf(c))
        // What is queued and not yet sent is counted, so a run can wait past a bound.
        expect(w.backlog()).toBeGreaterThan(50 * 12)
        await w.settled()
        expect(w.backlog()).toBe(0)
        await w.end()
      })
      const stored = await t.db.knex.raw(
        'SELECT indicator, cardinality(extra) n, extra_all FROM indicator_result_sets WHERE run_id = ? ORDER BY indicator',
        [run],
      )
      expect(stored.rows).toEqual([
        { indicator: 'a', n: 0, extra_all: reason },
        { indicator: 'b', n: 50, extra_all: null },
        { indicator: 'c', n: 50, extra_all: null },
      ])
      const back = await t.db.knex('indicator_results').where({ run_id: run })
      const of = (ind: string) =>
        back
          .filter((r) => r.indicator === ind)
          .sort((x, y) => Number(x.unit_code.slice(1)) - Number(y.unit_code.slice(1)))
      expect(of('a').map((r) => r.extra)).toEqual(a.map(() => reason))
      expect(of('b').map((r) => [r.unit_name, r.extra])).toEqual(b.map((r) => [r.unit_name, r.extra]))
      expect(of('c').map((r) => r.unit_name)).toEqual(c.map((r) => r.unit_name))
    })

    it(`what is queued while a statement is in flight goes in one statement per table (${copy ? 'COPY' : 'INSERT'})`, async () => {
      const run = await newRun()
      await inTransaction(t.db.knex, async (client) => {
        const statements: string[] = []
        // the real connection, its statements counted
        const counted = Object.create(client) as typeof client
        counted.query = ((q: string | { text: string }, params: unknown[]) => {
          statements.push((typeof q === 'string' ? q : q.text).slice(0, 30))
          return client.query(q as string, params)
        }) as typeof client.query
        const w = setWriter(counted, '990900', run, { copy })
        for (let b = 0; b < 10; b++) w.write(setsOf([row(b, { indicator: `ind_${b}` })]))
        await w.end()
        // the first write's statement at once, the nine written meanwhile in one more
        expect(statements).toEqual(
          Array(2).fill(copy ? 'COPY indicator_result_sets (ru' : 'INSERT INTO indicator_result_s'),
        )
      })
      const sets = await t.db.knex.raw('SELECT count(*)::int n FROM indicator_result_sets WHERE run_id = ?', [run])
      expect(sets.rows[0].n).toBe(10)
    })

    it(`a set PostgreSQL refuses fails the writer; nothing is kept and the connection rolls back and works (${copy ? 'COPY' : 'INSERT'})`, async () => {
      const run = await newRun()
      await expect(
        inTransaction(t.db.knex, async (client) => {
          const w = setWriter(client, '990900', run, { copy })
          w.write(setsOf([row(1), row(2)]))
          w.write(setsOf([row(3, { level: 'planet' as ResultRow['level'] })])) // the level check refuses it
          w.write(setsOf([row(4, { indicator: 'later' })]))
          await w.end()
        }),
      ).rejects.toThrow(/check constraint/)
      expect(
        (await t.db.knex.raw('SELECT count(*)::int n FROM indicator_result_sets WHERE run_id = ?', [run])).rows[0].n,
      ).toBe(0)
      // Abandoned midway (an indicator failed): what was sent settles, the rollback goes through.
      await expect(
        inTransaction(t.db.knex, async (client) => {
          const w = setWriter(client, '990900', run, { copy })
          w.write(setsOf([row(1)]))
          try {
            throw new Error('an indicator failed')
          } catch (e) {
            await w.abort()
            throw e
          }
        }),
      ).rejects.toThrow('an indicator failed')
      expect(
        (await t.db.knex.raw('SELECT count(*)::int n FROM indicator_result_sets WHERE run_id = ?', [run])).rows[0].n,
      ).toBe(0)
      await inTransaction(t.db.knex, async (client) => {
        const w = setWriter(client, '990900', run, { copy })
        w.write(setsOf([row(1), row(2)]))
        await w.end()
      })
      expect((await t.db.knex('indicator_results').where({ run_id: run })).length).toBe(2)
    })
  }
})
