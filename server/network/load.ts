// Reads a year's roads (and gates) for the walking graph, in the model's metres, and has the graph
// built and every residential building and 小区 point joined to it (join.ts; on a worker thread from a
// pool of one for a city's roads). Which road classes are walkable is data (below) and a
// year setting; so are the access cap, walking speed and noding rule.
import type { Worker } from 'node:worker_threads'
import { tsWorker } from '../threads.ts'
import type { Knex } from 'knex'
import { arrayRows } from '../db/client.ts'
import type { Snapped } from './reach.ts'
import { packedMeta } from '../db/packed.ts'
import { readCached } from '../db/derived.ts'
import { type GraphMeta, graphKey } from './packed.ts'
import {
  type CityNetwork,
  type JoinPoints,
  type Points,
  type NetworkInput,
  type NetworkSettings,
  type RoadRow,
  graphOf,
  joinNetwork,
} from './join.ts'

export const DEFAULT_NETWORK: NetworkSettings = {
  excludeKinds: [
    'motorway',
    'motorway_link',
    'trunk',
    'trunk_link',
    'construction',
    'proposed',
    'raceway',
    'bus_guideway',
    'busway',
    'escape',
    '高速公路',
    '快速路',
    '城市快速路',
    '高速',
    // rail, if a file carries it among the roads
    'railway',
    'rail',
    '铁路',
  ],
  accessCapM: 150,
  edgeSnapM: 30,
  walkSpeed: 60,
  noding: 'auto',
}

export const WALK_SPEED_SOURCE =
  '步行速度 60 米/分钟（GB 50180-2018 生活圈按步行时间划分，规划常用取值；可按年度设置 network.walkSpeed 修改）'

const rows = arrayRows

/**
 * The lines of a (multi)linestring's WKB, each coordinate rounded to the millimetre (as the GeoJSON
 * with 3 decimals this replaced had them, so the graph's nodes are where they were). Read here rather
 * than through GeoJSON: the text of a million vertices, printed by PostgreSQL and parsed by
 * JSON.parse into arrays of arrays, was ~1.2 s of the network's thread at city scale (wkx, which the
 * GeoPackage reader uses, would build an object per point).
 */
export function wkbLines(wkb: Uint8Array): Float64Array[] {
  const v = new DataView(wkb.buffer, wkb.byteOffset, wkb.byteLength)
  const out: Float64Array[] = []
  const mm = (x: number) => Math.round(x * 1000) / 1000
  const line = (p: number): number => {
    const le = v.getUint8(p) === 1
    const type = v.getUint32(p + 1, le)
    if (type === 5) {
      const parts = v.getUint32(p + 5, le)
      let q = p + 9
      for (let k = 0; k < parts; k++) q = line(q)
      return q
    }
    if (type !== 2) throw new Error(`wkbLines: geometry type ${type} is not a line`)
    const n = v.getUint32(p + 5, le)
    const c = new Float64Array(2 * n)
    for (let k = 0, q = p + 9; k < 2 * n; k++, q += 8) c[k] = mm(v.getFloat64(q, le))
    out.push(c)
    return p + 9 + 16 * n
  }
  line(0)
  return out
}

/**
 * The year's roads and gates in the model's metres (null when the year has no roads layer). Given the
 * settings, the graph kept for these roads is looked up first, and the roads are read only without it.
 */
export async function readNetwork(
  knex: Knex,
  versions: Record<string, number | null>,
  srid: number,
  settings?: NetworkSettings,
): Promise<NetworkInput | null> {
  if (versions.roads == null) return null
  const roadsUpload = versions.roads
  const key = settings && graphKey(roadsUpload, srid, settings)
  const [roads, gates] = await Promise.all([
    (key ? readCached(knex, key) : Promise.resolve(null)).then(
      // (a kept row that does not hold what its header lists is read past: the roads are read instead)
      (kept): Promise<Partial<NetworkInput>> | Partial<NetworkInput> =>
        kept && packedMeta(kept)
          ? { kept }
          : rows(
              knex,
              `SELECT kind, foot, access, bridge, tunnel, layer, ST_AsBinary(ST_Force2D(ST_Transform(geom, $2::int)))
             FROM roads WHERE upload_id = $1 ORDER BY fid`,
              [roadsUpload, srid],
            ).then((rs) => {
              for (const r of rs) r[6] = wkbLines(r[6] as Uint8Array)
              return { roads: rs as RoadRow[] }
            }),
    ),
    versions.gates == null
      ? []
      : rows(knex, 'SELECT ST_X(p), ST_Y(p) FROM gates, ST_Transform(geom, $2::int) p WHERE upload_id = $1', [
          versions.gates,
          srid,
        ]),
  ])
  const size = roads.kept ? ((packedMeta(roads.kept) as GraphMeta | null)?.lines ?? 0) : (roads.roads?.length ?? 0)
  return { roads: [], ...roads, gates: gates as [number, number][], graphKey: key, size }
}

/**
 * A worker thread running build-worker.ts (the graph and joins, or a run's walking flags): one an
 * earlier run released if there is one, else a new one.
 */
export function networkWorker(): Worker {
  for (const w of idle) {
    idle.delete(w)
    dropListeners(w)
    // (threadId is −1 once the thread has ended)
    if (w.threadId >= 0) return w
  }
  return tsWorker(new URL('./build-worker.ts', import.meta.url))
}

/**
 * The listeners a run left on a worker, event by event (not removeAllListeners(): Node's own
 * 'newListener' hooks, which reference the message port while 'message' has listeners, must stay).
 */
const dropListeners = (w: Worker) => {
  for (const e of ['message', 'messageerror', 'error', 'exit', 'online']) w.removeAllListeners(e)
}

/** Workers released by earlier runs, waiting for the next (at most MAX_IDLE_WORKERS). */
const idle = new Set<Worker>()
const MAX_IDLE_WORKERS = 1

/**
 * Done with a worker that is not in the middle of anything: it drops what it holds and waits for the
 * next run, not keeping the process up. A new thread for each run loaded its modules and compiled its
 * code afresh — the flags worker ran cold every run, its hot loops interpreted until optimised.
 */
export function releaseWorker(w: Worker): void {
  dropListeners(w)
  if (w.threadId < 0) return
  if (idle.size >= MAX_IDLE_WORKERS) {
    void w.terminate()
    return
  }
  w.postMessage({ release: true })
  w.unref()
  // (one that fails or ends while it waits is not handed out)
  const gone = () => idle.delete(w)
  w.once('exit', gone)
  w.once('error', gone)
  idle.add(w)
}

/** Roads from which the network is built on a second core (below it a worker costs more than it saves). */
export const WORKER_MIN_ROADS = 5000

export interface NetworkJob {
  /**
   * The network with these points joined to it (null: no roads this year); `homes` looks up the
   * residential points' join as kept (network/cache.ts), asked only when the graph was kept too.
   */
  join(
    points: { residential: Points; areas: Points },
    homes?: () => Promise<Snapped | null>,
  ): Promise<CityNetwork | null>
  /**
   * The worker that joined the network, still holding it (started with `keep`): the run's walking
   * flags are computed there, with no second thread to start and no copy of the network to send.
   * Null if there is none (no worker, not kept, already taken or past KEEP_MS); the taker ends it.
   */
  takeWorker(): Worker | null
  /** Stops the worker if the model was not finished. */
  close(): void
}

/** How long a kept worker waits to be taken before it is ended. */
const KEEP_MS = 60_000

/**
 * Starts reading the roads at once and, for a city-sized network, builds the graph in a worker thread
 * while the caller reads everything else: on a million buildings the graph (~2 s) and the joins (~1.5 s)
 * then no longer add to the load. Should the worker fail, the same input is built here.
 */
export function startNetwork(
  read: Promise<NetworkInput | null>,
  settings: NetworkSettings,
  opts: { worker?: 'auto' | 'always' | 'never'; keep?: boolean } = {},
): NetworkJob {
  let worker: Worker | null = null
  let kept: { w: Worker; timer: NodeJS.Timeout } | null = null
  let failed = false
  const useWorker = (n: number) => opts.worker === 'always' || (opts.worker !== 'never' && n >= WORKER_MIN_ROADS)
  const input = read.then((inp) => {
    if (inp && useWorker(inp.size)) {
      worker = networkWorker()
      worker.unref()
      worker.on('error', () => {
        failed = true
      })
      worker.postMessage({ input: inp, settings })
    }
    return inp
  })
  // The caller may fail before it joins: the read's own failure then has nowhere else to go.
  input.catch(() => {})
  const local = (inp: NetworkInput, points: { residential: JoinPoints; areas: Points }) =>
    joinNetwork(inp, graphOf(inp, settings), settings, points)
  const job: NetworkJob = {
    async join(given, homes) {
      const inp = await input
      if (!inp) return null
      // A kept join fits only the graph it was joined to: with a graph built afresh it is not asked for.
      const snapped = inp.kept && homes ? await homes().catch(() => null) : null
      const points = { ...given, residential: { ...given.residential, snapped } }
      const w = worker as Worker | null
      if (!w || failed) return local(inp, points)
      const reply = new Promise<CityNetwork | null>((resolve) => {
        w.once('message', (net: CityNetwork) => resolve(net))
        w.once('error', () => resolve(null))
        w.once('exit', () => resolve(null))
      })
      w.ref()
      const { residential: r, areas: a } = points
      w.postMessage({ residential: { x: r.x, y: r.y, snapped }, areas: { x: a.x, y: a.y } })
      const net = await reply
      worker = null
      if (net && opts.keep) {
        w.unref()
        kept = { w, timer: setTimeout(() => job.close(), KEEP_MS).unref() }
      } else if (net) releaseWorker(w)
      else void w.terminate()
      return net ?? local(inp, points)
    },
    takeWorker() {
      const k = kept
      kept = null
      if (k) clearTimeout(k.timer)
      return k?.w ?? null
    },
    close() {
      if (worker) void (worker as Worker).terminate()
      worker = null
      const k = job.takeWorker()
      if (k) releaseWorker(k)
    },
  }
  return job
}
