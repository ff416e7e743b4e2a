// The walking network built on the second core (network/load.ts startNetwork): the graph from the
// roads while the main thread reads the buildings, then the homes and 小区 joined to it once their
// points arrive. Or, given a copy of a network, the walking flags of a run's indicators while the
// main thread computes the straight-line ones (network/indicators.ts networkFlagsAhead). Pure
// computation, no database; the flags go back transferred, not copied.
import { parentPort } from 'node:worker_threads'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { CityModel } from '../indicators/model.ts'
import { type FlagsRequest, networkFlags } from './flags.ts'
import { type Graph, prepareSnapping } from './graph.ts'
import { prepareSearch } from './reach.ts'
import { type CityNetwork, graphOf, joinNetwork, type NetworkInput, type NetworkSettings } from './join.ts'

type Points = { x: Float64Array; y: Float64Array }
type Message =
  | { input: NetworkInput; settings: NetworkSettings }
  | { residential: Points & { snapped?: import('./reach.ts').Snapped | null }; areas: Points }
  | { flags: FlagsRequest }
  | { release: true }

/** The collector, asked for when the worker is released (null if this Node does not allow it). */
const collect: (() => void) | null = (() => {
  // (the flag is the process's: set for the moment a context is made that has the function, then unset)
  try {
    setFlagsFromString('--expose-gc')
    return runInNewContext('gc') as () => void
  } catch {
    return null
  } finally {
    setFlagsFromString('--no-expose-gc')
  }
})()

let built: { input: NetworkInput; settings: NetworkSettings; graph: ReturnType<typeof graphOf> } | null = null
/** The joined network, kept for the run's walking flags (its arrays shared with the main thread). */
let held: CityNetwork | null = null

const buffersOf = (arrays: ArrayBufferView[]) => [...new Set(arrays.map((a) => a.buffer as ArrayBuffer))]

/** A typed array's copy in shared memory: posted to another thread, it is shared, not copied. */
function shared<T extends Float64Array | Int32Array>(a: T): T {
  // (already there: a kept graph's and join's arrays are views of the shared bytes they were read into)
  if (a.buffer instanceof SharedArrayBuffer) return a
  const out = new (a.constructor as new (b: SharedArrayBuffer) => T)(new SharedArrayBuffer(a.byteLength))
  out.set(a)
  return out
}

/** The graph with every array in shared memory. */
function sharedGraph(g: Graph): Graph {
  return {
    ...g,
    ...Object.fromEntries(
      (['x', 'y', 'off', 'adj', 'w', 'segA', 'segB', 'segLen', 'component', 'componentSize'] as const).map((k) => [
        k,
        shared(g[k]),
      ]),
    ),
  }
}

/** The network's joins in shared memory too (its graph is already). */
function inSharedMemory(net: CityNetwork): CityNetwork {
  const pts = (p: CityNetwork['residential']) => ({ ...p, seg: shared(p.seg), t: shared(p.t), leg: shared(p.leg) })
  return { ...net, residential: pts(net.residential), areas: pts(net.areas) }
}

parentPort!.on('message', (msg: Message) => {
  if ('input' in msg) {
    const b = graphOf(msg.input, msg.settings)
    // The graph goes to shared memory once, and what its joins and searches derive from it (kept per
    // graph object) is made now, while the main thread is still reading the homes (~0.6 s of this
    // thread at a million buildings, which was spent after the homes arrived).
    const graph = sharedGraph(b.graph)
    prepareSnapping(graph)
    prepareSearch(graph)
    built = { input: msg.input, settings: msg.settings, graph: { ...b, graph } }
    return
  }
  if ('release' in msg) {
    // Released until the next run (network/load.ts releaseWorker): what it held goes, and the
    // collector runs now rather than whenever this thread next allocates, so that the graph's shared
    // memory is not kept alive by an idle thread.
    built = null
    held = null
    collect?.()
    return
  }
  if ('residential' in msg) {
    // Kept here for the flags and shared with the main thread, which reads it from the same memory.
    held = inSharedMemory(joinNetwork(built!.input, built!.graph, built!.settings, msg))
    built = null
    parentPort!.postMessage(held)
    return
  }
  // The model's parts networkFlags reads, around the network held here or as sent.
  const r = msg.flags
  const m = {
    network: r.network ?? held,
    b: { n: r.buildings },
    areas: { length: r.areas },
    residentialPoints: { ids: r.residentialIds },
    areaPoints: { ids: r.areaIds },
    facilities: r.facilities,
    green: r.green,
  } as unknown as CityModel
  const cache = new Map<string, { b: Uint8Array; a: Uint8Array; sites: number }>()
  for (const q of r.requests) networkFlags(m, q.p, q.bands, cache)
  const out = [...cache]
  parentPort!.postMessage(out, buffersOf(out.flatMap(([, f]) => [f.b, f.a])))
})
