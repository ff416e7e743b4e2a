// A large GeoJSON's features converted on two cores. The file is cut into blocks of features; the
// worker thread (convert-worker.ts) converts every other block — checks, CRS transform, EWKB, the COPY
// text — while this thread converts the rest, and the blocks go to the COPY in file order, so the rows
// are stored in fid order as before. What needs the whole file stays here, in order: the duplicate-code
// check (the worker hands back each block's codes), the issues' cap and the first feature of each
// unknown facility type. A worker that fails leaves its blocks to this thread. Measured in the README.
import type { Worker } from 'node:worker_threads'
import type { BulkChunk } from '../db/bulk.ts'
import { AppError, type ErrorCode, type Issue } from '../errors.ts'
import { tsWorker } from '../threads.ts'
import type { Malformed } from './geometry.ts'
import type { ConvertContext, Normalised, Row } from './normalise.ts'
import { BLOCK_FEATURES, FeaturesFromBytes, PARALLEL_MIN_FEATURES, type FeatureBlock } from './readers/geojson.ts'
import type { FeatureList } from './readers/types.ts'

/** A row as the COPY's columns, in the order of `columns` (pipeline.ts columnsOf). */
export function tupleOf(columns: string[], uploadId: number, zone: number): (r: Row) => unknown[] {
  return (r) =>
    columns.map((c) =>
      c === 'upload_id'
        ? uploadId
        : c === 'fid'
          ? r.fid
          : c === 'props'
            ? r.props
            : c === 'geom'
              ? r.geom
              : c === 'zone'
                ? zone
                : (r.values[c] ?? null),
    )
}

export interface WorkerInit {
  ctx: ConvertContext
  columns: string[]
  uploadId: number
  zone: number
}

export interface BlockReply {
  first: number
  copy: Uint8Array
  rows: number
  /** each code settled in the block, with its feature number, in file order */
  codes: string[]
  codeFids: number[]
  issues: Issue[]
  unknown: [string, number][]
  /** the error that stopped the block (a CRS problem), after the issues before it */
  fatal?: { code: string; params: Record<string, unknown> } | { message: string }
}

/**
 * The chunks of the COPY with every other block converted in a worker thread, or null where that does
 * not pay (features not read from bytes, too few) or is turned off.
 */
export function convertInParallel(
  features: FeatureList,
  norm: Normalised,
  init: Omit<WorkerInit, 'ctx'>,
  opts: { mode?: 'auto' | 'always' | 'never'; block?: number } = {},
): AsyncGenerator<BulkChunk> | null {
  const mode = opts.mode ?? 'auto'
  if (mode === 'never' || !(features instanceof FeaturesFromBytes)) return null
  if (mode === 'auto' && features.length < PARALLEL_MIN_FEATURES) return null
  return chunks(features, norm, init, opts.block ?? BLOCK_FEATURES)
}

async function* chunks(
  features: FeaturesFromBytes,
  norm: Normalised,
  init: Omit<WorkerInit, 'ctx'>,
  size: number,
): AsyncGenerator<BulkChunk> {
  const { shared } = norm
  const tuple = tupleOf(init.columns, init.uploadId, init.zone)
  const n = features.length
  const blocks = Math.ceil(n / size)
  const w: Worker = tsWorker(new URL('./convert-worker.ts', import.meta.url))
  let broken = false
  const waiting = new Map<number, (r: BlockReply | null) => void>()
  const replies = new Map<number, Promise<BlockReply | null>>()
  const fail = () => {
    broken = true
    for (const resolve of waiting.values()) resolve(null)
    waiting.clear()
  }
  w.on('message', (r: BlockReply) => {
    waiting.get(r.first)?.(r)
    waiting.delete(r.first)
  })
  w.on('error', fail)
  w.on('exit', fail)
  w.postMessage({ init: { ...init, ctx: shared.ctx } satisfies WorkerInit })
  // The worker takes the odd blocks, two ahead, so it is never idle while this thread works.
  let posted = -1
  const post = (k: number) => {
    if (k >= blocks || k % 2 === 0 || k <= posted || broken) return
    posted = k
    const from = k * size
    const to = Math.min(n, from + size)
    const block: FeatureBlock = features.block(from, to)
    const malformed: [number, Malformed][] = []
    for (let i = from; i < to; i++) {
      const m = shared.malformed.get(i)
      if (m) malformed.push([i, m])
    }
    replies.set(k, new Promise((resolve) => waiting.set(from, resolve)))
    w.postMessage({ block, malformed }, [block.bytes.buffer as ArrayBuffer])
  }
  try {
    for (let k = 0; k < blocks; k++) {
      const from = k * size
      const to = Math.min(n, from + size)
      if (k % 2 === 1) {
        const r = (await replies.get(k)) ?? null
        replies.delete(k) // its COPY text is the caller's now, not kept to the end
        post(k + 2)
        if (r) {
          apply(norm, r)
          yield { copy: Buffer.from(r.copy.buffer, r.copy.byteOffset, r.copy.byteLength), rows: r.rows }
          continue
        }
        // The worker is gone: this block (and every later one) is converted here.
      } else {
        post(k + 1)
        post(k + 3)
      }
      const tuples: unknown[][] = []
      for (let i = from; i < to; i++) {
        const row = shared.step(i)
        if (row) tuples.push(tuple(row))
      }
      yield { tuples }
    }
    shared.finish()
  } finally {
    void w.terminate()
  }
}

/** A worker's block taken in, as if its features had been converted here in order. */
function apply(norm: Normalised, r: BlockReply): void {
  const { shared } = norm
  // The block's issues and its duplicate codes, in feature order (as one pass would have added them).
  const found = [...r.issues]
  r.codes.forEach((code, k) => {
    shared.checkCode(code, r.codeFids[k], (i) => found.push(i))
  })
  found.sort((a, b) => Number(a.feature ?? 0) - Number(b.feature ?? 0))
  for (const i of found) shared.add(i)
  for (const [value, fid] of r.unknown) shared.unknownType(value, fid)
  shared.emitted(r.rows)
  if (r.fatal) {
    if ('code' in r.fatal) throw new AppError(r.fatal.code as ErrorCode, r.fatal.params)
    throw new Error(r.fatal.message)
  }
}
