// `npm start`: open the database (embedded unless DATABASE_URL is set), apply migrations, load the
// demo city when the platform has none, and serve the API, the OpenAPI docs and the web pages.
// The same process runs job workers unless CITYCHECK_WORKERS=0 (an API-only process beside
// `npm run worker` processes).
import fs from 'node:fs'
import path from 'node:path'
import { loadConfig } from './config.ts'
import { guardProcess } from './db/outage.ts'
import { openDatabase } from './db/engine.ts'
import { buildApp } from './app.ts'
import { openRuntime } from './runtime.ts'
import { computeYear, latestRun } from './indicators/service.ts'
import { loadDemoCity } from './demo/load.ts'
import { seedDemoWork } from './demo/work.ts'
import { newToken } from './auth/tokens.ts'
import { withStartupLock } from './db/client.ts'

const config = loadConfig()
guardProcess()
const t0 = Date.now()
console.log(
  config.databaseUrl
    ? '连接 PostgreSQL / connecting to PostgreSQL…'
    : `启动内置 PostGIS（${config.dataDir}）/ starting embedded PostGIS…`,
)
const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir })

if (config.uploadTokens.size === 0) {
  // No token configured: make an admin token for this data directory so the quick start can upload at once.
  const file = path.join(config.dataDir, 'dev-upload-token')
  fs.mkdirSync(config.dataDir, { recursive: true })
  if (!fs.existsSync(file)) fs.writeFileSync(file, newToken() + '\n', { mode: 0o600 })
  config.uploadTokens.set(fs.readFileSync(file, 'utf8').trim(), 'dev')
  console.log(
    `管理员令牌 / admin token (dev): ${fs.readFileSync(file, 'utf8').trim()}  (set CITYCHECK_ADMIN_TOKEN to choose your own)`,
  )
}
if (config.demo) {
  // Several API replicas may start at once on one database: one loads the demo, the others wait.
  await withStartupLock(db, async () => {
    await loadDemoCity(db, config, (msg) => console.log(msg))
    const demo = await db.knex('cities').where({ code: config.demoCity.code }).first()
    const city = {
      code: demo?.code,
      name: demo?.name,
      nameEn: demo?.name_en,
      zone: demo?.zone,
      createdAt: demo?.created_at,
    }
    for (const year of [config.demoYear - 1, config.demoYear]) {
      if (!demo || (await latestRun(db.knex, demo.code, year))) continue
      if (!(await db.knex('layer_current').where({ city: demo.code, year }).first())) continue
      const r = await computeYear(db, config, city, year)
      console.log(`  ${year} 指标 / indicators: ${r.results} results, ${r.problems} problems (${r.durationMs} ms)`)
    }
    if (demo) await seedDemoWork(db.knex, demo.code, config.demoYear, (msg) => console.log(msg))
  })
}

const rt = await openRuntime(config, { db })
const app = await buildApp(rt, { logger: true })
const close = async () => {
  await app.close()
  await rt.close()
  await db.close()
  process.exit(0)
}
process.on('SIGINT', close)
process.on('SIGTERM', close)
await app.listen({ host: config.host, port: config.port })
// The bound port, not the asked one: PORT=0 lets the OS choose (the multi-process test reads it here).
const bound = app.server.address()
const port = bound && typeof bound === 'object' ? bound.port : config.port
const base = `http://${config.host}:${port}`
const took = ((Date.now() - t0) / 1000).toFixed(1)
console.log(
  `\ncitycheck 已启动 / is running (${db.engine}, ${config.workers} worker(s), ${took} s): ${base}/   API 文档 / docs: ${base}/docs`,
)
