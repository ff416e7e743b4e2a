import type { Feature, FeatureCollection, Geometry } from 'geojson'
import { AppError } from '../../errors.ts'
import { decodeText } from './encoding.ts'
import type { ReadOptions, ReadResult } from './types.ts'

/** GeoJSON FeatureCollection, Feature or bare geometry (RFC 7946, plus the legacy `crs` member). */
export function readGeoJson(buf: Uint8Array, fileName: string, opts: ReadOptions): ReadResult {
  const { text, encoding, source, confidence } = decodeText(buf, opts.encoding, fileName)
  let doc: FeatureCollection | Feature | Geometry
  try {
    doc = JSON.parse(text)
  } catch (e) {
    throw new AppError('CC_PARSE_FAILED', { file: fileName, reason: (e as Error).message })
  }
  let features: Feature[]
  if (doc && doc.type === 'FeatureCollection' && Array.isArray((doc as FeatureCollection).features))
    features = (doc as FeatureCollection).features
  else if (doc && doc.type === 'Feature') features = [doc as Feature]
  else if (doc && typeof doc.type === 'string' && 'coordinates' in doc)
    features = [{ type: 'Feature', geometry: doc as Geometry, properties: {} }]
  else
    throw new AppError('CC_PARSE_FAILED', {
      file: fileName,
      reason: '不是 GeoJSON FeatureCollection / not a GeoJSON FeatureCollection',
    })
  if (features.length > opts.maxFeatures)
    throw new AppError('CC_TOO_MANY_FEATURES', { file: fileName, limit: opts.maxFeatures })
  const names = new Set<string>()
  const out = new Array(features.length)
  for (let i = 0; i < features.length; i++) {
    const f = features[i]
    const props = f?.properties || {}
    for (const k in props) names.add(k)
    out[i] = { geometry: f?.geometry ?? null, properties: props }
  }
  const crs = (doc as { crs?: { properties?: { name?: string } } }).crs?.properties?.name
  return {
    format: 'geojson',
    fileName,
    features: out,
    fieldNames: [...names],
    crsName: crs,
    encoding,
    encodingSource: source,
    encodingConfidence: confidence,
  }
}
