// Multipart bodies read whole: text fields and files, each within its limit, with coded errors.
import type { FastifyRequest } from 'fastify'
import { AppError } from './errors.ts'
import { cleanName } from './import/routes.ts'

export interface Parts {
  fields: Record<string, string>
  files: { field: string; name: string; buffer: Buffer }[]
}

/**
 * Reads a multipart body whole. A file over its limit is `tooLarge(field, name)` where that gives an
 * error, else CC_UPLOAD_TOO_LARGE; a text field over 64 KB is a CC_OPTION_INVALID naming it.
 */
export async function readParts(
  req: FastifyRequest,
  limits: { fileBytes: number; files: number },
  tooLarge?: (field: string, name: string) => AppError | undefined,
): Promise<Parts> {
  const out: Parts = { fields: {}, files: [] }
  for await (const part of req.parts({
    limits: { fileSize: limits.fileBytes, files: limits.files, fieldSize: 65536 },
  })) {
    if (part.type === 'file') {
      const name = cleanName(part.filename || part.fieldname)
      try {
        out.files.push({ field: part.fieldname, name, buffer: await part.toBuffer() })
      } catch (e) {
        if ((e as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE')
          throw (
            tooLarge?.(part.fieldname, name) ??
            new AppError('CC_UPLOAD_TOO_LARGE', { file: name, limitMb: Math.round(limits.fileBytes / 1048576) })
          )
        throw e
      }
    } else {
      if (part.valueTruncated)
        throw new AppError('CC_OPTION_INVALID', {
          option: part.fieldname,
          field: part.fieldname,
          reason: '超过 64 KB / over 64 KB',
        })
      out.fields[part.fieldname] = String(part.value)
    }
  }
  return out
}

/**
 * The form a multipart route takes, for the OpenAPI document only (`/docs` shows a file picker and the
 * fields, so the route can be tried there). The route reads its parts itself; Fastify never validates
 * this. app.ts's swagger transform turns it into the request body.
 */
export const FORM_DOC = 'x-form'
export function formDoc(
  fields: Record<string, string>,
  files: Record<string, string> = { file: '文件 / the file' },
  required: string[] = Object.keys(files),
) {
  const properties: Record<string, unknown> = {}
  for (const [k, d] of Object.entries(files)) properties[k] = { type: 'string', format: 'binary', description: d }
  for (const [k, d] of Object.entries(fields)) properties[k] = { type: 'string', description: d }
  return { [FORM_DOC]: { type: 'object', properties, required } }
}
