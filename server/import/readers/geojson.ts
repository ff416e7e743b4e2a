// GeoJSON (RFC 7946, plus the legacy `crs` member). Two ways to read one, by size and feature count:
// - a file of fewer than 50,000 features (PARALLEL_MIN_FEATURES) up to `keepParsedBytes` (512 MB) is
//   decoded and JSON.parse'd at once and the parsed features are kept: one native parse, one thread.
// - one of more features, or a larger file (one V8 could not even hold as a string: ~512 MB, ~1.6
//   million footprints), is read from its bytes, on two cores from 50,000 features: the
//   FeatureCollection's members and each feature's extent are found by a byte scan (jsonscan.ts),
//   every feature is decoded and parsed on its own (attribute names and the extent gathered on the
//   way), and only the bytes and the features' offsets (16 bytes each) are kept: a feature is parsed
//   again when the import reads it. Memory stays near the file's size.
import { isUtf8 } from 'node:buffer'
import type { Feature, Geometry } from 'geojson'
import { AppError } from '../../errors.ts'
import { addToExtent, newExtent, type Extent, type Malformed } from '../geometry.ts'
import { decodeText, detectLegacy, normaliseEncoding } from './encoding.ts'
import { skipWs, stringEnd, valueEnd } from './jsonscan.ts'
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads'
import { tsWorker } from '../../threads.ts'
import type { FeatureList, RawFeature, ReadOptions, ReadResult } from './types.ts'

/** From this many features the first pass and the conversion use a second core (import/parallel.ts). */
export const PARALLEL_MIN_FEATURES = 50_000
export const BLOCK_FEATURES = 5000
/** How long the first pass waits for a worker's block before doing it itself. */
const WAIT_MS = 20_000

/**
 * Above this size a GeoJSON keeps its bytes, not its parsed features (~1.6 million footprints), however
 * many features it has; below it, one with too few features for the second core is parsed whole.
 */
export const KEEP_PARSED_BYTES = 512 * 1024 * 1024
/** Below this size a GeoJSON is parsed whole without looking for its features first. */
const WHOLE_BELOW_BYTES = 4 * 1024 * 1024

/** Encodings whose two-byte characters may end in 0x5C (see jsonscan.ts). */
const DOUBLE_BYTE = new Set(['gbk', 'gb18030', 'big5', 'shift_jis', 'euc-kr'])

interface Text {
  bytes: Buffer
  encoding: string
  source: ReadResult['encodingSource']
  confidence?: number
  /** The text of bytes [s, e); throws CC_ENCODING_INVALID naming `feature` when they do not decode. */
  decode: (s: number, e: number, feature?: number) => string
  /** The TextDecoder label the bytes are decoded with (UTF-16 was converted to UTF-8 first). */
  decoder: string
}

/** UTF-16 text as UTF-8 bytes, converted in pieces (no string of the whole file). */
function utf16ToUtf8(buf: Buffer, enc: string, file: string): Buffer {
  const dec = new TextDecoder(enc, { fatal: true })
  const parts: Buffer[] = []
  const step = 1 << 24
  try {
    for (let i = 0; i < buf.length; i += step)
      parts.push(Buffer.from(dec.decode(buf.subarray(i, i + step), { stream: i + step < buf.length })))
  } catch {
    throw new AppError('CC_ENCODING_INVALID', { file, encoding: enc, field: 'encoding' })
  }
  return Buffer.concat(parts)
}

/** The declared encoding, else a UTF-16 byte-order mark, else UTF-8 when valid, else detection. */
function textOf(buf: Buffer, declared: string | undefined, file: string): Text {
  let enc: string
  let source: Text['source']
  let confidence: number | undefined
  let bytes = buf
  if (declared) {
    enc = normaliseEncoding(declared)
    source = 'declared'
  } else if ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff)) {
    enc = buf[0] === 0xff ? 'utf-16le' : 'utf-16be'
    source = 'detected'
  } else if (isUtf8(buf)) {
    enc = 'utf-8'
    source = 'utf-8 (standard)'
  } else {
    ;({ encoding: enc, confidence } = detectLegacy(buf, file))
    source = 'detected'
  }
  const encoding = enc
  if (enc.startsWith('utf-16')) {
    bytes = utf16ToUtf8(buf, enc, file)
    enc = 'utf-8'
  } else if (enc === 'utf-8' && source === 'declared' && !isUtf8(buf))
    throw new AppError('CC_ENCODING_INVALID', { file, encoding: enc, field: 'encoding' })
  if (enc === 'utf-8')
    return { bytes, encoding, source, decoder: 'utf-8', decode: (s, e) => bytes.toString('utf8', s, e) }
  const dec = new TextDecoder(enc, { fatal: true })
  return {
    bytes,
    encoding,
    source,
    confidence,
    decoder: enc,
    decode: (s, e, feature) => {
      try {
        return dec.decode(bytes.subarray(s, e))
      } catch {
        throw new AppError('CC_ENCODING_INVALID', { file, encoding: enc, field: 'encoding', feature })
      }
    },
  }
}

const parseFailed = (file: string, reason: string, feature?: number) =>
  new AppError('CC_PARSE_FAILED', {
    file,
    feature,
    reason: feature ? `第 ${feature} 个要素：${reason} / feature ${feature}: ${reason}` : reason,
  })

/** The top-level object's members: `type` and `crs` parsed, the `features` array as byte offsets. */
function scanTop(t: Text, file: string, dbcs: boolean) {
  const b = t.bytes
  const notJson = (at: number) => parseFailed(file, `JSON 在第 ${at + 1} 字节处出错 / invalid JSON at byte ${at + 1}`)
  let i = skipWs(b, b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0)
  if (b[i] !== 0x7b) return null
  const members: Record<string, unknown> = {}
  const starts: number[] = []
  const ends: number[] = []
  let hasFeatures = false
  i = skipWs(b, i + 1)
  if (b[i] === 0x7d) i++
  else
    for (;;) {
      if (b[i] !== 0x22) throw notJson(i)
      const keyEnd = stringEnd(b, i, dbcs)
      if (keyEnd < 0) throw notJson(i)
      const key = JSON.parse(t.decode(i, keyEnd)) as string
      i = skipWs(b, keyEnd)
      if (b[i] !== 0x3a) throw notJson(i)
      i = skipWs(b, i + 1)
      if (key === 'features' && b[i] === 0x5b) {
        hasFeatures = true
        i = skipWs(b, i + 1)
        if (b[i] !== 0x5d)
          for (;;) {
            const e = valueEnd(b, i, dbcs)
            if (e < 0) throw parseFailed(file, '要素未结束 / the feature does not end', starts.length + 1)
            starts.push(i)
            ends.push(e)
            i = skipWs(b, e)
            if (b[i] === 0x2c) i = skipWs(b, i + 1)
            else if (b[i] === 0x5d) break
            else throw notJson(i)
          }
        i++
      } else {
        const e = valueEnd(b, i, dbcs)
        if (e < 0) throw notJson(i)
        // Only what the reader uses is parsed; other members (name, bbox, …) are skipped.
        if (key === 'type' || key === 'crs' || key === 'features') members[key] = JSON.parse(t.decode(i, e))
        i = e
      }
      i = skipWs(b, i)
      if (b[i] === 0x2c) i = skipWs(b, i + 1)
      else if (b[i] === 0x7d) {
        i++
        break
      } else throw notJson(i)
    }
  if (skipWs(b, i) !== b.length) throw notJson(skipWs(b, i))
  return { members, starts, ends, hasFeatures }
}

/** A feature as the import reads it; `null` properties become `{}`. */
function rawOf(f: Partial<Feature> | null): RawFeature {
  return {
    geometry: (f?.geometry as Geometry | null) ?? null,
    properties: (f?.properties as RawFeature['properties']) || {},
  }
}

/** A run of features as bytes of their own: what a worker thread is given to convert (import/parallel.ts). */
export interface FeatureBlock {
  /** the index of the block's first feature in the file */
  first: number
  bytes: Uint8Array
  /** each feature's byte range within `bytes` */
  starts: Float64Array
  ends: Float64Array
  decoder: string
}

/** Features parsed from their byte ranges on each access (a large file: see the header). */
export class FeaturesFromBytes implements FeatureList {
  constructor(
    private readonly text: Text,
    private readonly starts: Float64Array,
    private readonly ends: Float64Array,
  ) {}
  get length() {
    return this.starts.length
  }
  at(i: number): RawFeature | undefined {
    if (i < 0 || i >= this.starts.length) return undefined
    return rawOf(JSON.parse(this.text.decode(this.starts[i], this.ends[i], i + 1)))
  }
  /** Features [from, to) copied out as a block. */
  block(from: number, to: number): FeatureBlock {
    const base = this.starts[from]
    const starts = this.starts.slice(from, to)
    const ends = this.ends.slice(from, to)
    for (let k = 0; k < starts.length; k++) {
      starts[k] -= base
      ends[k] -= base
    }
    const bytes = new Uint8Array(this.text.bytes.subarray(base, this.ends[to - 1]))
    return { first: from, bytes, starts, ends, decoder: this.text.decoder }
  }
}

/** What the first pass gathers: the attribute names in file order, the extent, the malformed features. */
export interface Scan {
  names: string[]
  /** a plain object is checked faster than a Set is added to */
  seen: Record<string, true>
  extent: Extent
}
export const newScan = (): Scan => ({ names: [], seen: Object.create(null), extent: newExtent() })

/** Feature i taken into the first pass. */
export function scanFeature(s: Scan, i: number, f: RawFeature): void {
  for (const k in f.properties)
    if (s.seen[k] === undefined) {
      s.seen[k] = true
      s.names.push(k)
    }
  addToExtent(s.extent, i, f.geometry)
}

/** A worker's first pass over a block, or where it stopped: a feature that is not JSON or not text. */
export interface ScanReply {
  first: number
  names: string[]
  bbox: Extent['bbox']
  malformed: [number, Malformed][]
  failed?: { feature: number; syntax?: string }
}

/**
 * The first pass on two cores: every other block of features parsed in the worker thread while this
 * thread parses the rest, the results taken in block order (so names keep their file order and the
 * first broken feature is the one reported). The reader is synchronous, so this thread waits for a
 * block with Atomics.wait and takes the reply with receiveMessageOnPort; a worker that does not answer
 * within WAIT_MS leaves its blocks to this thread. False when not worth it (too few features) or off.
 */
function scanInParallel(
  features: FeaturesFromBytes,
  scan: Scan,
  parseAt: (i: number) => RawFeature,
  failure: (f: NonNullable<ScanReply['failed']>) => AppError,
  opts: ReadOptions,
): boolean {
  const n = features.length
  const mode = opts.worker ?? 'auto'
  if (mode === 'never' || (mode === 'auto' && n < PARALLEL_MIN_FEATURES)) return false
  const size = opts.block ?? BLOCK_FEATURES
  const blocks = Math.ceil(n / size)
  // [0]: replies sent, [1]: 1 once the worker is up (until then this thread does every block).
  const signal = new Int32Array(new SharedArrayBuffer(8))
  const { port1, port2 } = new MessageChannel()
  const w = tsWorker(new URL('../convert-worker.ts', import.meta.url))
  w.postMessage({ scanTo: port2, signal }, [port2])
  let broken = false
  let received = 0
  let posted = -1
  const given = new Set<number>()
  const stash = new Map<number, ScanReply>()
  /** The worker's odd blocks ahead of block k, once it is up. */
  const feed = (k: number) => {
    if (broken || Atomics.load(signal, 1) !== 1) return
    for (let j = Math.max(posted + 1, k + 1); j <= Math.min(blocks - 1, k + 4); j++) {
      posted = j
      if (j % 2 === 0) continue
      const b = features.block(j * size, Math.min(n, (j + 1) * size))
      w.postMessage({ scan: b }, [b.bytes.buffer as ArrayBuffer])
      given.add(j)
    }
  }
  /** Block k's reply, waiting for it; null once the worker is given up. */
  const reply = (k: number): ScanReply | null => {
    const first = k * size
    while (!broken && !stash.has(first)) {
      const m = receiveMessageOnPort(port1)
      if (m) {
        received++
        stash.set((m.message as ScanReply).first, m.message as ScanReply)
      } else if (Atomics.wait(signal, 0, received, WAIT_MS) === 'timed-out' && Atomics.load(signal, 0) === received)
        broken = true
    }
    const r = stash.get(first) ?? null
    stash.delete(first)
    return r
  }
  // Asked for always (the tests), the worker is waited for, so its part is sure to run.
  if (mode === 'always') Atomics.wait(signal, 1, 0, WAIT_MS)
  try {
    for (let k = 0; k < blocks; k++) {
      const from = k * size
      const to = Math.min(n, from + size)
      feed(k)
      const r = given.has(k) ? reply(k) : null
      if (r) {
        for (const name of r.names)
          if (scan.seen[name] === undefined) {
            scan.seen[name] = true
            scan.names.push(name)
          }
        const b = scan.extent.bbox
        b.minX = Math.min(b.minX, r.bbox.minX)
        b.minY = Math.min(b.minY, r.bbox.minY)
        b.maxX = Math.max(b.maxX, r.bbox.maxX)
        b.maxY = Math.max(b.maxY, r.bbox.maxY)
        for (const [i, m] of r.malformed) scan.extent.malformed.set(i, m)
        if (r.failed) throw failure(r.failed)
        continue
      }
      for (let i = from; i < to; i++) scanFeature(scan, i, parseAt(i))
    }
  } finally {
    port1.close()
    void w.terminate()
  }
  return true
}

/** The features of a block, parsed as FeaturesFromBytes parses them (in a worker thread). */
export function blockFeatures(b: FeatureBlock): (k: number) => RawFeature {
  const buf = Buffer.from(b.bytes.buffer, b.bytes.byteOffset, b.bytes.byteLength)
  const dec = b.decoder === 'utf-8' ? null : new TextDecoder(b.decoder, { fatal: true })
  return (k) => {
    const s = b.starts[k],
      e = b.ends[k]
    return rawOf(JSON.parse(dec ? dec.decode(buf.subarray(s, e)) : buf.toString('utf8', s, e)))
  }
}

/** The whole file as one string, parsed at once (files up to `keepParsedBytes`). */
function readWhole(buf: Uint8Array, fileName: string, opts: ReadOptions): ReadResult {
  const { text, encoding, source, confidence } = decodeText(buf, opts.encoding, fileName)
  let doc: { type?: unknown; features?: unknown; coordinates?: unknown; crs?: unknown } | null
  try {
    doc = JSON.parse(text)
  } catch (e) {
    throw parseFailed(fileName, (e as Error).message)
  }
  let features: (Partial<Feature> | null)[]
  if (doc?.type === 'FeatureCollection' && Array.isArray(doc.features)) features = doc.features
  else if (doc?.type === 'Feature') features = [doc as Partial<Feature>]
  else if (doc && typeof doc.type === 'string' && 'coordinates' in doc)
    features = [{ geometry: doc as unknown as Geometry, properties: {} }]
  else throw parseFailed(fileName, '不是 GeoJSON FeatureCollection / not a GeoJSON FeatureCollection')
  if (features.length > opts.maxFeatures)
    throw new AppError('CC_TOO_MANY_FEATURES', { file: fileName, limit: opts.maxFeatures })
  const names = new Set<string>()
  const out = new Array<RawFeature>(features.length)
  for (let i = 0; i < features.length; i++) {
    out[i] = rawOf(features[i])
    for (const k in out[i].properties) names.add(k)
  }
  return {
    format: 'geojson',
    fileName,
    features: out,
    fieldNames: [...names],
    crsName: (doc.crs as { properties?: { name?: string } } | undefined)?.properties?.name,
    encoding,
    encodingSource: source,
    encodingConfidence: confidence,
  }
}

/**
 * GeoJSON FeatureCollection, Feature or bare geometry: parsed whole, or from its bytes when large or
 * when it has features enough for the second core (a whole parse is one thread's work and holds ~7× the
 * file in parsed objects; from its bytes, 1,033,809 footprints took 17.6–21.3 s and 0.60 KB a building
 * against 20.9 s and 2.32 KB parsed whole: `npm run bench:import`).
 */
export function readGeoJson(buf: Uint8Array, fileName: string, opts: ReadOptions): ReadResult {
  const keep = opts.keepParsedBytes ?? KEEP_PARSED_BYTES
  const mode = opts.worker ?? 'auto'
  // Too small to hold the features that make a second core worth it (50,000 points are ~5 MB).
  if (buf.length <= Math.min(keep, WHOLE_BELOW_BYTES) && mode !== 'always') return readWhole(buf, fileName, opts)
  const bytes = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
  const t = textOf(bytes, opts.encoding, fileName)
  const dbcs = DOUBLE_BYTE.has(normaliseEncoding(t.encoding))
  const top = scanTop(t, fileName, dbcs)
  const twoCores = mode === 'always' || (mode === 'auto' && (top?.starts.length ?? 0) >= PARALLEL_MIN_FEATURES)
  if (buf.length <= keep && !twoCores) return readWhole(buf, fileName, opts)
  const base = {
    format: 'geojson' as const,
    fileName,
    crsName: (top?.members.crs as { properties?: { name?: string } } | undefined)?.properties?.name,
    encoding: t.encoding,
    encodingSource: t.source,
    encodingConfidence: t.confidence,
  }
  const type = top?.members.type
  if (!top || type !== 'FeatureCollection' || !top.hasFeatures) {
    // A single Feature or a bare geometry: small by nature, parsed whole.
    let doc: (Partial<Feature> & { coordinates?: unknown }) | null = null
    try {
      const bom = t.bytes[0] === 0xef && t.bytes[1] === 0xbb && t.bytes[2] === 0xbf ? 3 : 0
      doc = top ? JSON.parse(t.decode(bom, t.bytes.length)) : null
    } catch (e) {
      throw parseFailed(fileName, (e as Error).message)
    }
    const one =
      doc?.type === 'Feature'
        ? rawOf(doc)
        : doc && typeof doc.type === 'string' && 'coordinates' in doc
          ? { geometry: doc as unknown as Geometry, properties: {} }
          : null
    if (!one) throw parseFailed(fileName, '不是 GeoJSON FeatureCollection / not a GeoJSON FeatureCollection')
    return { ...base, features: [one], fieldNames: Object.keys(one.properties) }
  }
  const n = top.starts.length
  if (n > opts.maxFeatures) throw new AppError('CC_TOO_MANY_FEATURES', { file: fileName, limit: opts.maxFeatures })
  // Every feature is parsed once here: a syntax error is reported now, with its feature number, and the
  // attribute names and the extent are gathered on the way; the parsed objects are not kept.
  const features = new FeaturesFromBytes(t, Float64Array.from(top.starts), Float64Array.from(top.ends))
  const scan = newScan()
  const parseAt = (i: number): RawFeature => {
    try {
      return rawOf(JSON.parse(t.decode(top.starts[i], top.ends[i], i + 1)))
    } catch (e) {
      if (e instanceof AppError) throw e
      throw parseFailed(fileName, (e as Error).message, i + 1)
    }
  }
  const inParallel = scanInParallel(
    features,
    scan,
    parseAt,
    (f) => {
      if (f.syntax !== undefined) return parseFailed(fileName, f.syntax, f.feature)
      return new AppError('CC_ENCODING_INVALID', {
        file: fileName,
        encoding: t.decoder,
        field: 'encoding',
        feature: f.feature,
      })
    },
    opts,
  )
  if (!inParallel) for (let i = 0; i < n; i++) scanFeature(scan, i, parseAt(i))
  const { names, extent } = scan
  return { ...base, features, fieldNames: names, extent }
}
