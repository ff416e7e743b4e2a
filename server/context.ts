import type { Config } from './config.ts'
import type { Database } from './db/engine.ts'
import type { CityRegistry } from './cities/store.ts'
import type { JobQueue } from './jobs/queue.ts'
import type { TileService } from './tiles/service.ts'

/** What every route plugin gets: configuration, database, the cities, the job queue, the tile cache. */
export interface AppContext {
  config: Config
  db: Database
  cities: CityRegistry
  queue: JobQueue
  tiles: TileService
}
