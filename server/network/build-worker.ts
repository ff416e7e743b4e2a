// The walking network built on the second core (network/load.ts startNetwork): the graph from the
// roads while the main thread reads the buildings, then the homes and 小区 joined to it once their
// points arrive. Pure computation, no database; every typed array goes back transferred, not copied.
import { parentPort } from 'node:worker_threads'
import { graphOf, joinNetwork, type NetworkInput, type NetworkSettings } from './load.ts'

type Points = { x: Float64Array; y: Float64Array }
let built: { input: NetworkInput; settings: NetworkSettings; graph: ReturnType<typeof graphOf> } | null = null

parentPort!.on(
  'message',
  (msg: { input: NetworkInput; settings: NetworkSettings } | { residential: Points; areas: Points }) => {
    if ('input' in msg) {
      built = { input: msg.input, settings: msg.settings, graph: graphOf(msg.input, msg.settings) }
      return
    }
    const net = joinNetwork(built!.input, built!.graph, built!.settings, msg)
    const g = net.graph
    const arrays = [g.x, g.y, g.off, g.adj, g.w, g.segA, g.segB, g.segLen, g.component, g.componentSize]
    arrays.push(net.residential.seg, net.residential.t, net.residential.leg, net.areas.seg, net.areas.t, net.areas.leg)
    const buffers = new Set<ArrayBuffer>(arrays.map((a) => a.buffer as ArrayBuffer))
    if (g.index) buffers.add(g.index.data as ArrayBuffer)
    parentPort!.postMessage({ ...net, graph: { ...g, index: g.index?.data ?? null } }, [...buffers])
  },
)
