// The walking network built in a worker thread is the network built on the main thread: the same
// graph and joins, on a grid of streets that cross without shared vertices (crossings noded),
// with a motorway nobody walks along and a bridge over it.
import { describe, expect, it } from 'vitest'
import { DEFAULT_NETWORK, networkWorker, releaseWorker, startNetwork } from './load.ts'
import type { CityNetwork, NetworkInput, RoadRow } from './join.ts'
import { snap } from './graph.ts'

function city(): NetworkInput {
  const roads: RoadRow[] = []
  const line = (kind: string | null, pts: [number, number][], bridge: string | null = null): RoadRow => [
    kind,
    null,
    null,
    bridge,
    null,
    null,
    [Float64Array.from(pts.flat())],
  ]
  // 40 × 40 streets 100 m apart, each drawn end to end so only crossings join them.
  for (let k = 0; k <= 40; k++) {
    roads.push(
      line('支路', [
        [0, k * 100],
        [4000, k * 100],
      ]),
    )
    roads.push(
      line('支路', [
        [k * 100, 0],
        [k * 100, 4000],
      ]),
    )
  }
  roads.push(
    line('高速公路', [
      [0, 2050],
      [4000, 2050],
    ]),
  )
  roads.push(
    line(
      '人行天桥',
      [
        [1950, 1950],
        [1950, 2150],
      ],
      'yes',
    ),
  )
  return { roads, gates: [[1000, 1000]], size: roads.length }
}

function points(n: number, seed: number) {
  let s = seed
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 4800 - 400
  return { x: Float64Array.from({ length: n }, rnd), y: Float64Array.from({ length: n }, rnd) }
}

async function built(worker: 'always' | 'never'): Promise<CityNetwork> {
  const job = startNetwork(Promise.resolve(city()), DEFAULT_NETWORK, { worker })
  const net = await job.join({ residential: points(20_000, 7), areas: points(500, 11) })
  job.close()
  return net!
}

describe('the walking network built in a worker', () => {
  it('equals the one built on the main thread', async () => {
    const [here, there] = await Promise.all([built('never'), built('always')])
    const g = here.graph,
      w = there.graph
    expect(w.nodes).toBe(g.nodes)
    expect(g.nodes).toBeGreaterThan(1600)
    for (const k of ['x', 'y', 'off', 'adj', 'w', 'segA', 'segB', 'segLen', 'component', 'componentSize'] as const)
      expect(w[k], k).toEqual(g[k])
    for (const k of ['residential', 'areas'] as const) {
      expect(there[k].seg).toEqual(here[k].seg)
      expect(there[k].t).toEqual(here[k].t)
      expect(there[k].leg).toEqual(here[k].leg)
    }
    // Homes more than 150 m outside the grid are off the network, in both.
    expect([...here.residential.seg].filter((s) => s < 0).length).toBeGreaterThan(0)
    expect(there.excluded).toBe(1)
    expect(there.noding).toBe('crossings')
    expect(there.gates.x).toEqual(Float64Array.of(1000))
    // Points join the worker's graph where they join this one.
    expect(snap(g, 1990, 1990, 150)).not.toBeNull()
    for (const [px, py] of [
      [1990, 1990],
      [2010, 1500],
      [-40, 300],
    ])
      expect(snap(w, px, py, 150), `${px},${py}`).toEqual(snap(g, px, py, 150))
  })

  it('a worker done with a run waits for the next (a new thread only when none waits) and builds the same network', async () => {
    const first = await built('always')
    // The job released its worker: the next one asked for is that thread, not a new one.
    const w = networkWorker()
    const id = w.threadId
    releaseWorker(w)
    const again = await built('always')
    const w2 = networkWorker()
    expect(w2.threadId).toBe(id)
    // Its listeners from the run are gone (Node's own stay), and it still answers.
    expect(w2.listenerCount('message') + w2.listenerCount('error') + w2.listenerCount('exit')).toBe(0)
    releaseWorker(w2)
    for (const k of ['x', 'y', 'segA', 'segB', 'segLen'] as const) expect(again.graph[k]).toEqual(first.graph[k])
    expect(again.residential.seg).toEqual(first.residential.seg)
    // A worker that ended while it waited is not handed out.
    const w3 = networkWorker()
    const ended = w3.threadId
    await w3.terminate()
    releaseWorker(w3)
    const w4 = networkWorker()
    expect(w4.threadId).toBeGreaterThan(0)
    expect(w4.threadId).not.toBe(ended)
    releaseWorker(w4)
  })

  it('a city without roads has no network, with or without a worker', async () => {
    const job = startNetwork(Promise.resolve(null), DEFAULT_NETWORK, { worker: 'always' })
    expect(await job.join({ residential: points(10, 1), areas: points(1, 2) })).toBeNull()
  })
})
