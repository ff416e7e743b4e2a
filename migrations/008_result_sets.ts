import type { Knex } from 'knex'
import { resultPartition } from './007_result_partitions.ts'

// A run's results as one row per indicator, variant and level — the units' codes, names, values and
// statuses as arrays in the order of the units — instead of one row per unit. At a million buildings
// a run held 1,062,504 rows (~240 MB with its index, 194 MB of COPY text to write, ~3 s of Node to
// encode and ~3 s of PostgreSQL to insert and index); as sets it is 592 rows and ~24 MB. The
// name `indicator_results` stays, as a view that unnests the sets, so every reader keeps its query:
// a filter on run, indicator, variant or level is applied to the sets before anything is unnested.
// The price is paid by reads of a whole run (all results, every failing one): ~2× a table scan,
// and those are read once per run and kept (server/indicators/runcache.ts).
const VIEW = `CREATE VIEW indicator_results AS
  SELECT s.city, s.run_id, s.indicator, s.variant, s.level, r.unit_code, r.unit_name, r.value, r.numerator,
         r.denominator, r.target, r.status, coalesce(s.extra_all, r.extra) AS extra
  FROM indicator_result_sets s
  CROSS JOIN LATERAL unnest(s.unit_codes, s.unit_names, s.value, s.numerator, s.denominator, s.target, s.status, s.extra)
    AS r(unit_code, unit_name, value, numerator, denominator, target, status, extra)`

const COLUMNS = ['unit_codes', 'unit_names', 'value', 'numerator', 'denominator', 'target', 'status', 'extra']

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE indicator_result_sets (
      run_id bigint NOT NULL REFERENCES indicator_runs(id) ON DELETE CASCADE,
      city text NOT NULL,
      indicator text NOT NULL,
      variant text NOT NULL,
      level text NOT NULL CHECK (level IN ('city', 'district', 'street', 'community', 'area')),
      unit_codes text[] NOT NULL,
      unit_names text[] NOT NULL,
      value double precision[] NOT NULL,
      numerator double precision[] NOT NULL,
      denominator double precision[] NOT NULL,
      target double precision[] NOT NULL,
      status text[] NOT NULL,
      extra json[] NOT NULL,
      -- Set instead of extra when every unit's is the same (a no-data reason): extra is then empty.
      extra_all json,
      PRIMARY KEY (run_id, indicator, variant, level),
      CHECK (cardinality(unit_codes) = cardinality(value) AND cardinality(unit_codes) = cardinality(status)),
      CHECK (cardinality(extra) = CASE WHEN extra_all IS NULL THEN cardinality(unit_codes) ELSE 0 END)
    )`)
  // lz4 where the server has it: TOAST compresses each set's arrays as a run is written, and pglz took
  // ~0.7 s more of PostgreSQL's time than lz4 for a million results, for ~5 % less space.
  await knex.raw(`DO $$ BEGIN
    ALTER TABLE indicator_result_sets ${COLUMNS.map((c) => `ALTER COLUMN ${c} SET COMPRESSION lz4`).join(', ')};
  EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN NULL; END $$`)
  // The stored runs' results move over, in unit-code order.
  await knex.raw(`
    INSERT INTO indicator_result_sets
    SELECT run_id, max(city), indicator, variant, level,
      array_agg(unit_code ORDER BY unit_code), array_agg(unit_name ORDER BY unit_code),
      array_agg(value ORDER BY unit_code), array_agg(numerator ORDER BY unit_code),
      array_agg(denominator ORDER BY unit_code), array_agg(target ORDER BY unit_code),
      array_agg(status ORDER BY unit_code), array_agg(extra ORDER BY unit_code), NULL
    FROM indicator_results GROUP BY run_id, indicator, variant, level`)
  await knex.raw('DROP TABLE indicator_results CASCADE')
  await knex.raw(VIEW)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER VIEW indicator_results RENAME TO indicator_results_sets_view')
  await knex.raw(`
    CREATE TABLE indicator_results (
      run_id bigint NOT NULL REFERENCES indicator_runs(id) ON DELETE CASCADE,
      indicator text NOT NULL,
      variant text NOT NULL,
      level text NOT NULL CHECK (level IN ('city', 'district', 'street', 'community', 'area')),
      unit_code text NOT NULL,
      unit_name text,
      value double precision,
      numerator double precision,
      denominator double precision,
      target double precision,
      status text NOT NULL,
      extra json,
      city text NOT NULL
    ) PARTITION BY LIST (run_id)`)
  await knex.raw('CREATE INDEX indicator_results_lookup ON indicator_results (run_id, indicator, variant, level)')
  const runs = await knex.raw('SELECT DISTINCT run_id FROM indicator_result_sets ORDER BY run_id')
  for (const { run_id } of runs.rows) {
    const part = resultPartition(Number(run_id))
    await knex.raw(`CREATE TABLE ${part} (LIKE indicator_results INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`)
    await knex.raw(
      `INSERT INTO ${part} (run_id, indicator, variant, level, unit_code, unit_name, value, numerator, denominator, target, status, extra, city)
       SELECT run_id, indicator, variant, level, unit_code, unit_name, value, numerator, denominator, target, status, extra, city
       FROM indicator_results_sets_view WHERE run_id = ?`,
      [run_id],
    )
    await knex.raw(`ALTER TABLE indicator_results ATTACH PARTITION ${part} FOR VALUES IN (${Number(run_id)})`)
  }
  await knex.raw('DROP VIEW indicator_results_sets_view')
  await knex.raw('DROP TABLE indicator_result_sets')
}
