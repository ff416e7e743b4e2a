import type { Knex } from 'knex'

// The walking graph of a roads upload and the homes joined to it, kept between runs (server/network/
// cache.ts): building them took the network's worker ~4 s of a two-core machine's CPU on every cold
// run at a million buildings, while the main thread computed beside it. A row is derived data, keyed
// by everything it was made from; `uploads` lists the uploads it came from, so pruning an upload
// (import/pipeline.ts) takes its rows with it, and dropping the city all of them.
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE network_cache (
      key text PRIMARY KEY,
      city text NOT NULL REFERENCES cities(code) ON DELETE CASCADE,
      kind text NOT NULL CHECK (kind IN ('graph', 'homes')),
      uploads bigint[] NOT NULL,
      data bytea NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`)
  await knex.raw('CREATE INDEX network_cache_uploads ON network_cache USING gin (uploads)')
  // lz4 where the server has it (as 009): pglz took several times longer on tens of MB.
  await knex.raw(`DO $$ BEGIN
    ALTER TABLE network_cache ALTER COLUMN data SET COMPRESSION lz4;
  EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN NULL; END $$`)
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE network_cache')
}
