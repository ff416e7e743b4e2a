import { openDatabase } from '../../server/db/engine.ts'
import { loadConfig } from '../../server/config.ts'
import { computeYear } from '../../server/indicators/service.ts'
const url = 'postgres://postgres@127.0.0.1/citycheck_prof'
const config = loadConfig({ ...process.env, DATABASE_URL: url })
const db = await openDatabase({ databaseUrl: url, dataDir: '/tmp' })
const t = Date.now(); let last = t
await computeYear(db, config, 2025, (p, m) => { const now = Date.now(); console.log(now - last, 'ms →', m); last = now })
console.log('total', Date.now() - t)
await db.close()
