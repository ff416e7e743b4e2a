// `npm run worker`: a process that only runs jobs (imports, indicator runs, siting) from the
// PostgreSQL queue; start as many as the machine has cores. Needs DATABASE_URL: the embedded
// engine belongs to one process, which runs its own jobs.
import { loadConfig } from './config.ts'
import { guardProcess } from './db/outage.ts'
import { openRuntime } from './runtime.ts'

const config = loadConfig()
guardProcess()
if (!config.databaseUrl) {
  console.error(
    'npm run worker 需要 DATABASE_URL（内置数据库由 npm start 的进程自己执行任务）/ needs DATABASE_URL: with the embedded engine, npm start runs its own jobs',
  )
  process.exit(2)
}
const rt = await openRuntime(config, { workers: Math.max(1, config.workers) })
console.log(`citycheck worker ${process.pid}: ${Math.max(1, config.workers)} worker(s) on the queue`)
const close = async () => {
  await rt.close()
  process.exit(0)
}
process.on('SIGINT', close)
process.on('SIGTERM', close)
