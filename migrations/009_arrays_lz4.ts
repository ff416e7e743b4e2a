import type { Knex } from 'knex'

// A run's per-building arrays (fid, residents, unit membership, each indicator's coverage bits: ~20 MB
// at a million buildings) compressed by lz4 where the server has it, as the result sets' arrays are
// (008). With pglz, TOAST took 0.59–0.70 s of PostgreSQL's time to compress one run's 47 arrays
// at 1,033,809 buildings; with lz4 0.09–0.11 s (the same arrays inserted in turns, 3 December), at the
// end of the cold run where the run waits for the database. Arrays stored before stay as they are.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`DO $$ BEGIN
    ALTER TABLE indicator_arrays ALTER COLUMN data SET COMPRESSION lz4;
  EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN NULL; END $$`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE indicator_arrays ALTER COLUMN data SET COMPRESSION default')
}
