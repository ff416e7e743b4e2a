// npm run migrate: apply migrations without starting the server (they also run on every start).
import { loadConfig } from '../server/config.ts'
import { openDatabase } from '../server/db/engine.ts'
import { migrate } from '../server/db/migrate.ts'

const config = loadConfig()
const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, runMigrations: false })
const applied = await migrate(db.knex)
console.log(applied.length ? `applied: ${applied.join(', ')}` : 'up to date')
await db.close()
