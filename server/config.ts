// All runtime settings come from the environment, so a deployment (or docker-compose) can set them
// without touching code. Defaults are chosen for the quick start: embedded database, demo city on.
import path from 'node:path'

export interface Config {
  /** PostgreSQL + PostGIS URL. Unset → the embedded PGlite engine in `dataDir`. */
  databaseUrl: string | undefined
  dataDir: string
  host: string
  port: number
  /** Load the generated demo city into `demoYear` when that year is empty. */
  demo: boolean
  demoYear: number
  /** Admin tokens from the environment (token → name): CITYCHECK_ADMIN_TOKEN and CITYCHECK_UPLOAD_TOKENS. */
  uploadTokens: Map<string, string>
  /** CITYCHECK_DEFAULT_CITY: the city the routes without a city in their path act on. */
  defaultCity: string | undefined
  /** The demo city's code and name (a 99xxxx code can never be a real place). */
  demoCity: { code: string; name: string }
  /** Job workers in this process (0 = an API-only process; `npm run worker` runs workers only). */
  workers: number
  /** Siting and what-if requests per token (or address) and minute. */
  analysisPerMinute: number
  /** Seconds without a heartbeat after which a running job is given to another worker. */
  jobStaleSeconds: number
  /** Uploads up to this size are imported inside the request (201); larger ones are queued (202). */
  inlineUploadBytes: number
  /** When true, GET endpoints need a token too. */
  readRequiresToken: boolean
  maxUploadBytes: number
  maxUnpackedBytes: number
  maxFeatures: number
  /** GeoJSON up to this size with under 50,000 features is parsed whole; others are read from their bytes. */
  keepParsedBytes: number
  /** Versions kept per (year, layer) besides the current one; older ones are dropped. */
  keepVersions: number
  /** Indicator runs kept per city and year (the latest one's building arrays only). */
  keepRuns: number
  /** m² of floor area per resident, used only when neither the building nor its 社区 gives a population. */
  floorAreaPerResident: number
  logLevel: string
  /** CITYCHECK_LOG_REQUESTS=1: a log line per request (off by default) */
  logRequests: boolean
  /** 天地图 browser key: when set, the viewer offers the 天地图 vector basemap under the city's layers. */
  tiandituKey: string | undefined
}

export function parseTokens(raw: string | undefined): Map<string, string> {
  const out = new Map<string, string>()
  if (!raw) return out
  for (const part of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const i = part.indexOf(':')
    if (i > 0) out.set(part.slice(i + 1), part.slice(0, i))
    else out.set(part, 'env')
  }
  return out // token → uploader name
}

const num = (v: string | undefined, d: number) => (v === undefined || v === '' ? d : Number(v))

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const root = path.resolve(import.meta.dirname, '..')
  return {
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: path.resolve(env.CITYCHECK_DATA_DIR ?? path.join(root, 'data')),
    host: env.HOST ?? '127.0.0.1',
    port: num(env.PORT, 8080),
    demo: env.CITYCHECK_DEMO !== '0',
    demoYear: num(env.CITYCHECK_DEMO_YEAR, 2025),
    uploadTokens: new Map([
      ...parseTokens(env.CITYCHECK_UPLOAD_TOKENS ?? env.CITYCHECK_UPLOAD_TOKEN),
      ...(env.CITYCHECK_ADMIN_TOKEN ? ([[env.CITYCHECK_ADMIN_TOKEN, 'admin']] as [string, string][]) : []),
    ]),
    defaultCity: env.CITYCHECK_DEFAULT_CITY || undefined,
    demoCity: { code: env.CITYCHECK_DEMO_CITY ?? '990100', name: env.CITYCHECK_DEMO_CITY_NAME ?? '示范市' },
    workers: num(env.CITYCHECK_WORKERS, 1),
    analysisPerMinute: num(env.CITYCHECK_ANALYSIS_PER_MINUTE, 30),
    jobStaleSeconds: num(env.CITYCHECK_JOB_STALE_S, 15),
    inlineUploadBytes: num(env.CITYCHECK_INLINE_UPLOAD_MB, 32) * 1024 * 1024,
    readRequiresToken: env.CITYCHECK_READ_REQUIRES_TOKEN === '1',
    // 2 GB: a GeoJSON of 5 million footprints is ~1.6 GB (and 2 GB is the most Node reads into one buffer).
    maxUploadBytes: num(env.CITYCHECK_MAX_UPLOAD_MB, 2048) * 1024 * 1024,
    maxUnpackedBytes: num(env.CITYCHECK_MAX_UNPACKED_MB, 2048) * 1024 * 1024,
    maxFeatures: num(env.CITYCHECK_MAX_FEATURES, 10_000_000),
    keepParsedBytes: num(env.CITYCHECK_GEOJSON_PARSE_WHOLE_MB, 512) * 1024 * 1024,
    keepVersions: num(env.CITYCHECK_KEEP_VERSIONS, 5),
    keepRuns: num(env.CITYCHECK_KEEP_RUNS, 3),
    floorAreaPerResident: num(env.CITYCHECK_FLOOR_AREA_PER_RESIDENT, 36.5),
    logLevel: env.LOG_LEVEL ?? 'info',
    logRequests: env.CITYCHECK_LOG_REQUESTS === '1',
    tiandituKey: env.CITYCHECK_TIANDITU_KEY || undefined,
  }
}
