// The second core's share of a large upload, given blocks of its features as bytes. The reader's first
// pass (readers/geojson.ts): each block's attribute names, extent and malformed features, or the
// feature that broke. The conversion (import/parallel.ts): given its context once, each block converted
// exactly as normalise.ts does on the main thread, sent back as COPY text (transferred) with what the
// main thread must check in file order: the codes, the issues, the unknown facility types. No database.
import { type MessagePort, parentPort } from 'node:worker_threads'
import { copyLine } from '../db/bulk.ts'
import { AppError, type Issue } from '../errors.ts'
import type { Malformed } from './geometry.ts'
import { featureConverter } from './normalise.ts'
import { type BlockReply, type WorkerInit, tupleOf } from './parallel.ts'
import { blockFeatures, newScan, scanFeature, type FeatureBlock, type ScanReply } from './readers/geojson.ts'

let convert: ReturnType<typeof featureConverter> | null = null
let tuple: ReturnType<typeof tupleOf> | null = null

type Message =
  | { init: WorkerInit }
  | { block: FeatureBlock; malformed: [number, Malformed][] }
  | { scanTo: MessagePort; signal: Int32Array }
  | { scan: FeatureBlock }

// The first pass's replies go to a port the reader polls, with a count it waits on (geojson.ts).
let scanTo: { port: MessagePort; signal: Int32Array } | null = null

/** The first pass over a block: its names in order, its extent, its malformed features, or where it broke. */
function scanBlock(block: FeatureBlock): ScanReply {
  const at = blockFeatures(block)
  const scan = newScan()
  let failed: ScanReply['failed']
  for (let k = 0; k < block.starts.length && !failed; k++) {
    const i = block.first + k
    try {
      scanFeature(scan, i, at(k))
    } catch (e) {
      // JSON.parse throws a SyntaxError; a fatal TextDecoder, a TypeError (bytes that are not the encoding).
      failed = e instanceof SyntaxError ? { feature: i + 1, syntax: e.message } : { feature: i + 1 }
    }
  }
  return {
    first: block.first,
    names: scan.names,
    bbox: scan.extent.bbox,
    malformed: [...scan.extent.malformed],
    failed,
  }
}

parentPort!.on('message', (msg: Message) => {
  if ('scanTo' in msg) {
    scanTo = { port: msg.scanTo, signal: msg.signal }
    Atomics.store(msg.signal, 1, 1)
    Atomics.notify(msg.signal, 1)
    return
  }
  if ('scan' in msg) {
    scanTo!.port.postMessage(scanBlock(msg.scan))
    Atomics.add(scanTo!.signal, 0, 1)
    Atomics.notify(scanTo!.signal, 0)
    return
  }
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
