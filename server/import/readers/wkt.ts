import type { Geometry, Position } from 'geojson'

/** A small WKT reader for POINT, LINESTRING, POLYGON and their MULTI forms (optionally with SRID=…;). */
export function parseWkt(input: string): Geometry {
  const s = input.replace(/^SRID=\d+;/i, '').trim()
  let i = 0
  const ws = () => {
    while (i < s.length && /\s/.test(s[i])) i++
  }
  const word = () => {
    ws()
    const m = /^[A-Za-z]+/.exec(s.slice(i))
    if (!m) throw new Error(`expected a type at ${i}`)
    i += m[0].length
    return m[0].toUpperCase()
  }
  const expect = (c: string) => {
    ws()
    if (s[i] !== c) throw new Error(`expected "${c}" at ${i}`)
    i++
  }
  const peek = () => {
    ws()
    return s[i]
  }
  const pos = (): Position => {
    ws()
    const m = /^([-+\d.eE]+)\s+([-+\d.eE]+)(?:\s+[-+\d.eE]+)*/.exec(s.slice(i))
    if (!m) throw new Error(`expected a coordinate at ${i}`)
    i += m[0].length
    return [Number(m[1]), Number(m[2])]
  }
  const list = <T>(item: () => T): T[] => {
    expect('(')
    const out = [item()]
    while (peek() === ',') {
      i++
      out.push(item())
    }
    expect(')')
    return out
  }
  const point = (): Position => (peek() === '(' ? list(pos)[0] : pos())
  const type = word()
  if (/^(Z|M|ZM)$/i.test(peek() ?? '')) word()
  let g: Geometry
  switch (type) {
    case 'POINT':
      g = { type: 'Point', coordinates: list(pos)[0] }
      break
    case 'LINESTRING':
      g = { type: 'LineString', coordinates: list(pos) }
      break
    case 'POLYGON':
      g = { type: 'Polygon', coordinates: list(() => list(pos)) }
      break
    case 'MULTIPOINT':
      g = { type: 'MultiPoint', coordinates: list(point) }
      break
    case 'MULTILINESTRING':
      g = { type: 'MultiLineString', coordinates: list(() => list(pos)) }
      break
    case 'MULTIPOLYGON':
      g = { type: 'MultiPolygon', coordinates: list(() => list(() => list(pos))) }
      break
    default:
      throw new Error(`unsupported WKT type ${type}`)
  }
  ws()
  if (i !== s.length) throw new Error(`unexpected text at ${i}`)
  return g
}
