import type { Knex } from 'knex'
import { migrations } from '../../migrations/index.ts'

// Migrations are imported statically (not discovered on disk) so the same code runs under tsx,
// vitest and a bundler without a TypeScript loader for knex's own dynamic import.
const source: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations).sort(),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name],
}

/** Applies knex migrations from migrations/ (run on every start; a no-op when up to date). */
export async function migrate(knex: Knex): Promise<string[]> {
  const [, applied] = await knex.migrate.latest({ migrationSource: source })
  return applied as string[]
}
