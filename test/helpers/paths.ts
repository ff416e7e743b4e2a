import path from 'node:path'

/** The real Haidian data beside the repository (../shared/geodata), read in place and never copied. */
export const HAIDIAN =
  process.env.CITYCHECK_HAIDIAN_DIR ?? path.resolve(import.meta.dirname, '../../../shared/geodata/beijing-haidian')
