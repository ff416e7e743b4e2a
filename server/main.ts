// `npm start`: open the database (embedded unless DATABASE_URL is set), apply migrations, load the
// demo city into an empty demo year, and serve the API, the OpenAPI docs and the web pages.
import fs from 'node:fs'
import path from 'node:path'
import { loadConfig } from './config.ts'
import { openDatabase } from './db/engine.ts'
import { buildApp } from './app.ts'
import { markInterruptedUploads } from './import/pipeline.ts'
import { markInterruptedJobs } from './jobs/runner.ts'
import { computeYear, latestRun } from './indicators/service.ts'
import { loadDemoCity } from './demo.ts'
import { newToken } from './auth/tokens.ts'

const config = loadConfig()
const t0 = Date.now()
console.log(config.databaseUrl ? '连接 PostgreSQL / connecting to PostgreSQL…' : `启动内置 PostGIS（${config.dataDir}）/ starting embedded PostGIS…`)
const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir })
await markInterruptedUploads(db.knex)
await markInterruptedJobs(db.knex)

if (config.uploadTokens.size === 0) {
  // No token configured: make one for this data directory so the quick start can upload at once.
  const file = path.join(config.dataDir, 'dev-upload-token')
  fs.mkdirSync(config.dataDir, { recursive: true })
  if (!fs.existsSync(file)) fs.writeFileSync(file, newToken() + '\n', { mode: 0o600 })
  config.uploadTokens.set(fs.readFileSync(file, 'utf8').trim(), 'dev')
  console.log(`上传令牌 / upload token (dev): ${fs.readFileSync(file, 'utf8').trim()}  (set CITYCHECK_UPLOAD_TOKENS to choose your own)`)
}
if (config.demo) {
  await loadDemoCity(db, config, (msg) => console.log(msg))
  if (!(await latestRun(db.knex, config.demoYear))) {
    const r = await computeYear(db, config, config.demoYear)
    console.log(`  ${config.demoYear} 指标 / indicators: ${r.results} results, ${r.problems} problems (${r.durationMs} ms)`)
  }
}

const app = await buildApp({ config, db }, { logger: true })
const close = async () => { await app.close(); await db.close(); process.exit(0) }
process.on('SIGINT', close)
process.on('SIGTERM', close)
await app.listen({ host: config.host, port: config.port })
console.log(`\ncitycheck 已启动 / is running (${db.engine}, ${((Date.now() - t0) / 1000).toFixed(1)} s): http://${config.host}:${config.port}/   API 文档 / docs: http://${config.host}:${config.port}/docs`)
