// The 城市体检 data model. Every layer table is partitioned by upload_id: one upload = one partition,
// written whole before it is attached, so an import is all-or-nothing, the previous version stays
// readable until the pointer in layer_current flips, and dropping an old version is a DROP TABLE.
// Geometries are stored in CGCS2000 geographic (EPSG:4490); WGS84 input is taken as CGCS2000
// (they differ by well under a metre).
import type { Knex } from 'knex'

const LAYER_TABLES: Record<string, string> = {
  streets: `
    code text, name text, parent_code text, population double precision, households double precision,
    geom geometry(MultiPolygon, 4490) NOT NULL`,
  communities: `
    code text, name text, street_code text, street_name text, population double precision, households double precision,
    geom geometry(MultiPolygon, 4490) NOT NULL`,
  residential_areas: `
    code text, name text, community_code text, built_year int, population double precision, households double precision,
    geom geometry(MultiPolygon, 4490) NOT NULL`,
  buildings: `
    code text, name text, floors double precision, height double precision, use text, residential boolean,
    built_year int, households double precision, residents double precision, area_code text, community_code text,
    geom geometry(MultiPolygon, 4490) NOT NULL,
    -- The city's 3° Gauss-Kruger zone (EPSG), set by the import, and the building's point-on-surface in
    -- it: computed by PostgreSQL while the COPY streams in, so indicator runs read plain coordinates.
    zone int,
    pos geometry(Point) GENERATED ALWAYS AS (CASE WHEN zone IS NULL THEN NULL ELSE ST_Transform(ST_PointOnSurface(geom), zone) END) STORED`,
  facilities: `
    code text, name text, type text NOT NULL, source_type text, capacity double precision,
    geom geometry(Geometry, 4490) NOT NULL`,
  green_spaces: `
    code text, name text, kind text, area_m2 double precision,
    geom geometry(MultiPolygon, 4490) NOT NULL`,
  jobs: `
    code text, name text, jobs double precision NOT NULL,
    geom geometry(Geometry, 4490) NOT NULL`,
}

export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE EXTENSION IF NOT EXISTS postgis')
  await knex.raw(`
    CREATE TABLE uploads (
      id bigserial PRIMARY KEY,
      year int NOT NULL,
      layer text NOT NULL,
      status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'dropped')),
      uploader text NOT NULL,
      file_name text,
      file_bytes bigint,
      format text,
      crs text,
      encoding text,
      options jsonb NOT NULL DEFAULT '{}',
      feature_count int,
      warnings jsonb NOT NULL DEFAULT '[]',
      error jsonb,
      duration_ms int,
      created_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz
    )`)
  await knex.raw('CREATE INDEX uploads_year_layer ON uploads (year, layer, id DESC)')
  await knex.raw(`
    CREATE TABLE layer_current (
      year int NOT NULL,
      layer text NOT NULL,
      upload_id bigint NOT NULL REFERENCES uploads(id),
      updated_at timestamptz NOT NULL DEFAULT now(),
      updated_by text,
      PRIMARY KEY (year, layer)
    )`)
  await knex.raw(`
    CREATE TABLE api_tokens (
      id serial PRIMARY KEY,
      name text NOT NULL,
      token_sha256 text NOT NULL UNIQUE,
      created_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz
    )`)
  for (const [table, cols] of Object.entries(LAYER_TABLES)) {
    // fid = the feature's 1-based index in the uploaded file, so every message can point back at it.
    await knex.raw(`
      CREATE TABLE ${table} (
        upload_id bigint NOT NULL,
        fid int NOT NULL,
        ${cols},
        props jsonb
      ) PARTITION BY LIST (upload_id)`)
    // Defined on the parent so every partition gets them; an upload builds them before ATTACH.
    await knex.raw(`CREATE INDEX ${table}_geom ON ${table} USING gist (geom)`)
    await knex.raw(`CREATE INDEX ${table}_fid ON ${table} (upload_id, fid)`)
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const t of Object.keys(LAYER_TABLES)) await knex.raw(`DROP TABLE IF EXISTS ${t} CASCADE`)
  await knex.raw('DROP TABLE IF EXISTS api_tokens, layer_current, uploads CASCADE')
}
