// Telling a database outage from a bug. While PostgreSQL refuses connections (or drops them), every
// request that needs it answers 503 CC_DB_UNAVAILABLE with Retry-After, the process stays up, and the
// log gets one line when the outage starts and one when it ends — not a stack trace per request.

// libpq/PostgreSQL SQLSTATEs of a server that is going away or not accepting connections, and the
// socket errors of one that is not there at all.
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', '53300'])
const SOCKET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])
const MESSAGES =
  /Connection terminated|connection timeout|Client has encountered a connection error|Timeout acquiring a connection|Connection ended unexpectedly|the database system is (starting up|shutting down)/i

export function isDatabaseDown(e: unknown): boolean {
  const err = e as { code?: string; name?: string; message?: string; cause?: unknown } | null
  if (!err || typeof err !== 'object') return false
  if (err.code && (SQLSTATES.has(err.code) || SOCKET.has(err.code))) return true
  if (err.name === 'KnexTimeoutError') return true
  if (err.message && MESSAGES.test(err.message)) return true
  return err.cause ? isDatabaseDown(err.cause) : false
}

interface Log {
  error(o: object, m: string): void
  info(o: object, m: string): void
}

let downSince: number | null = null
let lastReason = ''

/** Notes a failure; logs once when an outage begins. */
export function noteDatabaseDown(log: Log, e: unknown) {
  lastReason = String((e as Error)?.message ?? e).slice(0, 200)
  if (downSince !== null) return
  downSince = Date.now()
  log.error({ reason: lastReason }, '数据库不可用 / database unavailable')
}

/** Notes a success; logs once when an outage ends. */
export function noteDatabaseUp(log: Log) {
  if (downSince === null) return
  log.info({ downForMs: Date.now() - downSince }, '数据库已恢复 / database available again')
  downSince = null
}

export function databaseOutage(): { since: string; reason: string } | null {
  return downSince === null ? null : { since: new Date(downSince).toISOString(), reason: lastReason }
}

export const RETRY_AFTER_S = 5

/**
 * A rejection nobody awaited must not end the process (Node's default): a database outage is logged
 * once as such, anything else as the bug it is, and the process goes on serving.
 */
export function guardProcess(log: Log = { error: (o, m) => console.error(m, o), info: (o, m) => console.log(m, o) }) {
  process.on('unhandledRejection', (e) => {
    if (isDatabaseDown(e)) noteDatabaseDown(log, e)
    else log.error({ err: String((e as Error)?.stack ?? e) }, 'unhandled rejection')
  })
}
