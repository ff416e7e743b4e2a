// A city on its own: exported as one gzipped NDJSON file (every kept layer version with its rows,
// which version is current per year, the year settings, problem statuses and their history,
// inspection records with their photos, and the audit log) and
// restored from it, into this or another deployment, under its own code or a new one.
// Indicator runs are not exported: they are derived, and the restore queues a recomputation.
// Upload ids are per deployment, so the restore gives each version a new id and maps the pointers.
import zlib from 'node:zlib'
import { StringDecoder } from 'node:string_decoder'
import { Readable, pipeline } from 'node:stream'
import type pg from 'pg'
import type { Database } from '../db/engine.ts'
import { bulkInsert } from '../db/bulk.ts'
import { inTransaction } from '../db/client.ts'
import { AppError } from '../errors.ts'
import { layerDef } from '../layers/definitions.ts'
import { createPartition } from '../import/pipeline.ts'

const FORMAT = 'citycheck-city'
const VERSION = 1
const BATCH = 5000

type Line =
  | { kind: typeof FORMAT; version: number; exportedAt: string }
  | { kind: 'city'; row: Record<string, unknown> }
  | { kind: 'upload'; row: Record<string, unknown> & { id: number; layer: string }; columns: string[] }
  | { kind: 'rows'; upload: number; rows: unknown[][] }
  | { kind: 'current'; row: { year: number; layer: string; upload_id: number; updated_by: string | null } }
  | {
      kind: 'config' | 'status' | 'audit' | 'event' | 'system' | 'attachment' | 'figure' | 'figureEvent' | 'deadline'
      row: Record<string, unknown>
    }
  | {
      kind: 'inspection'
      row: Record<string, unknown>
      photos: { mime: string; width: number; height: number; bytes: string }[]
    }

/** Columns of a layer table that an upload writes (not the partition key, the city or generated ones). */
async function layerColumns(db: Database, table: string): Promise<string[]> {
  const r = await db.knex.raw(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? AND is_generated = 'NEVER' ORDER BY ordinal_position`,
    [table],
  )
  return r.rows
    .map((x: { column_name: string }) => x.column_name)
    .filter((c: string) => c !== 'upload_id' && c !== 'city')
}

export function exportCity(db: Database, city: string): Readable {
  const { knex } = db
  async function* lines(): AsyncGenerator<string> {
    const out = (l: Line) => JSON.stringify(l) + '\n'
    yield out({ kind: FORMAT, version: VERSION, exportedAt: new Date().toISOString() })
    yield out({ kind: 'city', row: await knex('cities').where({ code: city }).first() })
    const uploads = await knex('uploads').where({ city, status: 'succeeded' }).orderBy('id')
    for (const u of uploads) {
      const def = layerDef(u.layer)
      if (!def) continue
      const columns = await layerColumns(db, def.table)
      const { city: _c, job_id: _j, ...row } = u
      yield out({ kind: 'upload', row, columns })
      // Keyset pages by fid: geometries come back as hex EWKB, which PostGIS reads back as is.
      for (let after = 0; ; ) {
        const rows = await knex(`${def.table}_u${Number(u.id)}`)
          .where('fid', '>', after)
          .orderBy('fid')
          .limit(BATCH)
          .select(columns)
        if (!rows.length) break
        yield out({
          kind: 'rows',
          upload: u.id,
          rows: rows.map((r: Record<string, unknown>) => columns.map((c) => r[c])),
        })
        after = rows[rows.length - 1].fid as number
      }
    }
    for (const r of await knex('layer_current').where({ city })) yield out({ kind: 'current', row: r })
    for (const r of await knex('indicator_config').where({ city })) yield out({ kind: 'config', row: r })
    for (const r of await knex('indicator_systems').where({ city })) yield out({ kind: 'system', row: r })
    // Attachments before the statuses and figures that point at them (ids are renumbered on restore).
    for (const r of await knex('attachments').where({ city }).orderBy('id'))
      yield out({ kind: 'attachment', row: { ...r, bytes: Buffer.from(r.bytes).toString('base64') } })
    for (const r of await knex('figure_values').where({ city })) yield out({ kind: 'figure', row: r })
    for (const r of await knex('figure_events').where({ city }).orderBy('id'))
      yield out({ kind: 'figureEvent', row: r })
    for (const r of await knex('figure_deadlines').where({ city })) yield out({ kind: 'deadline', row: r })
    for (const r of await knex('problem_status').where({ city })) yield out({ kind: 'status', row: r })
    for (const r of await knex('problem_events').where({ city }).orderBy('id')) yield out({ kind: 'event', row: r })
    // Accepted inspection records with their photos (base64); pending imports are not kept.
    for (let after = 0; ; ) {
      const recs = await knex('inspections')
        .where({ city, accepted: true })
        .where('id', '>', after)
        .orderBy('id')
        .limit(BATCH)
      if (!recs.length) break
      const photos = await knex('inspection_photos')
        .whereIn(
          'inspection_id',
          recs.map((r) => r.id),
        )
        .orderBy('id')
      for (const r of recs) {
        const { id: _i, city: _c, import_id: _m, accepted: _a, ...row } = r
        yield out({
          kind: 'inspection',
          row,
          photos: photos
            .filter((p) => String(p.inspection_id) === String(r.id))
            .map((p) => ({
              mime: p.mime,
              width: p.width,
              height: p.height,
              bytes: Buffer.from(p.bytes).toString('base64'),
            })),
        })
      }
      after = Number(recs[recs.length - 1].id)
    }
    for (const r of await knex('audit_log').where({ city }).orderBy('id')) yield out({ kind: 'audit', row: r })
  }
  // pipeline, not pipe: a database fault while reading destroys the gzip stream too, so the reply ends in an
  // error instead of hanging half-sent.
  const gz = zlib.createGzip()
  pipeline(Readable.from(lines()), gz, () => {})
  return gz
}

/** The lines of a text stream, as they arrive (the last one may lack its newline). */
async function* lines(stream: AsyncIterable<Buffer>): AsyncGenerator<string> {
  let rest = ''
  const utf8 = new StringDecoder('utf8') // a character may straddle two chunks
  for await (const chunk of stream) {
    const parts = (rest + utf8.write(chunk)).split('\n')
    rest = parts.pop()!
    yield* parts
  }
  rest += utf8.end()
  if (rest) yield rest
}

export async function restoreCity(
  db: Database,
  archive: Buffer,
  fileName: string,
  opts: { as?: string; by: string },
): Promise<{ city: string; uploads: number; features: number; years: number[] }> {
  const bad = (reason: string) => new AppError('CC_ARCHIVE_INVALID', { file: fileName, reason })
  if (archive.length < 18 || archive[0] !== 0x1f || archive[1] !== 0x8b) throw bad('不是 gzip 文件 / not a gzip file')
  // Stream iteration (not readline) so a damaged archive rejects the loop instead of stalling it.
  const input = Readable.from([archive]).pipe(zlib.createGunzip())
  // The pipe runs while the transaction is still connecting: a cut archive can fail before the loop listens, and
  // an 'error' with no listener is an uncaught exception. The loop's iterator still sees the stored error.
  input.on('error', () => {})
  let n = 0,
    features = 0
  const ids = new Map<number, number>()
  /** attachment id in the archive → id in this database */
  const attachments = new Map<number, number>()
  const years = new Set<number>()
  let code = ''
  try {
    await inTransaction(db.knex, async (client: pg.ClientBase) => {
      let open: { table: string; staging: string; id: number; columns: string[] } | null = null
      const close = async () => {
        if (!open) return
        await client.query(`CREATE INDEX ON ${open.staging} USING gist (geom)`)
        await client.query(`CREATE INDEX ON ${open.staging} (upload_id, fid)`)
        await client.query(`ALTER TABLE ${open.table} ATTACH PARTITION ${open.staging} FOR VALUES IN (${open.id})`)
        open = null
      }
      for await (const text of lines(input)) {
        if (!text.trim()) continue
        let l: Line
        try {
          l = JSON.parse(text)
        } catch {
          throw bad(`第 ${n + 1} 行不是 JSON / line ${n + 1} is not JSON`)
        }
        if (n++ === 0) {
          if (l.kind !== FORMAT || (l as { version: number }).version !== VERSION)
            throw bad('不是 citycheck 城市数据包 / not a citycheck city archive')
          continue
        }
        if (l.kind === 'city') {
          const c = l.row as { code: string; name: string; name_en: string | null; zone: number | null }
          code = opts.as ?? c.code
          const exists = await client.query('SELECT 1 FROM cities WHERE code = $1', [code])
          if (exists.rowCount) throw new AppError('CC_CITY_EXISTS', { city: code })
          await client.query('INSERT INTO cities (code, name, name_en, zone, created_by) VALUES ($1, $2, $3, $4, $5)', [
            code,
            c.name,
            c.name_en,
            c.zone,
            opts.by,
          ])
        } else if (!code) {
          throw bad('缺少城市信息 / the city record is missing')
        } else if (l.kind === 'upload') {
          await close()
          const def = layerDef(l.row.layer)
          if (!def) throw bad(`未知图层 ${l.row.layer} / unknown layer`)
          const r = l.row
          const ins = await client.query(
            `INSERT INTO uploads (city, year, layer, status, uploader, file_name, file_bytes, format, crs, encoding, options, feature_count, warnings, duration_ms, created_at, finished_at)
             VALUES ($1, $2, $3, 'succeeded', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
            [
              code,
              r.year,
              r.layer,
              r.uploader,
              r.file_name,
              r.file_bytes,
              r.format,
              r.crs,
              r.encoding,
              JSON.stringify(r.options ?? {}),
              r.feature_count,
              JSON.stringify(r.warnings ?? []),
              r.duration_ms,
              r.created_at,
              r.finished_at,
            ],
          )
          const id = ins.rows[0].id as number
          ids.set(r.id, id)
          open = { table: def.table, staging: `${def.table}_u${id}`, id, columns: l.columns }
          await createPartition(client, def.table, open.staging, id, code)
        } else if (l.kind === 'rows') {
          const cur = open as { staging: string; id: number; columns: string[] } | null
          if (!cur || ids.get(l.upload) !== cur.id)
            throw bad('数据行不属于前面的图层版本 / rows do not follow their layer version')
          const id = cur.id
          await bulkInsert(
            client,
            cur.staging,
            ['upload_id', ...cur.columns],
            l.rows.map((r) => [id, ...r]),
            { copy: db.supportsCopy, total: l.rows.length },
          )
          features += l.rows.length
        } else if (l.kind === 'current') {
          await close()
          const id = ids.get(l.row.upload_id)
          if (id === undefined)
            throw bad(`当前版本 ${l.row.upload_id} 不在数据包中 / current version not in the archive`)
          await client.query(
            'INSERT INTO layer_current (city, year, layer, upload_id, updated_by) VALUES ($1, $2, $3, $4, $5)',
            [code, l.row.year, l.row.layer, id, l.row.updated_by],
          )
          years.add(l.row.year)
        } else if (l.kind === 'config') {
          await client.query('INSERT INTO indicator_config (city, year, config, updated_by) VALUES ($1, $2, $3, $4)', [
            code,
            l.row.year,
            JSON.stringify(l.row.config),
            l.row.updated_by,
          ])
        } else if (l.kind === 'status') {
          const r = l.row
          await client.query(
            `INSERT INTO problem_status (city, year, indicator, level, unit_code, status, note, updated_by, updated_at,
               assignee, deadline, evidence, evidence_attachment) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
            [
              code,
              r.year,
              r.indicator,
              r.level,
              r.unit_code,
              r.status,
              r.note,
              r.updated_by,
              r.updated_at,
              r.assignee ?? null,
              r.deadline ? String(r.deadline).slice(0, 10) : null,
              r.evidence ?? null,
              r.evidence_attachment == null ? null : (attachments.get(Number(r.evidence_attachment)) ?? null),
            ],
          )
        } else if (l.kind === 'system') {
          const r = l.row
          await client.query(
            'INSERT INTO indicator_systems (city, year, entries, file_name, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6)',
            [code, r.year, JSON.stringify(r.entries), r.file_name, r.updated_by, r.updated_at],
          )
        } else if (l.kind === 'attachment') {
          const r = l.row
          const ins = await client.query(
            'INSERT INTO attachments (city, name, mime, size, bytes, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id',
            [code, r.name, r.mime, r.size, Buffer.from(String(r.bytes), 'base64'), r.created_by, r.created_at],
          )
          attachments.set(Number(r.id), Number(ins.rows[0].id))
        } else if (l.kind === 'figure') {
          const r = l.row
          await client.query(
            `INSERT INTO figure_values (city, year, indicator, level, unit_code, value, sample_size, source, caliber, as_of,
               note, attachment_id, department, status, comment, updated_by, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`,
            [
              code,
              r.year,
              r.indicator,
              r.level,
              r.unit_code,
              r.value,
              r.sample_size,
              r.source,
              r.caliber,
              r.as_of,
              r.note,
              r.attachment_id == null ? null : (attachments.get(Number(r.attachment_id)) ?? null),
              r.department,
              r.status,
              r.comment,
              r.updated_by,
              r.updated_at,
            ],
          )
        } else if (l.kind === 'figureEvent') {
          const r = l.row
          await client.query(
            'INSERT INTO figure_events (city, year, indicator, level, unit_code, action, value, comment, by, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
            [code, r.year, r.indicator, r.level, r.unit_code, r.action, r.value, r.comment, r.by, r.at],
          )
        } else if (l.kind === 'deadline') {
          const r = l.row
          await client.query('INSERT INTO figure_deadlines (city, year, department, due) VALUES ($1, $2, $3, $4)', [
            code,
            r.year,
            r.department,
            String(r.due).slice(0, 10),
          ])
        } else if (l.kind === 'event') {
          const r = l.row
          await client.query(
            'INSERT INTO problem_events (city, year, indicator, level, unit_code, status, note, by, at, assignee, deadline) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)',
            [
              code,
              r.year,
              r.indicator,
              r.level,
              r.unit_code,
              r.status,
              r.note,
              r.by,
              r.at,
              r.assignee ?? null,
              r.deadline ? String(r.deadline).slice(0, 10) : null,
            ],
          )
        } else if (l.kind === 'inspection') {
          const r = l.row
          const ins = await client.query(
            `INSERT INTO inspections (city, year, target, unit_code, findings, dwellings, note, inspector, inspected_at, lon, lat, source, matched_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
            [
              code,
              r.year,
              r.target,
              r.unit_code,
              r.findings,
              r.dwellings,
              r.note,
              r.inspector,
              r.inspected_at,
              r.lon,
              r.lat,
              r.source,
              r.matched_by,
              r.created_at,
            ],
          )
          for (const p of l.photos ?? [])
            await client.query(
              'INSERT INTO inspection_photos (city, inspection_id, mime, width, height, bytes) VALUES ($1, $2, $3, $4, $5, $6)',
              [code, ins.rows[0].id, p.mime, p.width, p.height, Buffer.from(p.bytes, 'base64')],
            )
        } else if (l.kind === 'audit') {
          const r = l.row
          await client.query(
            'INSERT INTO audit_log (city, at, actor, role, method, route, params, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
            [code, r.at, r.actor, r.role, r.method, r.route, JSON.stringify(r.params ?? {}), r.status],
          )
        }
      }
      await close()
      if (!code) throw bad('数据包为空 / the archive is empty')
    })
  } catch (e) {
    if (e instanceof AppError) throw e
    // zlib's own errors (Z_DATA_ERROR, Z_BUF_ERROR "unexpected end of file"): a damaged or cut archive.
    if (String((e as { code?: string }).code ?? '').startsWith('Z_'))
      throw bad(`解压失败（文件损坏或不完整）/ cannot be unpacked (damaged or cut off): ${(e as Error).message}`)
    throw e
  }
  await db.events.changed(code, null)
  return { city: code, uploads: ids.size, features, years: [...years].sort() }
}
