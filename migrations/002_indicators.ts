// Indicators, the 问题清单 and background jobs; plus the commuting OD layer.
import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  // Commuting OD: one row per origin 社区 and destination, the destination as a point.
  await knex.raw(`
    CREATE TABLE commutes (
      upload_id bigint NOT NULL, fid int NOT NULL,
      code text, origin_code text NOT NULL, count double precision NOT NULL,
      geom geometry(Geometry, 4490) NOT NULL, props jsonb
    ) PARTITION BY LIST (upload_id)`)
  await knex.raw('CREATE INDEX commutes_geom ON commutes USING gist (geom)')
  await knex.raw('CREATE INDEX commutes_fid ON commutes (upload_id, fid)')

  await knex.raw(`
    CREATE TABLE background_jobs (
      id bigserial PRIMARY KEY,
      kind text NOT NULL,
      year int,
      state text NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
      progress double precision NOT NULL DEFAULT 0,
      message text,
      result jsonb,
      error jsonb,
      created_by text,
      created_at timestamptz NOT NULL DEFAULT now(),
      started_at timestamptz,
      finished_at timestamptz
    )`)

  // A year's overrides of the registry: targets, parameters, and local 特色 indicators.
  await knex.raw(`
    CREATE TABLE indicator_config (
      year int PRIMARY KEY,
      config jsonb NOT NULL,
      updated_by text,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`)

  // One computation of every indicator for a year, with its provenance.
  await knex.raw(`
    CREATE TABLE indicator_runs (
      id bigserial PRIMARY KEY,
      year int NOT NULL,
      job_id bigint REFERENCES background_jobs(id),
      data_versions jsonb NOT NULL,
      definitions jsonb NOT NULL,
      settings jsonb NOT NULL,
      distance_model text NOT NULL,
      building_count int,
      derived jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      duration_ms int
    )`)
  await knex.raw('CREATE INDEX indicator_runs_year ON indicator_runs (year, id DESC)')
  await knex.raw(`
    CREATE TABLE indicator_results (
      run_id bigint NOT NULL REFERENCES indicator_runs(id) ON DELETE CASCADE,
      indicator text NOT NULL,
      variant text NOT NULL,
      level text NOT NULL CHECK (level IN ('city', 'street', 'community')),
      unit_code text NOT NULL,
      unit_name text,
      value double precision,
      numerator double precision,
      denominator double precision,
      target double precision,
      status text NOT NULL,
      extra json
    )`)
  // json, not jsonb: extra is only read back whole, and ~300k rows a run at city scale are cheaper to
  // write unparsed. A lookup index rather than a five-column primary key: a run writes ~300k rows and
  // the engine writes each (run, indicator, variant, level, unit) once by construction.
  await knex.raw('CREATE INDEX indicator_results_lookup ON indicator_results (run_id, indicator, variant, level)')
  // Per-building arrays of a run (coverage bitsets, residents), kept compactly for gap queries.
  await knex.raw(`
    CREATE TABLE indicator_arrays (
      run_id bigint NOT NULL REFERENCES indicator_runs(id) ON DELETE CASCADE,
      name text NOT NULL,
      data bytea NOT NULL,
      PRIMARY KEY (run_id, name)
    )`)

  // The 问题清单 itself is derived from the latest run's failing results (never stored twice);
  // what users say about a problem is kept here, keyed so it survives recomputation.
  await knex.raw(`
    CREATE TABLE problem_status (
      year int NOT NULL,
      indicator text NOT NULL,
      level text NOT NULL,
      unit_code text NOT NULL,
      status text NOT NULL CHECK (status IN ('待整改', '整改中', '已销号')),
      note text,
      updated_by text NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (year, indicator, level, unit_code)
    )`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(
    'DROP TABLE IF EXISTS problem_status, indicator_arrays, indicator_results, indicator_runs, indicator_config, background_jobs, commutes CASCADE',
  )
}
