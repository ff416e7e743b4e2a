// The walking network: road centrelines and gates, per upload like every layer (partitioned by
// upload_id, city leading). The graph itself is built from the lines when a year is loaded
// (server/network/graph.ts); the import reports its connected components.
import type { Knex } from 'knex'

const TABLES: Record<string, string> = {
  roads: `code text, name text, kind text, bridge text, tunnel text, layer int, foot text, access text,
    geom geometry(MultiLineString, 4490) NOT NULL`,
  gates: 'code text, name text, kind text, geom geometry(Point, 4490) NOT NULL',
}

export async function up(knex: Knex): Promise<void> {
  for (const [table, cols] of Object.entries(TABLES)) {
    await knex.raw(`
      CREATE TABLE ${table} (
        upload_id bigint NOT NULL,
        fid int NOT NULL,
        ${cols},
        props jsonb,
        city text NOT NULL REFERENCES cities(code) ON DELETE CASCADE
      ) PARTITION BY LIST (upload_id)`)
    await knex.raw(`CREATE INDEX ${table}_geom ON ${table} USING gist (geom)`)
    await knex.raw(`CREATE INDEX ${table}_fid ON ${table} (upload_id, fid)`)
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE IF EXISTS roads, gates CASCADE')
}
