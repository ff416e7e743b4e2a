// The bytes of a queued upload, kept in the database until a worker imports them: API and worker
// processes share no disk. 8 MB chunks keep each value far below bytea's 1 GB and each message small.
import type { Knex } from 'knex'
import { AppError } from '../errors.ts'

const CHUNK = 8 * 1024 * 1024

export async function storeUploadBytes(knex: Knex, uploadId: number, buf: Buffer): Promise<void> {
  await knex.transaction(async (trx) => {
    for (let seq = 0, off = 0; off < buf.length || seq === 0; seq++, off += CHUNK) {
      await trx('upload_chunks').insert({
        upload_id: uploadId,
        seq,
        data: buf.subarray(off, Math.min(buf.length, off + CHUNK)),
      })
    }
  })
}

export async function readUploadBytes(knex: Knex, uploadId: number): Promise<Buffer> {
  const parts: Buffer[] = []
  for (let seq = 0; ; seq++) {
    const r = await knex('upload_chunks').where({ upload_id: uploadId, seq }).first('data')
    if (!r) break
    parts.push(Buffer.from(r.data))
  }
  if (!parts.length)
    throw new AppError('CC_NOT_FOUND', { what: `上传 ${uploadId} 的文件 / the file of upload ${uploadId}` })
  return Buffer.concat(parts)
}
