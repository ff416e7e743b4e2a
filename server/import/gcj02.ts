// GCJ-02 (国测局, used by AMap/Gaode and Tencent) and BD-09 (Baidu) offsets.
// The forward GCJ-02 offset is the widely published one (see eviltransform, coordtransform);
// there is no closed-form inverse, so WGS84 is recovered by fixed-point iteration to ~1e-9°
// (the one-step inverse is only good to 1–2 m). CGCS2000 ≈ WGS84 to well under a metre.

const A = 6378245.0
const EE = 0.006693421622965943
const X_PI = (Math.PI * 3000.0) / 180.0

function tLat(x: number, y: number): number {
  let r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x))
  r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0
  r += ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0
  r += ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0
  return r
}

function tLon(x: number, y: number): number {
  let r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x))
  r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0
  r += ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0
  r += ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0
  return r
}

/** WGS84 → GCJ-02 (the offset every Chinese web map applies). */
export function wgs84ToGcj02(lon: number, lat: number): [number, number] {
  let dLat = tLat(lon - 105.0, lat - 35.0)
  let dLon = tLon(lon - 105.0, lat - 35.0)
  const radLat = (lat / 180.0) * Math.PI
  let magic = Math.sin(radLat)
  magic = 1 - EE * magic * magic
  const sqrtMagic = Math.sqrt(magic)
  dLat = (dLat * 180.0) / (((A * (1 - EE)) / (magic * sqrtMagic)) * Math.PI)
  dLon = (dLon * 180.0) / ((A / sqrtMagic) * Math.cos(radLat) * Math.PI)
  return [lon + dLon, lat + dLat]
}

/** GCJ-02 → WGS84 by iteration; converges in 3–5 steps inside China. */
export function gcj02ToWgs84(lon: number, lat: number): [number, number] {
  let wLon = lon
  let wLat = lat
  for (let i = 0; i < 10; i++) {
    const [gLon, gLat] = wgs84ToGcj02(wLon, wLat)
    const dx = gLon - lon
    const dy = gLat - lat
    wLon -= dx
    wLat -= dy
    if (Math.abs(dx) < 1e-10 && Math.abs(dy) < 1e-10) break
  }
  return [wLon, wLat]
}

/** BD-09 → GCJ-02 (Baidu's extra rotation and shift undone). */
export function bd09ToGcj02(lon: number, lat: number): [number, number] {
  const x = lon - 0.0065
  const y = lat - 0.006
  const z = Math.sqrt(x * x + y * y) - 0.00002 * Math.sin(y * X_PI)
  const theta = Math.atan2(y, x) - 0.000003 * Math.cos(x * X_PI)
  return [z * Math.cos(theta), z * Math.sin(theta)]
}

export function gcj02ToBd09(lon: number, lat: number): [number, number] {
  const z = Math.sqrt(lon * lon + lat * lat) + 0.00002 * Math.sin(lat * X_PI)
  const theta = Math.atan2(lat, lon) + 0.000003 * Math.cos(lon * X_PI)
  return [z * Math.cos(theta) + 0.0065, z * Math.sin(theta) + 0.006]
}

export function bd09ToWgs84(lon: number, lat: number): [number, number] {
  const [g1, g2] = bd09ToGcj02(lon, lat)
  return gcj02ToWgs84(g1, g2)
}
