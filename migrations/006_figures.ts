// The whole indicator table (issue 11): a year's indicator system as imported by the 城检办, the
// figures departments report and the reviewer accepts or returns (every step kept), attachments,
// per-department deadlines, and the 整改 loop on the 问题清单 (assignee, deadline, 申请销号 with
// evidence). A token may name its department, so a reporter sees and writes only its own part.
import type { Knex } from 'knex'

export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE api_tokens ADD COLUMN department text')
  await knex.raw(`
    CREATE TABLE indicator_systems (
      city text NOT NULL REFERENCES cities(code) ON DELETE CASCADE,
      year int NOT NULL,
      entries jsonb NOT NULL,
      file_name text,
      updated_by text NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (city, year)
    )`)
  await knex.raw(`
    CREATE TABLE attachments (
      id bigserial PRIMARY KEY,
      city text NOT NULL REFERENCES cities(code) ON DELETE CASCADE,
      name text NOT NULL,
      mime text NOT NULL,
      size int NOT NULL,
      bytes bytea NOT NULL,
      created_by text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`)
  await knex.raw(`
    CREATE TABLE figure_values (
      city text NOT NULL REFERENCES cities(code) ON DELETE CASCADE,
      year int NOT NULL,
      indicator text NOT NULL,
      level text NOT NULL CHECK (level IN ('city', 'district', 'street', 'community')),
      unit_code text NOT NULL,
      value double precision,
      sample_size int CHECK (sample_size IS NULL OR sample_size > 0),
      source text,
      caliber text,
      as_of text,
      note text,
      attachment_id bigint REFERENCES attachments(id) ON DELETE SET NULL,
      department text NOT NULL,
      status text NOT NULL CHECK (status IN ('draft', 'submitted', 'accepted', 'returned')),
      comment text,
      updated_by text NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (city, year, indicator, level, unit_code)
    )`)
  await knex.raw(`
    CREATE TABLE figure_events (
      id bigserial PRIMARY KEY,
      city text NOT NULL REFERENCES cities(code) ON DELETE CASCADE,
      year int NOT NULL,
      indicator text NOT NULL,
      level text NOT NULL,
      unit_code text NOT NULL,
      action text NOT NULL CHECK (action IN ('save', 'submit', 'accept', 'return')),
      value double precision,
      comment text,
      by text NOT NULL,
      at timestamptz NOT NULL DEFAULT now()
    )`)
  await knex.raw('CREATE INDEX figure_events_unit ON figure_events (city, year, indicator, level, unit_code, id)')
  await knex.raw(`
    CREATE TABLE figure_deadlines (
      city text NOT NULL REFERENCES cities(code) ON DELETE CASCADE,
      year int NOT NULL,
      department text NOT NULL,
      due date NOT NULL,
      PRIMARY KEY (city, year, department)
    )`)
  // The 整改 loop: 待整改 → 整改中 → 申请销号 (with evidence) → 已销号 after review.
  await knex.raw(`ALTER TABLE problem_status DROP CONSTRAINT IF EXISTS problem_status_status_check,
    ADD CONSTRAINT problem_status_status_check CHECK (status IN ('待整改', '整改中', '申请销号', '已销号')),
    ADD COLUMN assignee text,
    ADD COLUMN deadline date,
    ADD COLUMN evidence text,
    ADD COLUMN evidence_attachment bigint REFERENCES attachments(id) ON DELETE SET NULL`)
  await knex.raw('ALTER TABLE problem_events ADD COLUMN assignee text, ADD COLUMN deadline date')
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE problem_events DROP COLUMN IF EXISTS assignee, DROP COLUMN IF EXISTS deadline')
  await knex.raw(`ALTER TABLE problem_status DROP COLUMN IF EXISTS assignee, DROP COLUMN IF EXISTS deadline,
    DROP COLUMN IF EXISTS evidence, DROP COLUMN IF EXISTS evidence_attachment`)
  await knex.raw(
    'DROP TABLE IF EXISTS figure_deadlines, figure_events, figure_values, attachments, indicator_systems CASCADE',
  )
  await knex.raw('ALTER TABLE api_tokens DROP COLUMN IF EXISTS department')
}
