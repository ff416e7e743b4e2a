// The second core's share of a large upload (import/parallel.ts): given the conversion context once,
// then blocks of features as bytes, it converts each block exactly as normalise.ts does on the main
// thread and sends back the block's COPY text (transferred) with what the main thread must check in
// file order: the codes, the issues, the unknown facility types. No database.
import { parentPort } from 'node:worker_threads'
import { copyLine } from '../db/bulk.ts'
import { AppError, type Issue } from '../errors.ts'
import type { Malformed } from './geometry.ts'
import { featureConverter } from './normalise.ts'
import { type BlockReply, type WorkerInit, tupleOf } from './parallel.ts'
import { blockFeatures, type FeatureBlock } from './readers/geojson.ts'

let convert: ReturnType<typeof featureConverter> | null = null
let tuple: ReturnType<typeof tupleOf> | null = null

type Message = { init: WorkerInit } | { block: FeatureBlock; malformed: [number, Malformed][] }

parentPort!.on('message', (msg: Message) => {
  if ('init' in msg) {
    convert = featureConverter(msg.init.ctx)
    tuple = tupleOf(msg.init.columns, msg.init.uploadId, msg.init.zone)
    return
  }
  const { block, malformed } = msg
  const at = blockFeatures(block)
  const bad = new Map(malformed)
  const issues: Issue[] = []
  const codes: string[] = []
  const codeFids: number[] = []
  const unknown = new Map<string, number>()
  let text = ''
  let rows = 0
  let fatal: BlockReply['fatal']
  try {
    for (let k = 0; k < block.starts.length; k++) {
      const i = block.first + k
      const out = convert!(
        at(k),
        i + 1,
        bad.get(i),
        (x) => issues.push(x),
        (code, fid) => {
          codes.push(code)
          codeFids.push(fid)
        },
      )
      if (!out) continue
      if ('unknownType' in out) {
        if (!unknown.has(out.unknownType)) unknown.set(out.unknownType, i + 1)
        continue
      }
      text += copyLine(tuple!(out.row))
      rows++
    }
  } catch (e) {
    fatal = e instanceof AppError ? { code: e.code, params: e.params } : { message: String((e as Error)?.stack ?? e) }
  }
  // A buffer of its own (not a slice of Node's pool), so it can be transferred.
  const copy = Buffer.allocUnsafeSlow(Buffer.byteLength(text))
  copy.write(text)
  const reply: BlockReply = { first: block.first, copy, rows, codes, codeFids, issues, unknown: [...unknown], fatal }
  parentPort!.postMessage(reply, [copy.buffer as ArrayBuffer])
})
