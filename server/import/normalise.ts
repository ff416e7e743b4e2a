// From raw features to canonical rows for one layer: CRS → CGCS2000, geometry type, field mapping,
// value types, vocabularies and duplicate codes. Pure (no database), so every rule is unit-testable.
// Problems with single features are collected as issues (not thrown) so one upload reports them all.
import { FirstSeen } from './codes.ts'
import type { Geometry } from 'geojson'
import { AppError, issue, type Issue } from '../errors.ts'
import { FACILITY_TYPE_NAMES, resolveFacilityType } from '../layers/facility-types.ts'
import { isResidentialUse, layerDef, type FieldDef, type LayerDef } from '../layers/definitions.ts'
import {
  CrsError,
  detectCrs,
  fromName,
  fromPrj,
  inChina,
  localZoneEpsg,
  toCgcs2000,
  type Bbox,
  type Crs,
} from './crs.ts'
import {
  addToExtent,
  forEachPosition,
  mapPositions,
  newExtent,
  toEwkbHex,
  type Extent,
  type Malformed,
} from './geometry.ts'
import type { RawFeature, ReadResult } from './readers/index.ts'

export const STORAGE_SRID = 4490

export interface ImportOptions {
  crs?: string
  encoding?: string
  /** the table of a GeoPackage that holds several */
  layer?: string
  /** canonical field → attribute name in the file */
  fields?: Record<string, string>
  /** facility type values in the file → canonical type */
  types?: Record<string, string>
  /** What to do with invalid geometry and topology problems: refuse the file, or repair/accept with warnings. */
  onInvalid?: 'reject' | 'repair'
}

export interface Row {
  fid: number
  values: Record<string, unknown>
  props: Record<string, unknown> | null
  geom: string
}

export interface Normalised {
  /** converted while pulled, so COPY can run alongside; per-feature problems land in `errors` */
  rows: Iterable<Row>
  count: () => number
  /** the EPSG code of the 3° zone the buildings' projected points are stored in */
  zone: number
  crs: Crs
  crsSource: 'declared' | 'file' | 'detected'
  fieldMap: Record<string, string | null>
  warnings: Issue[]
  errors: Issue[]
  /**
   * The state behind `rows`, for a driver that converts some features elsewhere (import/parallel.ts:
   * a worker thread) and brings their outcomes back in file order.
   */
  shared: {
    ctx: ConvertContext
    malformed: Map<number, Malformed>
    /** Feature i converted here, exactly as `rows` does it. */
    step(i: number): Row | null
    add(issue: Issue): void
    /** The duplicate check at feature `fid`; its issue to `to` (default: the errors). */
    checkCode(code: string, fid: number, to?: (issue: Issue) => void): void
    unknownType(value: string, fid: number): void
    emitted(n: number): void
    /** After the last feature: the unknown facility types reported. */
    finish(): void
  }
}

const MAX_ISSUES = 1000

/** The extent of the well-formed features (the reader's, when it built one while parsing). */
function extentOf(read: ReadResult): Extent {
  if (read.extent) return read.extent
  const x = newExtent()
  for (let i = 0; i < read.features.length; i++) addToExtent(x, i, read.features.at(i)!.geometry)
  return x
}

/** The first position of each well-formed feature (for telling one wild feature from a wrong CRS). */
function firstPositions(
  features: ReadResult['features'],
  malformed: Map<number, Malformed>,
): { i: number; x: number; y: number }[] {
  const out: { i: number; x: number; y: number }[] = []
  for (let i = 0; i < features.length; i++) {
    if (malformed.has(i)) continue
    let done = false
    forEachPosition(features.at(i)!.geometry!, (p) => {
      if (!done) {
        out.push({ i, x: p[0], y: p[1] })
        done = true
      }
    })
  }
  return out
}

/**
 * When the whole extent fits no CRS, the cause is often one feature far from the rest: detect the
 * CRS from the median position and name the first feature that does not fit it.
 */
function wildFeature(read: ReadResult, malformed: Map<number, Malformed>): AppError | null {
  const pts = firstPositions(read.features, malformed)
  if (pts.length < 3) return null
  const med = (a: number[]) => a.sort((p, q) => p - q)[a.length >> 1]
  const mx = med(pts.map((p) => p.x)),
    my = med(pts.map((p) => p.y))
  const d = detectCrs({ minX: mx, minY: my, maxX: mx, maxY: my })
  if (!d.crs) return null
  const t = toCgcs2000(d.crs)
  const fits = (x: number, y: number) => {
    const [lon, lat] = t ? t(x, y) : [x, y]
    return (
      inChina(lon, lat) &&
      detectCrs({ minX: Math.min(x, mx), minY: Math.min(y, my), maxX: Math.max(x, mx), maxY: Math.max(y, my) }).crs
        ?.id === d.crs!.id
    )
  }
  const wild = pts.find((p) => !fits(p.x, p.y))
  if (!wild) return null
  return new AppError('CC_COORDS_OUTSIDE_CHINA', {
    file: read.fileName,
    feature: wild.i + 1,
    x: round(wild.x),
    y: round(wild.y),
    crs: d.crs.id,
    field: 'geometry',
    hint: `其他要素像是 ${d.crs.id}（${d.crs.label}），只有这个要素的坐标对不上，请检查它`,
    hintEn: `the other features look like ${d.crs.id} (${d.crs.label}); only this feature's coordinates do not fit: check it`,
  })
}

/**
 * For a Gauss-Kruger CRS, the band of eastings its zone covers (with room for the overlap cities
 * use): data of zone 39 declared as zone 38 would otherwise land ~250 km away without a word.
 */
function zoneBand(crs: Crs): { min: number; max: number; label: string } | null {
  const m = crs.id.match(/^EPSG:(\d+)$/)
  const code = m ? Number(m[1]) : 0
  const half = code >= 4491 && code <= 4512 ? 450_000 : code >= 4513 && code <= 4554 ? 300_000 : 0
  if (!half) return null
  const prefixed = (code >= 4491 && code <= 4501) || (code >= 4513 && code <= 4533)
  const zone = code <= 4501 ? code - 4491 + 13 : code - 4513 + 25
  const fe = prefixed ? zone * 1e6 + 5e5 : 5e5
  return { min: fe - half, max: fe + half, label: `${fe - half}–${fe + half}` }
}

/** Which CRS the coordinates are in: declared by the uploader, else said by the file, else detected. */
export function resolveCrs(
  read: ReadResult,
  declared: string | undefined,
  bbox: Bbox,
  malformed: Map<number, Malformed> = new Map(),
): { crs: Crs; source: Normalised['crsSource']; warnings: Issue[] } {
  const file = read.fileName
  const warnings: Issue[] = []
  try {
    if (declared) return { crs: fromName(declared), source: 'declared', warnings }
    if (read.prj) return { crs: fromPrj(read.prj), source: 'file', warnings }
    if (read.crsName) return { crs: fromName(read.crsName), source: 'file', warnings }
  } catch (e) {
    if (e instanceof CrsError)
      throw new AppError('CC_CRS_UNSUPPORTED', { file, crs: e.crs, reason: e.reason, field: 'crs' })
    throw e
  }
  const d = detectCrs(bbox)
  if (!d.crs)
    throw (
      wildFeature(read, malformed) ??
      new AppError('CC_CRS_UNDETECTED', { file, hint: d.hint, hintEn: d.hintEn, field: 'crs' })
    )
  return { crs: d.crs, source: 'detected', warnings }
}

const key = (s: string) => s.trim().toLowerCase()

/** canonical field → the file's attribute name (explicit mapping first, then the first alias present). */
export function mapFields(
  def: LayerDef,
  fieldNames: string[],
  explicit: Record<string, string> | undefined,
  file: string,
): Record<string, string | null> {
  const byKey = new Map(fieldNames.map((n) => [key(n), n]))
  const out: Record<string, string | null> = {}
  for (const f of def.fields) {
    const want = explicit?.[f.name]
    if (want !== undefined) {
      const found = byKey.get(key(want))
      if (!found)
        throw new AppError('CC_FIELD_MAPPING', {
          file,
          field: want,
          available: fieldNames.join(', ') || '（无 / none）',
        })
      out[f.name] = found
    } else {
      out[f.name] = f.aliases.map((a) => byKey.get(key(a))).find((x) => x !== undefined) ?? null
    }
  }
  for (const k of Object.keys(explicit ?? {})) {
    if (!def.fields.some((f) => f.name === k)) {
      throw new AppError('CC_OPTION_INVALID', {
        option: 'fields',
        reason: `${k} 不是图层 ${def.layer} 的字段（${def.fields.map((f) => f.name).join(', ')}） / ${k} is not a field of layer ${def.layer}`,
      })
    }
  }
  return out
}

const TRUE = new Set(['1', 'true', 't', 'y', 'yes', '是', '住宅'])
const FALSE = new Set(['0', 'false', 'f', 'n', 'no', '否', '非住宅'])

/** Converts one attribute value; `undefined` means "not convertible". Nulls and blanks are null. */
export function convertValue(v: unknown, type: FieldDef['type']): unknown {
  if (v === null || v === undefined || (typeof v === 'string' && v.trim() === '')) return null
  switch (type) {
    case 'text':
      return String(v).trim()
    case 'number':
    case 'int': {
      // "12层", "1,200", "35.5米" are common in hand-made tables: keep the number, not the unit.
      const n =
        typeof v === 'number'
          ? v
          : Number(
              String(v)
                .replace(/[,，\s]/g, '')
                .replace(/(层|米|m|人|户|个|年)$/i, ''),
            )
      if (!Number.isFinite(n)) return undefined
      // An int column holds 32 bits; a larger "integer" is a typo, not a value.
      if (type === 'int' && Math.abs(n) > 2_147_483_647) return undefined
      return type === 'int' ? Math.round(n) : n
    }
    case 'boolean': {
      if (typeof v === 'boolean') return v
      const s = String(v).trim().toLowerCase()
      return TRUE.has(s) ? true : FALSE.has(s) ? false : undefined
    }
  }
}

const EXPECTED: Record<FieldDef['type'], [string, string]> = {
  text: ['文本', 'text'],
  number: ['数值', 'a number'],
  int: ['整数', 'an integer'],
  boolean: ['是/否', 'yes/no'],
}

function geometryOk(def: LayerDef, g: Geometry): boolean {
  if (def.geometry === 'line') return g.type === 'LineString' || g.type === 'MultiLineString'
  if (def.geometry === 'point') return g.type === 'Point'
  if (g.type === 'Polygon' || g.type === 'MultiPolygon') return true
  return def.geometry === 'point-or-polygon' && (g.type === 'Point' || g.type === 'MultiPoint')
}

const EXPECTED_GEOMETRY: Record<LayerDef['geometry'], string> = {
  polygon: 'Polygon/MultiPolygon',
  'point-or-polygon': 'Point/MultiPoint/Polygon/MultiPolygon',
  line: 'LineString/MultiLineString',
  point: 'Point',
}

/**
 * Streams canonical rows: CRS, field mapping and required fields are settled first (a problem there
 * throws at once); each feature is then checked and converted as it is pulled, so the caller can
 * COPY rows into PostgreSQL while later features are still being converted. Per-feature problems go
 * to `errors` (the caller must check it after the last row); nothing is thrown for them.
 */
export function normaliseStream(read: ReadResult, def: LayerDef, opts: ImportOptions): Normalised {
  const file = read.fileName
  if (read.features.length === 0) throw new AppError('CC_EMPTY_LAYER', { file })
  const { bbox, malformed } = extentOf(read)
  if (!Number.isFinite(bbox.minX)) {
    const [i, m] = malformed.entries().next().value ?? [
      0,
      { code: 'CC_GEOMETRY_EMPTY' as const, reason: '', reasonEn: '' },
    ]
    throw new AppError(m.code, { file, feature: i + 1, field: 'geometry', reason: m.reason, reasonEn: m.reasonEn })
  }
  const { crs, source: crsSource, warnings } = resolveCrs(read, opts.crs, bbox, malformed)
  const transform = toCgcs2000(crs)
  // The 3° zone of the layer's centre: the same rule the indicator model uses for the whole city.
  const centre: [number, number] = [(bbox.minX + bbox.maxX) / 2, (bbox.minY + bbox.maxY) / 2]
  const zone = localZoneEpsg((transform ? transform(centre[0], centre[1]) : centre)[0])
  const fieldMap = mapFields(def, read.fieldNames, opts.fields, file)
  const errors: Issue[] = []
  const add = (i: Issue) => {
    if (errors.length < MAX_ISSUES) errors.push(i)
  }

  for (const f of def.fields) {
    if (f.required && !fieldMap[f.name]) {
      throw new AppError('CC_FIELD_ABSENT', { file, field: f.name, zh: f.zh })
    }
  }
  const generateCodes = !fieldMap.code
  if (generateCodes) warnings.push(issue('CC_CODES_GENERATED', { file, field: 'code' }))
  const ctx: ConvertContext = { file, layer: def.layer, fieldMap, types: opts.types, crs, bbox, generateCodes }
  let emitted = 0
  // The code as the row pass made it, for a feature seen before (the duplicate check re-reads it).
  const codeDef = def.fields.find((f) => f.name === 'code')
  const codeOf = (fid: number) =>
    String(convertValue(read.features.at(fid - 1)!.properties[fieldMap.code!], codeDef!.type))
  const seenCodes = def.uniqueCode && !generateCodes ? new FirstSeen(codeOf) : null
  const checkCode = (code: string, fid: number, to: (i: Issue) => void = add) => {
    const prev = seenCodes?.check(code, fid)
    if (prev !== undefined)
      to(
        issue('CC_DUPLICATE_CODE', {
          file,
          feature: fid,
          field: fieldMap.code ?? 'code',
          featureCode: code,
          other: prev,
        }),
      )
  }
  const unknownTypes = new Map<string, number>() // value → first feature
  const convert = featureConverter(ctx)
  /** One feature through the converter; the row, or null when it is left out. */
  const step = (i: number): Row | null => {
    const fid = i + 1
    const out = convert(read.features.at(i)!, fid, malformed.get(i), add, checkCode)
    if (!out) return null
    if ('unknownType' in out) {
      if (!unknownTypes.has(out.unknownType)) unknownTypes.set(out.unknownType, fid)
      return null
    }
    emitted++
    return out.row
  }
  const reportUnknownTypes = () => {
    for (const [value, fid] of unknownTypes) {
      add(
        issue('CC_FIELD_UNKNOWN_VALUE', {
          file,
          feature: fid,
          field: fieldMap.type!,
          value,
          allowed: `${FACILITY_TYPE_NAMES.join(', ')}；可用 types 参数映射 / map values with the types option`,
        }),
      )
    }
  }

  function* rows(): Generator<Row> {
    for (let i = 0; i < read.features.length; i++) {
      const r = step(i)
      if (r) yield r
    }
    reportUnknownTypes()
  }
  return {
    rows: rows(),
    count: () => emitted,
    zone,
    crs,
    crsSource,
    fieldMap,
    warnings,
    errors,
    shared: {
      ctx,
      malformed,
      step,
      add,
      checkCode,
      unknownType: (value, fid) => {
        if (!unknownTypes.has(value)) unknownTypes.set(value, fid)
      },
      emitted: (n) => {
        emitted += n
      },
      finish: reportUnknownTypes,
    },
  }
}

/** Everything converting one feature needs, as plain data: a worker thread rebuilds the rest from it. */
export interface ConvertContext {
  file: string
  layer: string
  fieldMap: Record<string, string | null>
  types?: Record<string, string>
  crs: Crs
  bbox: Bbox
  generateCodes: boolean
}

/** A feature converted: its row, or a facility type outside the vocabulary (one issue per value). */
export type Converted = { row: Row } | { unknownType: string } | null

/**
 * The per-feature checks and conversion: geometry type, the CRS's zone band, the transform to
 * CGCS2000, inside China, every mapped field's type, range and control characters, the code (handed to
 * `checkCode` at the point where it is settled), the facility vocabulary, the unmapped attributes kept
 * as props, and the EWKB. Issues go to `add`; a CRS problem throws (it is the file's, not a feature's).
 */
export function featureConverter(ctx: ConvertContext) {
  const { file, fieldMap, crs, bbox, generateCodes } = ctx
  const def = layerDef(ctx.layer)
  if (!def) throw new Error(`unknown layer ${ctx.layer}`)
  const band = zoneBand(crs)
  const transform = toCgcs2000(crs)
  const mapped = new Set(Object.values(fieldMap).filter(Boolean) as string[])
  const fields = def.fields.map((f) => ({ f, src: fieldMap[f.name] }))
  return (
    feat: RawFeature,
    fid: number,
    bad0: Malformed | undefined,
    add: (i: Issue) => void,
    checkCode: (code: string, fid: number) => void,
  ): Converted => {
    if (bad0) {
      add(issue(bad0.code, { file, feature: fid, field: 'geometry', reason: bad0.reason, reasonEn: bad0.reasonEn }))
      return null
    }
    const g = feat.geometry!
    if (!geometryOk(def, g)) {
      add(
        issue('CC_GEOMETRY_TYPE', {
          file,
          feature: fid,
          type: g.type,
          expected: EXPECTED_GEOMETRY[def.geometry],
        }),
      )
      return null
    }
    if (band) {
      let off: number | undefined
      forEachPosition(g, (p) => {
        if (off === undefined && (p[0] < band.min || p[0] > band.max)) off = p[0]
      })
      if (off !== undefined) {
        const z = Math.floor(off / 1e6)
        const guess = z >= 13 && z <= 45 ? `横坐标的带号是 ${z}，请检查声明的坐标系` : '请检查声明的坐标系与中央经线'
        const guessEn =
          z >= 13 && z <= 45
            ? `the easting carries zone ${z}; check the declared CRS`
            : 'check the declared CRS and its central meridian'
        throw new AppError('CC_COORDS_OUTSIDE_ZONE', {
          file,
          feature: fid,
          x: round(off),
          crs: crs.id,
          band: band.label,
          hint: guess,
          hintEn: guessEn,
          field: 'crs',
        })
      }
    }
    if (transform) mapPositions(g, transform)
    let outside: [number, number] | undefined
    forEachPosition(g, (p) => {
      if (!outside && !inChina(p[0], p[1])) outside = [p[0], p[1]]
    })
    if (outside) {
      const d = detectCrs(bbox)
      const guess = d.crs && d.crs.id !== crs.id ? `坐标更像是 ${d.crs.id}（${d.crs.label}）` : d.hint
      const guessEn =
        d.crs && d.crs.id !== crs.id ? `the coordinates look more like ${d.crs.id} (${d.crs.label})` : d.hintEn
      throw new AppError('CC_COORDS_OUTSIDE_CHINA', {
        file,
        feature: fid,
        x: round(outside[0]),
        y: round(outside[1]),
        crs: crs.id,
        hint: guess,
        hintEn: guessEn,
        field: 'crs',
      })
    }

    const values: Record<string, unknown> = {}
    let bad = false
    for (const { f, src } of fields) {
      const raw = src ? feat.properties[src] : null
      if (typeof raw === 'string' && CONTROL.test(raw)) {
        add(issue('CC_FIELD_CONTROL_CHAR', { file, feature: fid, field: src! }))
        bad = true
        continue
      }
      const v = convertValue(raw, f.type)
      if (typeof v === 'number' && ((f.min !== undefined && v < f.min) || (f.max !== undefined && v > f.max))) {
        add(
          issue('CC_FIELD_RANGE', {
            file,
            feature: fid,
            field: src!,
            value: v,
            min: f.min ?? '−∞',
            max: f.max ?? '∞',
          }),
        )
        bad = true
      } else if (v === undefined) {
        add(
          issue('CC_FIELD_TYPE', {
            file,
            feature: fid,
            field: src!,
            value: String(raw).slice(0, 40),
            expected: EXPECTED[f.type][1],
            expectedZh: EXPECTED[f.type][0],
          }),
        )
        bad = true
      } else if (v === null && f.required) {
        add(issue('CC_FIELD_MISSING', { file, feature: fid, field: src ?? f.name }))
        bad = true
      } else values[f.name] = v
    }
    if (bad) return null
    if (generateCodes) values.code = String(fid)
    else if (values.code == null) {
      add(issue('CC_FIELD_MISSING', { file, feature: fid, field: fieldMap.code! }))
      return null
    }
    checkCode(String(values.code), fid)

    if (def.layer === 'facilities') {
      const t = resolveFacilityType(values.type, ctx.types)
      if (!t) {
        // One issue per distinct unknown value (at its first feature), not one per feature.
        return { unknownType: String(values.type) }
      }
      values.source_type = values.type
      values.type = t
    }
    if (def.layer === 'buildings' && values.residential == null && values.use != null)
      values.residential = isResidentialUse(String(values.use)) // may stay null: unknown

    let props: Record<string, unknown> | null = null
    let dirty: string | null = null
    for (const k in feat.properties) {
      const v = feat.properties[k]
      if (v === null || v === undefined || mapped.has(k)) continue
      // Nested values are kept as JSON, but not thousands deep (jsonb and JSON.stringify both recurse).
      if (typeof v === 'object' && depthOver(v, 32)) {
        add(
          issue('CC_FIELD_TYPE', {
            file,
            feature: fid,
            field: k,
            value: '[…]',
            expected: 'a value nested at most 32 deep',
            expectedZh: '嵌套不超过 32 层的值',
          }),
        )
        dirty = ''
        break
      }
      // jsonb cannot hold NUL; the other control characters are refused with it, naming the field.
      if (
        CONTROL.test(k) ||
        (typeof v === 'string' ? CONTROL.test(v) : typeof v === 'object' && CONTROL_JSON.test(JSON.stringify(v)))
      ) {
        dirty = k
        break
      }
      ;(props ??= {})[k] = v
    }
    if (dirty !== null) {
      if (dirty) add(issue('CC_FIELD_CONTROL_CHAR', { file, feature: fid, field: dirty.replace(CONTROL, '?') }))
      return null
    }
    return {
      row: { fid, values, props, geom: toEwkbHex(g, STORAGE_SRID, g.type === 'Polygon' || g.type === 'MultiPolygon') },
    }
  }
}

const round = (n: number) => Math.round(n * 1e6) / 1e6

/** Whether a JSON value nests deeper than `max` (iteratively: the input may be thousands deep). */
function depthOver(v: unknown, max: number): boolean {
  let level: unknown[] = [v]
  for (let d = 0; level.length; d++) {
    if (d > max) return true
    const next: unknown[] = []
    for (const x of level)
      if (x && typeof x === 'object') for (const y of Object.values(x)) if (y && typeof y === 'object') next.push(y)
    level = next
  }
  return false
}
/** NUL and the C0 controls other than tab, newline and carriage return. */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/
/** the same characters as JSON.stringify escapes them */
const CONTROL_JSON = /\\u00(0[0-8bcef]|1[0-9a-f])/
