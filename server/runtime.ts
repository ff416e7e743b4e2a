// What a citycheck process holds: the database, the cities, the job queue (with its handlers) and
// the tile cache. `npm start` runs API + workers, `npm run worker` workers only; tests build the same.
import type { Config } from './config.ts'
import { openDatabase, type Database } from './db/engine.ts'
import { CityRegistry } from './cities/store.ts'
import { openQueue } from './jobs/queue.ts'
import { registerHandlers } from './jobs/handlers.ts'
import { TileService } from './tiles/service.ts'
import type { AppContext } from './context.ts'

export interface Runtime extends AppContext {
  close(): Promise<void>
}

export async function openRuntime(config: Config, opts: { db?: Database; workers?: number } = {}): Promise<Runtime> {
  const db = opts.db ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }))
  const cities = new CityRegistry(db, config.defaultCity)
  const queue = openQueue(db, { staleAfterS: config.jobStaleSeconds })
  registerHandlers(queue, db, config, cities)
  await queue.start(opts.workers ?? config.workers)
  const tiles = new TileService(db.knex, db.events)
  await db.events.ready()
  return {
    config,
    db,
    cities,
    queue,
    tiles,
    close: async () => {
      tiles.close()
      cities.close()
      await queue.stop()
      if (!opts.db) await db.close()
    },
  }
}
