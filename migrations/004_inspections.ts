// 住房 and 小区 inspections: what inspectors find on the ground (一栋一档), the photos they take, the
// tables departments import, and the history of every 问题台账 status change.
// An inspection record is never overwritten: a second visit is a new row, and indicators read the
// latest accepted record of each building (or 小区). Imported rows are written with accepted = false
// and flipped in one UPDATE when the user accepts the match report, so an import is all-or-nothing.
import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE inspection_imports (
      id bigserial PRIMARY KEY,
      city text NOT NULL REFERENCES cities(code) ON DELETE CASCADE,
      year int NOT NULL,
      target text NOT NULL CHECK (target IN ('building', 'area')),
      status text NOT NULL CHECK (status IN ('pending', 'accepted', 'discarded')),
      file_name text,
      report jsonb NOT NULL,
      created_by text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      decided_by text,
      decided_at timestamptz
    )`)
  await knex.raw(`
    CREATE TABLE inspections (
      id bigserial PRIMARY KEY,
      city text NOT NULL REFERENCES cities(code) ON DELETE CASCADE,
      year int NOT NULL,
      -- 'building' (住房: one 栋) or 'area' (a 小区)
      target text NOT NULL CHECK (target IN ('building', 'area')),
      -- the building's or 小区's code in the layer it was matched against
      unit_code text NOT NULL,
      findings text[] NOT NULL DEFAULT '{}',
      -- 非成套住宅 is counted in 套: how many dwellings the finding concerns, where the record says
      dwellings int CHECK (dwellings IS NULL OR dwellings BETWEEN 0 AND 100000),
      note text CHECK (note IS NULL OR length(note) <= 2000),
      inspector text NOT NULL,
      inspected_at timestamptz NOT NULL DEFAULT now(),
      -- where the inspector stood (GPS) or the imported point, CGCS2000 lon/lat
      lon double precision,
      lat double precision,
      source text NOT NULL CHECK (source IN ('field', 'import')),
      import_id bigint REFERENCES inspection_imports(id) ON DELETE CASCADE,
      -- how an imported row was matched: code, point, address (NULL for field records)
      matched_by text,
      accepted boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now()
    )`)
  await knex.raw(
    'CREATE INDEX inspections_latest ON inspections (city, year, target, unit_code, inspected_at DESC, id DESC) WHERE accepted',
  )
  await knex.raw('CREATE INDEX inspections_import ON inspections (import_id) WHERE import_id IS NOT NULL')
  await knex.raw(`
    CREATE TABLE inspection_photos (
      id bigserial PRIMARY KEY,
      city text NOT NULL REFERENCES cities(code) ON DELETE CASCADE,
      inspection_id bigint NOT NULL REFERENCES inspections(id) ON DELETE CASCADE,
      mime text NOT NULL,
      width int, height int,
      bytes bytea NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`)
  await knex.raw('CREATE INDEX inspection_photos_record ON inspection_photos (inspection_id)')
  // JPEG/WebP bytes do not compress: store them as they are.
  await knex.raw('ALTER TABLE inspection_photos ALTER COLUMN bytes SET STORAGE EXTERNAL')

  // Every status change of a problem (unit × indicator, or a building's ledger entry), in order.
  await knex.raw(`
    CREATE TABLE problem_events (
      id bigserial PRIMARY KEY,
      city text NOT NULL REFERENCES cities(code) ON DELETE CASCADE,
      year int NOT NULL,
      indicator text NOT NULL,
      level text NOT NULL,
      unit_code text NOT NULL,
      status text NOT NULL,
      note text,
      by text NOT NULL,
      at timestamptz NOT NULL DEFAULT now()
    )`)
  await knex.raw('CREATE INDEX problem_events_unit ON problem_events (city, year, level, unit_code, id)')

  // Address text on buildings, so inspection rows that carry only an address can be matched.
  await knex.raw('ALTER TABLE buildings ADD COLUMN address text')

  // 小区-level results (facility shortfall, school-seat gaps, 小区 inspections).
  await knex.raw(`ALTER TABLE indicator_results DROP CONSTRAINT indicator_results_level_check,
    ADD CONSTRAINT indicator_results_level_check CHECK (level IN ('city', 'district', 'street', 'community', 'area'))`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE IF EXISTS problem_events, inspection_photos, inspections, inspection_imports CASCADE')
  await knex.raw('ALTER TABLE buildings DROP COLUMN IF EXISTS address')
}
