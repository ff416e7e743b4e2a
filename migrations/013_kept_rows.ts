import type { Knex } from 'knex'

// One more kind of kept row (server/indicators/kept.ts keptRows): the rows of the model's queries of
// units, facilities, green spaces, jobs and commutes, as the model reads them. Transforming and
// writing their geometry as GeoJSON was ~1.2 s of PostgreSQL's CPU in every cold run at a million
// buildings, beside the reading of the buildings; a kept row is read in milliseconds.
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE derived_cache DROP CONSTRAINT derived_cache_kind_check')
  await knex.raw(
    "ALTER TABLE derived_cache ADD CONSTRAINT derived_cache_kind_check CHECK (kind IN ('graph', 'homes', 'buildings', 'extent', 'parks', 'rows'))",
  )
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("DELETE FROM derived_cache WHERE kind = 'rows'")
  await knex.raw('ALTER TABLE derived_cache DROP CONSTRAINT derived_cache_kind_check')
  await knex.raw(
    "ALTER TABLE derived_cache ADD CONSTRAINT derived_cache_kind_check CHECK (kind IN ('graph', 'homes', 'buildings', 'extent', 'parks'))",
  )
}
