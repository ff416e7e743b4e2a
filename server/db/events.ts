// "A city's year changed" notices. In this process they reach the listeners at once; on PostgreSQL
// they also go out as NOTIFY, and every other API or worker process on the same database hears them
// through LISTEN within milliseconds and drops what it caches (tiles, models, the city list).
// The embedded engine is one process, so its notices stay in-process.
import pg from 'pg'
import { forgetCityYear } from './cityyear.ts'

/** year null = everything of the city (dropped, restored, renamed); city '*' = everything. */
export interface Change {
  city: string
  year: number | null
}
export type Listener = (c: Change) => void
/** A job was queued: workers wake at once instead of at their next poll. */
export type JobListener = (kind: string) => void

const CHANNEL = 'citycheck_changes'

export class EventBus {
  private listeners = new Set<Listener>()
  private jobListeners = new Set<JobListener>()
  private client: pg.Client | null = null
  private closed = false
  private retry: NodeJS.Timeout | null = null
  private listening = false

  constructor(
    private connectionString: string | undefined,
    private notifier: (payload: string) => Promise<unknown>,
  ) {}

  on(fn: Listener): () => void {
    this.listeners.add(fn)
    if (this.connectionString && !this.client && !this.retry) this.listen()
    return () => this.listeners.delete(fn)
  }

  onJobs(fn: JobListener): () => void {
    this.jobListeners.add(fn)
    if (this.connectionString && !this.client && !this.retry) this.listen()
    return () => this.jobListeners.delete(fn)
  }

  /** Tell every worker process that a job of `kind` is waiting. */
  async jobQueued(kind: string): Promise<void> {
    for (const fn of this.jobListeners) fn(kind)
    if (this.connectionString) await this.notifier(JSON.stringify({ jobs: kind, pid: process.pid })).catch(() => {})
  }

  private emit(c: Change) {
    // The per-process city-year facts go first, so a listener that reads sees the change.
    forgetCityYear(c.city, c.year)
    for (const fn of this.listeners) {
      try {
        fn(c)
      } catch {
        /* a listener's failure must not stop the others */
      }
    }
  }

  /** Tell every process that (city, year) changed. Call after the change has committed. */
  async changed(city: string, year: number | null): Promise<void> {
    this.emit({ city, year })
    if (this.connectionString) await this.notifier(JSON.stringify({ city, year, pid: process.pid })).catch(() => {})
  }

  private listen() {
    const client = new pg.Client({ connectionString: this.connectionString })
    this.client = client
    const again = () => {
      this.listening = false
      if (this.client === client) this.client = null
      client.end().catch(() => {})
      if (this.closed || this.retry) return
      // Whatever was announced while we were deaf is unknown: drop everything once back.
      this.retry = setTimeout(() => {
        this.retry = null
        if (!this.closed) {
          this.listen()
          this.emit({ city: '*', year: null })
        }
      }, 1000)
      this.retry.unref()
    }
    client.on('error', again)
    client.on('end', again)
    client.on('notification', (n) => {
      if (n.channel !== CHANNEL || !n.payload) return
      try {
        const m = JSON.parse(n.payload) as Change & { pid?: number; jobs?: string }
        if (m.pid === process.pid) return // already delivered in-process
        if (m.jobs) {
          for (const fn of this.jobListeners) fn(m.jobs)
          return
        }
        this.emit({ city: String(m.city), year: m.year == null ? null : Number(m.year) })
      } catch {
        /* not ours */
      }
    })
    client
      .connect()
      .then(() => client.query(`LISTEN ${CHANNEL}`))
      .then(() => {
        this.listening = this.client === client
      })
      .catch(again)
  }

  /** Resolves once this process is listening (tests and start-up wait for it). */
  async ready(): Promise<void> {
    for (
      let i = 0;
      i < 100 && this.connectionString && (this.listeners.size || this.jobListeners.size) && !this.listening;
      i++
    ) {
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  async close(): Promise<void> {
    this.closed = true
    if (this.retry) clearTimeout(this.retry)
    const c = this.client
    this.client = null
    await c?.end().catch(() => {})
  }
}

export const NOTIFY_SQL = `SELECT pg_notify('${CHANNEL}', ?)`
