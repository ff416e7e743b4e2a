// Runs the embedded PostGIS (PGlite, WASM) in its own thread and serves it over the PostgreSQL wire
// protocol on 127.0.0.1. Why a thread: a PGlite query runs on the calling thread and would freeze
// every HTTP request for its whole duration. Why a socket: the main thread then uses the ordinary
// `pg` driver, so one knex code path serves both engines.
// Plain JavaScript on purpose: a worker does not inherit a TypeScript loader under every runner.
import { parentPort, workerData } from 'node:worker_threads'
import { PGlite } from '@electric-sql/pglite'
import { postgis } from '@electric-sql/pglite-postgis'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'

const { dataDir } = workerData
try {
  const db = await PGlite.create({ dataDir, extensions: { postgis } })
  await db.exec('CREATE EXTENSION IF NOT EXISTS postgis')
  const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections: 8 })
  await server.start()
  parentPort.postMessage({ type: 'ready', port: server.server.address().port })
  parentPort.on('message', async (m) => {
    if (m.type === 'close') {
      await server.stop()
      await db.close()
      parentPort.postMessage({ type: 'closed' })
    }
  })
} catch (e) {
  parentPort.postMessage({ type: 'error', message: e.message })
}
