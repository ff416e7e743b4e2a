// Coordinate reference systems that Chinese boundary data arrives in, and how each becomes
// CGCS2000 longitude/latitude (EPSG:4490, the storage CRS). Facts from
// ../shared/reference/indicators.md §4: 3° Gauss-Kruger zones EPSG:4513–4533 (zone prefix in the
// false easting) and 4534–4554 (plain 500 000), 6° zones 4491–4501 and 4502–4512.
import proj4 from 'proj4'
import { bd09ToWgs84, gcj02ToWgs84 } from './gcj02.ts'

export type CrsKind = 'geographic' | 'gauss-kruger' | 'web-mercator' | 'gcj02' | 'bd09'

export interface Crs {
  id: string // e.g. EPSG:4548, GCJ02
  kind: CrsKind
  label: string
  /** proj4 definition for projected systems. */
  proj?: string
}

export class CrsError extends Error {
  constructor(
    readonly crs: string,
    readonly reason: string,
  ) {
    super(reason)
  }
}

const GEOGRAPHIC: Record<number, string> = { 4326: 'WGS 84', 4490: 'CGCS2000', 4214: 'Beijing 1954', 4610: 'Xian 1980' }
const LEGACY_DATUM = [4214, 4610]

function gk(cm: number, fe: number): string {
  return `+proj=tmerc +lat_0=0 +lon_0=${cm} +k=1 +x_0=${fe} +y_0=0 +ellps=GRS80 +units=m +no_defs`
}

/** The CGCS2000 Gauss-Kruger definition for an EPSG code, or undefined. */
export function gaussKrugerEpsg(code: number): Crs | undefined {
  let cm: number, fe: number, label: string
  if (code >= 4491 && code <= 4501) {
    const zone = code - 4491 + 13
    cm = zone * 6 - 3
    fe = zone * 1e6 + 5e5
    label = `CGCS2000 6° 带 ${zone} (CM ${cm}E)`
  } else if (code >= 4502 && code <= 4512) {
    cm = 75 + (code - 4502) * 6
    fe = 5e5
    label = `CGCS2000 6° CM ${cm}E`
  } else if (code >= 4513 && code <= 4533) {
    const zone = code - 4513 + 25
    cm = zone * 3
    fe = zone * 1e6 + 5e5
    label = `CGCS2000 3° 带 ${zone} (CM ${cm}E)`
  } else if (code >= 4534 && code <= 4554) {
    cm = 75 + (code - 4534) * 3
    fe = 5e5
    label = `CGCS2000 3° CM ${cm}E`
  } else return undefined
  return { id: `EPSG:${code}`, kind: 'gauss-kruger', label, proj: gk(cm, fe) }
}

/** The 3° zone (EPSG:4534–4554, no prefix) whose central meridian is nearest a longitude; used for metric work. */
export function localZoneEpsg(lon: number): number {
  const cm = Math.min(135, Math.max(75, Math.round(lon / 3) * 3))
  return 4534 + (cm - 75) / 3
}

export function fromEpsg(code: number): Crs {
  if (code === 4326 || code === 4490) return { id: `EPSG:${code}`, kind: 'geographic', label: GEOGRAPHIC[code] }
  if (code === 3857 || code === 900913 || code === 102100)
    return {
      id: 'EPSG:3857',
      kind: 'web-mercator',
      label: 'Web Mercator',
      proj: proj4.defs('EPSG:3857')
        ? 'EPSG:3857'
        : '+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +no_defs',
    }
  if (LEGACY_DATUM.includes(code))
    throw new CrsError(
      `EPSG:${code}`,
      `${GEOGRAPHIC[code]} 与 CGCS2000 相差约 100 米，需要用七参数转换后再上传 / ${GEOGRAPHIC[code]} differs from CGCS2000 by ~100 m; convert it with seven-parameter datum transformation first`,
    )
  if ((code >= 2401 && code <= 2442) || (code >= 2327 && code <= 2390))
    throw new CrsError(
      `EPSG:${code}`,
      '北京54/西安80 高斯投影需先转换到 CGCS2000 / Beijing 1954 and Xian 1980 Gauss-Kruger must be converted to CGCS2000 first',
    )
  const g = gaussKrugerEpsg(code)
  if (g) return g
  throw new CrsError(
    `EPSG:${code}`,
    '只支持 EPSG:4326、4490、3857 和 CGCS2000 高斯-克吕格 4491–4554 / only EPSG:4326, 4490, 3857 and CGCS2000 Gauss-Kruger 4491–4554 are supported',
  )
}

/** A CRS named by the uploader: "EPSG:4548", "4548", "CGCS2000", "WGS84", "GCJ02", "BD09", "urn:ogc:def:crs:EPSG::4490". */
export function fromName(name: string): Crs {
  const s = name
    .trim()
    .toUpperCase()
    .replace(/[\s_-]/g, '')
  if (['GCJ02', 'GCJ', '火星坐标', 'AMAP', 'GAODE', '高德'].includes(s))
    return { id: 'GCJ02', kind: 'gcj02', label: 'GCJ-02 (高德/腾讯)' }
  if (['BD09', 'BD09LL', 'BAIDU', '百度'].includes(s)) return { id: 'BD09', kind: 'bd09', label: 'BD-09 (百度)' }
  if (['WGS84', 'CRS84', 'URN:OGC:DEF:CRS:OGC:1.3:CRS84'.replace(/[\s_-]/g, '')].includes(s) || s.endsWith('CRS84'))
    return fromEpsg(4326)
  if (s === 'CGCS2000') return fromEpsg(4490)
  const m = s.match(/(?:EPSG:{1,2}(?:\d*:)?|^)(\d{4,6})$/)
  if (m) return fromEpsg(Number(m[1]))
  throw new CrsError(name, '无法识别的坐标系名称 / unrecognised CRS name')
}

/** A CRS from a Shapefile .prj (ESRI or OGC WKT). */
export function fromPrj(wkt: string): Crs {
  const text = wkt.replace(/\s+/g, ' ')
  const auth = [...text.matchAll(/AUTHORITY\["EPSG",\s*"?(\d+)"?\]/gi)].map((m) => Number(m[1]))
  const isProjected = /^\s*PROJCS|^\s*PROJCRS/i.test(text)
  const datum = (text.match(/DATUM\["([^"]+)"/i)?.[1] ?? '').toLowerCase()
  if (/beijing|1954|xian|xi'an|1980/.test(datum)) {
    throw new CrsError(
      datum,
      '北京54/西安80 基准需先转换到 CGCS2000 / Beijing 1954 and Xian 1980 data must be converted to CGCS2000 first',
    )
  }
  if (!isProjected) return fromEpsg(/2000|cgcs|china/.test(datum) ? 4490 : 4326)
  // The last AUTHORITY of a PROJCS is the projected CRS's own code.
  if (auth.length && auth[auth.length - 1] !== 4490 && auth[auth.length - 1] !== 4326) {
    try {
      return fromEpsg(auth[auth.length - 1])
    } catch {
      /* fall through to the parameters */
    }
  }
  const projection = (text.match(/PROJECTION\["([^"]+)"/i)?.[1] ?? '').toLowerCase()
  const param = (n: string) => {
    const m = text.match(new RegExp(`PARAMETER\\["${n}",\\s*([-\\d.eE+]+)\\]`, 'i'))
    return m ? Number(m[1]) : undefined
  }
  if (/mercator_auxiliary_sphere|pseudo.?mercator|popular.visualisation/i.test(projection + text)) return fromEpsg(3857)
  if (/gauss|transverse_mercator/.test(projection)) {
    const cm = param('central_meridian') ?? param('longitude_of_center')
    const fe = param('false_easting') ?? 500000
    const k = param('scale_factor') ?? 1
    if (cm === undefined) throw new CrsError('PRJ', '.prj 中没有中央经线 / the .prj gives no central meridian')
    const name = text.match(/PROJCS\["([^"]+)"/i)?.[1] ?? 'Gauss-Kruger'
    return {
      id: `GK:${cm}:${fe}`,
      kind: 'gauss-kruger',
      label: `${name} (CM ${cm}E)`,
      proj: `+proj=tmerc +lat_0=0 +lon_0=${cm} +k=${k} +x_0=${fe} +y_0=${param('false_northing') ?? 0} +ellps=GRS80 +units=m +no_defs`,
    }
  }
  throw new CrsError(text.slice(0, 60), `不支持的投影 ${projection} / unsupported projection ${projection}`)
}

export interface Bbox {
  minX: number
  minY: number
  maxX: number
  maxY: number
}

export const CHINA = { minX: 73.4, minY: 3.8, maxX: 135.1, maxY: 53.6 }
export function inChina(lon: number, lat: number): boolean {
  return lon >= CHINA.minX && lon <= CHINA.maxX && lat >= CHINA.minY && lat <= CHINA.maxY
}

const within = (b: Bbox, x0: number, x1: number, y0: number, y1: number) =>
  b.minX >= x0 && b.maxX <= x1 && b.minY >= y0 && b.maxY <= y1

export interface Detection {
  crs?: Crs
  hint: string
  hintEn: string
  swapAxes?: boolean
}

/**
 * Guess the CRS from the extent of the coordinates when the file does not say. GCJ-02 and BD-09
 * cannot be told from WGS84 by their numbers (they differ by a few hundred metres), so they must be
 * declared. Truncated Gauss-Kruger eastings (6 digits) do not say their zone, so they must be declared too.
 */
export function detectCrs(b: Bbox): Detection {
  if (within(b, 73, 136, 3, 54)) return { crs: fromEpsg(4490), hint: '', hintEn: '' }
  if (within(b, 3, 54, 73, 136))
    return {
      hint: '坐标像是纬度/经度顺序颠倒，请交换 X/Y',
      hintEn: 'the coordinates look like latitude/longitude in swapped order; swap X and Y',
    }
  const zoneOf = (x: number) => Math.floor(x / 1e6)
  const zone = zoneOf(b.minX)
  const prefixed =
    zone === zoneOf(b.maxX) && b.minX % 1e6 > 1e5 && b.maxX % 1e6 < 9e5 && within(b, 13e6, 46e6, 3e5, 6.1e6)
  const mercator = within(b, 8.1e6, 1.52e7, 3.3e5, 7.2e6)
  let gkCode: number | undefined
  if (prefixed && zone >= 25 && zone <= 45) gkCode = 4513 + zone - 25
  if (prefixed && zone >= 13 && zone <= 23) gkCode = 4491 + zone - 13
  if (gkCode && mercator) {
    return {
      hint: `坐标既可能是 Web 墨卡托 (EPSG:3857)，也可能是带号 ${zone} 的高斯投影 (EPSG:${gkCode})，请用 crs 字段声明`,
      hintEn: `the coordinates fit both Web Mercator (EPSG:3857) and Gauss-Kruger zone ${zone} (EPSG:${gkCode}); declare one with the crs field`,
    }
  }
  if (gkCode) return { crs: fromEpsg(gkCode), hint: '', hintEn: '' }
  if (mercator) return { crs: fromEpsg(3857), hint: '', hintEn: '' }
  if (within(b, 1e5, 9e5, 3e5, 6.1e6)) {
    return {
      hint: '坐标像是不带带号的高斯-克吕格投影（6 位横坐标），无法判断中央经线，请用 crs 字段声明，例如 EPSG:4548（3° 带，中央经线 117°E）或 EPSG:4510（6° 带，117°E）',
      hintEn:
        'the coordinates look like Gauss-Kruger without a zone prefix (6-digit eastings), whose central meridian cannot be told; declare it with the crs field, e.g. EPSG:4548 (3° CM 117E) or EPSG:4510 (6° CM 117E)',
    }
  }
  if (within(b, 3e5, 6.1e6, 1e5, 46e6)) {
    return {
      hint: '坐标像是北坐标/东坐标顺序颠倒的高斯投影，请交换 X/Y',
      hintEn: 'the coordinates look like Gauss-Kruger with northing and easting swapped; swap X and Y',
    }
  }
  return {
    hint: '坐标不像中国境内的经纬度、高斯-克吕格或 Web 墨卡托坐标，请检查坐标系或用 crs 字段声明',
    hintEn:
      'the coordinates do not look like longitude/latitude, Gauss-Kruger or Web Mercator in China; check the CRS or declare it with the crs field',
  }
}

export type Transform = (x: number, y: number) => [number, number]

/** A function from the CRS's coordinates to CGCS2000 longitude/latitude. */
export function toCgcs2000(crs: Crs): Transform | null {
  switch (crs.kind) {
    case 'geographic':
      return null // identity: WGS84 is taken as CGCS2000
    case 'gcj02':
      return gcj02ToWgs84
    case 'bd09':
      return bd09ToWgs84
    default: {
      const conv = proj4(crs.proj!, 'EPSG:4326')
      return (x, y) => conv.forward([x, y]) as [number, number]
    }
  }
}
