// The walking network built on the second core (network/load.ts startNetwork): the graph from the
// roads while the main thread reads the buildings, then the homes and 小区 joined to it once their
// points arrive. Or, given a copy of a network, the walking flags of a run's indicators while the
// main thread computes the straight-line ones (network/indicators.ts networkFlagsAhead). Pure
// computation, no database; the flags go back transferred, not copied.
import { parentPort } from 'node:worker_threads'
import type { CityModel } from '../indicators/model.ts'
import { type FlagsRequest, networkFlags } from './indicators.ts'
import { graphOf, joinNetwork, type NetworkInput, type NetworkSettings, received, sendable } from './load.ts'

type Points = { x: Float64Array; y: Float64Array }
type Message =
  | { input: NetworkInput; settings: NetworkSettings }
  | { residential: Points; areas: Points }
  | { flags: FlagsRequest }

let built: { input: NetworkInput; settings: NetworkSettings; graph: ReturnType<typeof graphOf> } | null = null

const buffersOf = (arrays: ArrayBufferView[]) => [...new Set(arrays.map((a) => a.buffer as ArrayBuffer))]

parentPort!.on('message', (msg: Message) => {
  if ('input' in msg) {
    built = { input: msg.input, settings: msg.settings, graph: graphOf(msg.input, msg.settings) }
    return
  }
  if ('residential' in msg) {
    const net = joinNetwork(built!.input, built!.graph, built!.settings, msg)
    const g = net.graph
    const arrays: ArrayBufferView[] = [g.x, g.y, g.off, g.adj, g.w, g.segA, g.segB, g.segLen, g.component]
    arrays.push(g.componentSize)
    for (const p of [net.residential, net.areas]) arrays.push(p.seg, p.t, p.leg)
    const buffers = buffersOf(arrays)
    if (g.index) buffers.push(g.index.data as ArrayBuffer)
    parentPort!.postMessage(sendable(net), buffers)
    return
  }
  // The model's parts networkFlags reads, around the network as sent (its index rebuilt from its bytes).
  const r = msg.flags
  const m = {
    network: received(r.network),
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
