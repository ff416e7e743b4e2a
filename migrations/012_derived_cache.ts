import type { Knex } from 'knex'

// The kept rows of 011 hold more than the walking network now: the buildings' columns as the model
// reads them, with each building's 社区, 街道 and 小区 (server/indicators/kept.ts). Reading a million
// buildings by COPY and finding their units took ~3 s of a cold run; a kept row is read in a fraction.
// Renamed for what it holds; the kinds widened.
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE network_cache RENAME TO derived_cache')
  await knex.raw('ALTER INDEX network_cache_uploads RENAME TO derived_cache_uploads')
  await knex.raw('ALTER TABLE derived_cache RENAME CONSTRAINT network_cache_pkey TO derived_cache_pkey')
  await knex.raw('ALTER TABLE derived_cache RENAME CONSTRAINT network_cache_city_fkey TO derived_cache_city_fkey')
  await knex.raw('ALTER TABLE derived_cache DROP CONSTRAINT network_cache_kind_check')
  await knex.raw(
    "ALTER TABLE derived_cache ADD CONSTRAINT derived_cache_kind_check CHECK (kind IN ('graph', 'homes', 'buildings', 'extent', 'parks'))",
  )
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("DELETE FROM derived_cache WHERE kind IN ('buildings', 'extent', 'parks')")
  await knex.raw('ALTER TABLE derived_cache DROP CONSTRAINT derived_cache_kind_check')
  await knex.raw("ALTER TABLE derived_cache ADD CONSTRAINT network_cache_kind_check CHECK (kind IN ('graph', 'homes'))")
  await knex.raw('ALTER TABLE derived_cache RENAME CONSTRAINT derived_cache_city_fkey TO network_cache_city_fkey')
  await knex.raw('ALTER TABLE derived_cache RENAME CONSTRAINT derived_cache_pkey TO network_cache_pkey')
  await knex.raw('ALTER INDEX derived_cache_uploads RENAME TO network_cache_uploads')
  await knex.raw('ALTER TABLE derived_cache RENAME TO network_cache')
}
