// Worker threads that run TypeScript as the server does: tsx's loader registered in the thread, then
// the module imported (Node cannot start a `.ts` worker by itself). Used for the walking network
// (network/build-worker.ts) and for converting a large upload's features (import/convert-worker.ts).
import { Worker } from 'node:worker_threads'

function resolved(specifier: string): string {
  try {
    return import.meta.resolve(specifier)
  } catch {
    return specifier
  }
}

const TSX_API = JSON.stringify(resolved('tsx/esm/api'))

/** A worker thread running the TypeScript module at `module`. */
export function tsWorker(module: URL): Worker {
  const entry = `import(${TSX_API}).then((tsx) => { tsx.register(); return import(${JSON.stringify(module.href)}) })`
  const w = new Worker(entry, { eval: true })
  // Its callers listen for failure and fall back to their own thread; a second error must not go uncaught.
  w.on('error', () => {})
  return w
}
