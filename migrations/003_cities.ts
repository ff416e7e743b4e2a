// Many cities on one platform. A city (6-digit 行政区划代码) is the tenant: every table leads with
// it, so a city's data can be dropped, exported and restored on its own, and the schema maps onto
// Citus with `city` as the distribution column (README: design notes). Also: the district (区/县)
// layer, tokens with a role and cities, the audit log, and the bytes of queued uploads.
import type { Knex } from 'knex'

/** Code given to rows that existed before cities did (an upgraded single-city deployment). */
export const LEGACY_CITY = '990100'

// Tables whose rows belong to one city (layer tables are listed separately: they are partitioned).
const CITY_TABLES = [
  'uploads',
  'layer_current',
  'indicator_config',
  'indicator_runs',
  'problem_status',
  'background_jobs',
]
const LAYER_TABLES = [
  'streets',
  'communities',
  'residential_areas',
  'buildings',
  'facilities',
  'green_spaces',
  'jobs',
  'commutes',
]

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE cities (
      code text PRIMARY KEY CHECK (code ~ '^[1-9][0-9]{5}$'),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
      name_en text,
      -- EPSG code of the city's CGCS2000 3° Gauss-Kruger zone; NULL = taken from the data's extent.
      zone int CHECK (zone IS NULL OR zone BETWEEN 4513 AND 4554),
      created_at timestamptz NOT NULL DEFAULT now(),
      created_by text
    )`)
  const legacy = (await knex.raw('SELECT EXISTS (SELECT 1 FROM uploads) AS any')).rows[0].any
  if (legacy)
    await knex.raw(`INSERT INTO cities (code, name, name_en) VALUES (?, '默认城市', 'Default city')`, [LEGACY_CITY])

  // The district (区/县) level: city → district → 街道 → 社区 → 小区 → building.
  await knex.raw(`
    CREATE TABLE districts (
      upload_id bigint NOT NULL, fid int NOT NULL,
      code text, name text, population double precision, households double precision,
      geom geometry(MultiPolygon, 4490) NOT NULL, props jsonb
    ) PARTITION BY LIST (upload_id)`)
  await knex.raw('CREATE INDEX districts_geom ON districts USING gist (geom)')
  await knex.raw('CREATE INDEX districts_fid ON districts (upload_id, fid)')

  for (const t of CITY_TABLES) {
    await knex.raw(`ALTER TABLE ${t} ADD COLUMN city text`)
    if (legacy) await knex.raw(`UPDATE ${t} SET city = ?`, [LEGACY_CITY])
    await knex.raw(`ALTER TABLE ${t} ALTER COLUMN city SET NOT NULL`)
    await knex.raw(`ALTER TABLE ${t} ADD FOREIGN KEY (city) REFERENCES cities(code) ON DELETE CASCADE`)
  }
  // Results and arrays follow their run (ON DELETE CASCADE from indicator_runs); no FK of their own,
  // which would cost a lookup for each of the ~300k rows a run writes.
  for (const t of ['indicator_results', 'indicator_arrays']) {
    await knex.raw(`ALTER TABLE ${t} ADD COLUMN city text`)
    if (legacy) await knex.raw(`UPDATE ${t} SET city = ?`, [LEGACY_CITY])
    await knex.raw(`ALTER TABLE ${t} ALTER COLUMN city SET NOT NULL`)
  }
  // Layer partitions carry their city as a constant default set when the upload creates them (the
  // COPY does not send it); the parent column is what a distributed table would be sharded by.
  for (const t of [...LAYER_TABLES, 'districts']) {
    await knex.raw(`ALTER TABLE ${t} ADD COLUMN city text`)
    if (legacy) await knex.raw(`UPDATE ${t} SET city = ?`, [LEGACY_CITY])
  }

  await knex.raw('ALTER TABLE layer_current DROP CONSTRAINT layer_current_pkey, ADD PRIMARY KEY (city, year, layer)')
  await knex.raw('ALTER TABLE indicator_config DROP CONSTRAINT indicator_config_pkey, ADD PRIMARY KEY (city, year)')
  await knex.raw(
    'ALTER TABLE problem_status DROP CONSTRAINT problem_status_pkey, ADD PRIMARY KEY (city, year, indicator, level, unit_code)',
  )
  await knex.raw('DROP INDEX uploads_year_layer')
  await knex.raw('CREATE INDEX uploads_city_year_layer ON uploads (city, year, layer, id DESC)')
  await knex.raw('DROP INDEX indicator_runs_year')
  await knex.raw('CREATE INDEX indicator_runs_city_year ON indicator_runs (city, year, id DESC)')

  await knex.raw(`ALTER TABLE indicator_results DROP CONSTRAINT indicator_results_level_check,
    ADD CONSTRAINT indicator_results_level_check CHECK (level IN ('city', 'district', 'street', 'community'))`)

  // Jobs run from a durable queue (pg-boss); this table is what users see: progress, stage, rows.
  await knex.raw(`ALTER TABLE background_jobs
    ADD COLUMN payload jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN stage text,
    ADD COLUMN rows bigint,
    ADD COLUMN total bigint,
    ADD COLUMN attempts int NOT NULL DEFAULT 0,
    ADD COLUMN worker text,
    ADD COLUMN heartbeat_at timestamptz,
    ADD COLUMN queue_id text`)
  await knex.raw(
    "CREATE INDEX background_jobs_active ON background_jobs (state, heartbeat_at) WHERE state IN ('queued', 'running')",
  )

  // A token has one role and either a list of cities or every city (NULL).
  await knex.raw(`ALTER TABLE api_tokens
    ADD COLUMN role text NOT NULL DEFAULT 'uploader'
      CHECK (role IN ('admin', 'uploader', 'reporter', 'inspector', 'reviewer', 'viewer')),
    ADD COLUMN cities text[]`)
  await knex.raw('ALTER TABLE api_tokens ALTER COLUMN role DROP DEFAULT')

  // Every write: who, with which role, in which city, what.
  await knex.raw(`
    CREATE TABLE audit_log (
      id bigserial PRIMARY KEY,
      city text REFERENCES cities(code) ON DELETE CASCADE,
      at timestamptz NOT NULL DEFAULT now(),
      actor text NOT NULL,
      role text NOT NULL,
      method text NOT NULL,
      route text NOT NULL,
      params jsonb NOT NULL DEFAULT '{}',
      status int NOT NULL
    )`)
  await knex.raw('CREATE INDEX audit_log_city ON audit_log (city, id DESC)')

  // The bytes of an upload waiting for a worker, in 8 MB chunks (no shared disk between processes;
  // a bytea value must stay far below 1 GB). Deleted when the import ends, either way.
  await knex.raw(`
    CREATE TABLE upload_chunks (
      upload_id bigint NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
      seq int NOT NULL,
      data bytea NOT NULL,
      PRIMARY KEY (upload_id, seq)
    )`)
  // Stored as they are: pglz-compressing a GeoJSON chunk costs more CPU than the bytes it saves here.
  await knex.raw('ALTER TABLE upload_chunks ALTER COLUMN data SET STORAGE EXTERNAL')
  await knex.raw('ALTER TABLE uploads ADD COLUMN job_id bigint')
  await knex.raw(`ALTER TABLE uploads DROP CONSTRAINT uploads_status_check,
    ADD CONSTRAINT uploads_status_check CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'dropped'))`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE IF EXISTS upload_chunks, audit_log, districts CASCADE')
  await knex.raw('ALTER TABLE api_tokens DROP COLUMN role, DROP COLUMN cities')
  for (const t of [...CITY_TABLES, ...LAYER_TABLES, 'indicator_results', 'indicator_arrays'])
    await knex.raw(`ALTER TABLE ${t} DROP COLUMN IF EXISTS city CASCADE`)
  await knex.raw('DROP TABLE IF EXISTS cities CASCADE')
}
