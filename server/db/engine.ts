// One knex code path over two engines:
//   DATABASE_URL set → that PostgreSQL + PostGIS (production, tests);
//   unset            → embedded PostGIS (PGlite) in a worker thread, reached through pglite-socket.
import { Worker } from 'node:worker_threads'
import fs from 'node:fs'
import path from 'node:path'
import knexFactory, { type Knex } from 'knex'
import knexPostgis from 'knex-postgis'
import pg from 'pg'
import { migrate } from './migrate.ts'
import { withStartupLock } from './client.ts'
import { EventBus, NOTIFY_SQL } from './events.ts'

// bigint (int8) and numeric come back as strings by default; ids and counts fit in a double.
pg.types.setTypeParser(20, (v) => Number(v))
pg.types.setTypeParser(1700, (v) => Number(v))

export type EngineKind = 'postgresql' | 'embedded'

export interface Database {
  knex: Knex
  engine: EngineKind
  /** COPY FROM STDIN is available (native PostgreSQL); the embedded socket does not carry it. */
  supportsCopy: boolean
  /** "this city's year changed" notices, across processes on PostgreSQL */
  events: EventBus
  /** the PostgreSQL URL (undefined on the embedded engine) */
  url: string | undefined
  close(): Promise<void>
}

// Which knex instances may stream COPY (native PostgreSQL): readers that only get a knex can ask.
const copyCapable = new WeakSet<Knex>()
export function canCopy(knex: Knex): boolean {
  return copyCapable.has(knex)
}

export interface EngineOptions {
  databaseUrl?: string
  dataDir: string
  poolMax?: number
  runMigrations?: boolean
}

function makeKnex(connection: Knex.PgConnectionConfig | string, poolMax: number): Knex {
  const k = knexFactory({
    client: 'pg',
    connection,
    // knex warns on every failed connection attempt; an outage is logged once by the app instead
    // (server/db/outage.ts), so those two warnings are dropped here and the rest pass through.
    log: {
      warn: (m: unknown) => {
        if (!/Acquire connection error|Connection Error/.test(String(m))) console.warn(m)
      },
      error: (m: unknown) => console.error(m),
      deprecate: (m: unknown) => console.warn(m),
      debug: () => {},
    },
    // Fail fast when the server is gone: a request gets its 503 in seconds, not after knex's 60 s default.
    acquireConnectionTimeout: 5000,
    pool: {
      min: 0,
      max: poolMax,
      createTimeoutMillis: 3000,
      // JIT makes short spatial queries 5× slower (platform notes); statement_timeout guards the server.
      afterCreate: (conn: pg.Client, done: (err: Error | null, conn: pg.Client) => void) => {
        conn.query('SET jit = off', (err) => done(err, conn))
      },
    },
  })
  knexPostgis(k)
  return k
}

/**
 * One process per embedded data directory: a second (say `npm run import` while `npm start` runs)
 * would write into its own copy and lose it. The lock file holds the owner's pid; a lock whose
 * process is gone is taken over.
 */
export function lockDataDir(dir: string): () => void {
  const file = path.join(dir, 'citycheck.lock')
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' })
      return () => {
        try {
          if (fs.readFileSync(file, 'utf8') === String(process.pid)) fs.unlinkSync(file)
        } catch {
          /* gone */
        }
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      const pid = Number(fs.readFileSync(file, 'utf8'))
      let alive = false
      try {
        process.kill(pid, 0)
        alive = pid !== process.pid
      } catch (k) {
        alive = (k as NodeJS.ErrnoException).code === 'EPERM'
      }
      if (alive) {
        throw new Error(
          `内置数据库 ${dir} 正由进程 ${pid} 使用（npm start 正在运行？）：请先停止它，或通过运行中的服务器上传（POST /api/…/layers/…），或使用 DATABASE_URL。 / The embedded database ${dir} is in use by process ${pid} (is npm start running?): stop it first, upload through the running server, or use DATABASE_URL.`,
        )
      }
      fs.rmSync(file, { force: true })
    }
  }
  throw new Error(`cannot lock ${dir}`)
}

async function startEmbedded(dataDir: string): Promise<{ port: number; worker: Worker; unlock: () => void }> {
  const dir = path.join(dataDir, 'pglite')
  fs.mkdirSync(dir, { recursive: true })
  const unlock = lockDataDir(dir)
  const here = import.meta.dirname
  const worker = new Worker(path.join(here, 'pglite-worker.mjs'), { workerData: { dataDir: dir } })
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('error', reject)
    worker.on('message', (m: { type: string; port?: number; message?: string }) => {
      if (m.type === 'ready') resolve(m.port!)
      else if (m.type === 'error') reject(new Error(`embedded PostGIS failed to start: ${m.message}`))
    })
  }).catch((e) => {
    unlock()
    throw e
  })
  return { port, worker, unlock }
}

export async function openDatabase(opts: EngineOptions): Promise<Database> {
  let db: Database
  if (opts.databaseUrl) {
    const knex = makeKnex(opts.databaseUrl, opts.poolMax ?? 10)
    const events = new EventBus(opts.databaseUrl, (p) => knex.raw(NOTIFY_SQL, [p]))
    db = {
      knex,
      engine: 'postgresql',
      supportsCopy: true,
      events,
      url: opts.databaseUrl,
      close: async () => {
        await events.close()
        await knex.destroy()
      },
    }
    copyCapable.add(knex)
  } else {
    const { port, worker, unlock } = await startEmbedded(opts.dataDir)
    // The socket multiplexes connections onto one PGlite session; a transaction must own it,
    // so the pool holds a single connection.
    const knex = makeKnex({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' }, 1)
    db = {
      knex,
      engine: 'embedded',
      supportsCopy: false,
      events: new EventBus(undefined, async () => {}),
      url: undefined,
      close: async () => {
        await knex.destroy()
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => resolve(), 5000)
          worker.once('message', () => {
            clearTimeout(t)
            resolve()
          })
          worker.postMessage({ type: 'close' })
        })
        await worker.terminate()
        unlock()
      },
    }
  }
  // knex's own migration lock is a row it creates with its tables: replicas starting together on an
  // empty database race to create them and all but one fail (measured: 5 of 6). A session advisory lock
  // lets one migrate while the others wait, then find nothing to do.
  if (opts.runMigrations !== false) await withStartupLock(db, () => migrate(db.knex), 'citycheck:migrate')
  return db
}
