import type { Knex } from 'knex'
import * as m001 from './001_foundation.ts'
import * as m002 from './002_indicators.ts'
import * as m003 from './003_cities.ts'
import * as m004 from './004_inspections.ts'
import * as m005 from './005_network.ts'
import * as m006 from './006_figures.ts'
import * as m007 from './007_result_partitions.ts'
import * as m008 from './008_result_sets.ts'
import * as m009 from './009_arrays_lz4.ts'
import * as m010 from './010_footprint_columns.ts'
import * as m011 from './011_network_cache.ts'
import * as m012 from './012_derived_cache.ts'
import * as m013 from './013_kept_rows.ts'

/** Every migration, by name, in the order they apply. Add new ones here. */
export const migrations: Record<string, Knex.Migration> = {
  '001_foundation': m001,
  '002_indicators': m002,
  '003_cities': m003,
  '004_inspections': m004,
  '005_network': m005,
  '006_figures': m006,
  '007_result_partitions': m007,
  '008_result_sets': m008,
  '009_arrays_lz4': m009,
  '010_footprint_columns': m010,
  '011_network_cache': m011,
  '012_derived_cache': m012,
  '013_kept_rows': m013,
}
