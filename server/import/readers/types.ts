import type { Geometry } from 'geojson'
import type { Extent } from '../geometry.ts'

export interface RawFeature {
  geometry: Geometry | null
  properties: Record<string, unknown>
}

/**
 * A file's features by index: an array, or (a large GeoJSON) a list that parses each feature from the
 * file's bytes when asked, so memory holds the bytes rather than the parsed objects.
 */
export interface FeatureList {
  readonly length: number
  at(i: number): RawFeature | undefined
}

export interface ReadResult {
  format: 'geojson' | 'shapefile' | 'csv' | 'xlsx' | 'geopackage' | 'gdal'
  /** The name shown in messages: the uploaded file, or the member inside a zip. */
  fileName: string
  features: FeatureList
  /** The geometries' extent, when the reader built it while parsing (else normalise walks them). */
  extent?: Extent
  /** Attribute names present in the file, in file order. */
  fieldNames: string[]
  /** CRS text found in the file itself (GeoJSON `crs` name, .prj WKT). */
  crsName?: string
  prj?: string
  /** A table without coordinates: every geometry is null until placed by the unit codes (see pipeline). */
  attributeOnly?: boolean
  /** Encoding used to decode text, and how it was chosen. */
  encoding: string
  encodingSource: 'declared' | 'cpg' | 'ldid' | 'detected' | 'utf-8 (standard)'
  /** For a detected legacy encoding: the detector's confidence (0..1, relative: compare, do not trust) */
  encodingConfidence?: number
}

export interface ReadOptions {
  encoding?: string
  /** the table of a GeoPackage that holds several */
  layer?: string
  /** the CRS the user named (GDAL formats then keep their coordinates instead of reprojecting) */
  crs?: string
  maxUnpackedBytes: number
  maxFeatures: number
  /**
   * GeoJSON up to this many bytes with under 50,000 features keeps its parsed features; a larger file,
   * or one of more features, keeps only its bytes and parses a feature again each time it is read
   * (bounded memory, one extra parse, a second core; see geojson.ts).
   */
  keepParsedBytes?: number
  /** Such a large GeoJSON read on a second core too: from 50,000 features, always, or never */
  worker?: 'auto' | 'always' | 'never'
  /** Features in a block of that work (tests make it small) */
  block?: number
}
