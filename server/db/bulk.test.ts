// The open COPY an indicator run streams its results into: batches written between other work arrive
// whole and escaped, a cancelled COPY keeps nothing and leaves the connection able to roll back, and a
// row PostgreSQL refuses fails the write or the end — on COPY and on the embedded engine's batches alike.
import { describe, expect, it } from 'vitest'
import { useTestApp } from '../../test/helpers/app.ts'
import { bulkWriter } from './bulk.ts'
import { inTransaction } from './client.ts'

const t = useTestApp()
const COLS = ['n', 'label', 'extra']
const rowsOf = (from: number, count: number) =>
  Array.from({ length: count }, (_, k) => [from + k, `行\t${from + k}\n\\`, { k: from + k, s: 'a\\b"c' }])

async function table(name: string) {
  await t.db.knex.raw(`DROP TABLE IF EXISTS ${name}`)
  await t.db.knex.raw(`CREATE TABLE ${name} (n int NOT NULL, label text, extra jsonb)`)
}

describe('bulkWriter', () => {
  for (const copy of [true, false])
    it(`${copy ? 'COPY' : 'JSON batches'}: batches written between other work all arrive, escaped`, async () => {
      const name = `bw_ok_${copy ? 'c' : 'j'}`
      await table(name)
      await inTransaction(t.db.knex, async (client) => {
        const w = bulkWriter(client, name, COLS, copy)
        for (let b = 0; b < 5; b++) {
          await w.write(rowsOf(b * 7000, 7000))
          await new Promise((r) => setTimeout(r, 5))
        }
        await w.end()
      })
      const r = await t.db.knex.raw(`SELECT count(*)::int n, sum(n)::int s FROM ${name}`)
      expect(r.rows[0]).toEqual({ n: 35000, s: (34999 * 35000) / 2 })
      const one = await t.db.knex.raw(`SELECT label, extra FROM ${name} WHERE n = 12345`)
      expect(one.rows[0]).toEqual({ label: '行\t12345\n\\', extra: { k: 12345, s: 'a\\b"c' } })
    })

  it('a COPY cancelled midway keeps nothing and the connection still rolls back and works', async () => {
    await table('bw_abort')
    await expect(
      inTransaction(t.db.knex, async (client) => {
        await client.query('INSERT INTO bw_abort VALUES (-1, null, null)')
        const w = bulkWriter(client, 'bw_abort', COLS, true)
        try {
          await w.write(rowsOf(0, 20000))
          throw new Error('an indicator failed')
        } catch (e) {
          await w.abort(e)
          throw e
        }
      }),
    ).rejects.toThrow('an indicator failed')
    expect((await t.db.knex.raw('SELECT count(*)::int n FROM bw_abort')).rows[0].n).toBe(0)
    await inTransaction(t.db.knex, async (client) => {
      const w = bulkWriter(client, 'bw_abort', COLS, true)
      await w.write(rowsOf(0, 3))
      await w.end()
    })
    expect((await t.db.knex.raw('SELECT count(*)::int n FROM bw_abort')).rows[0].n).toBe(3)
  })

  for (const copy of [true, false])
    it(`${copy ? 'COPY' : 'JSON batches'}: a row PostgreSQL refuses fails the writer, nothing kept`, async () => {
      const name = `bw_bad_${copy ? 'c' : 'j'}`
      await table(name)
      await expect(
        inTransaction(t.db.knex, async (client) => {
          const w = bulkWriter(client, name, COLS, copy)
          try {
            await w.write(rowsOf(0, 100))
            await w.write([[null, 'no number', null]])
            await new Promise((r) => setTimeout(r, 50))
            await w.write(rowsOf(100, 100))
            await w.end()
          } catch (e) {
            await w.abort(e)
            throw e
          }
        }),
      ).rejects.toThrow(/null value|not-null/)
      expect((await t.db.knex.raw(`SELECT count(*)::int n FROM ${name}`)).rows[0].n).toBe(0)
    })
})
