import type { Config } from './config.ts'
import type { Database } from './db/engine.ts'

/** What every route plugin gets: the configuration and the database. */
export interface AppContext {
  config: Config
  db: Database
}
