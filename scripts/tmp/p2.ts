import { openDatabase } from '../../server/db/engine.ts'
import { loadConfig } from '../../server/config.ts'
import { loadCityModel } from '../../server/indicators/model.ts'
import { settingsFor } from '../../server/indicators/service.ts'
const url = 'postgres://postgres@127.0.0.1/citycheck_prof'
const config = loadConfig({ ...process.env, DATABASE_URL: url })
const db = await openDatabase({ databaseUrl: url, dataDir: '/tmp' })
const t = Date.now()
await loadCityModel(db.knex, 2025, settingsFor(config, {}), (p, m) => console.log(Date.now() - t, m))
await db.close()
