// A deterministic, plausible (not real) Chinese city for the quick start, the tests and the
// benchmarks: a grid of ~370 m blocks between roads; 街道 and 社区 boundaries follow roads;
// residential blocks are 小区 whose era sets the building form (1990s 6-storey walk-up rows,
// 2000s mid-rise slabs, 2010s towers), a few 城中村 blocks are dense 3–4 storey houses; schools,
// parks, offices and industry take the rest. Facilities are placed with deliberate gaps so the
// indicators have problems to find. Codes are 12-digit 统计用区划代码 in form, under the unassigned
// province prefix 99 so they can never be mistaken for a real place.
import fs from 'node:fs'
import path from 'node:path'

export interface CityOptions {
  seed?: number
  /** blocks across and down; the demo city is 22 × 16 (≈ 8.8 × 6.4 km, ~20k buildings) */
  cols?: number
  rows?: number
  lon0?: number
  lat0?: number
  /** the city's 6-digit code: districts are <first 4 digits>01 and 02 (default 990100) */
  city?: string
  /** the inspection year the generated inspection records are dated in (default 2025) */
  year?: number
}

type Ring = [number, number][]
interface Feat {
  geometry: { type: string; coordinates: unknown }
  properties: Record<string, unknown>
}

const BLOCK = 400 // block pitch in metres (road centre to road centre)
const ROAD = 15 // half the road reserve: blocks start this far from the centreline

function mulberry32(seed: number) {
  return () => {
    seed |= 0
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export const DEMO_LAYERS = [
  'districts',
  'streets',
  'communities',
  'residential-areas',
  'buildings',
  'facilities',
  'green-spaces',
  'jobs',
  'commutes',
  'roads',
] as const

/** Writes one GeoJSON file per layer into outDir (streamed, so a million buildings fit). Returns feature counts. */
export function generateCity(outDir: string, opts: CityOptions = {}): Record<string, number> {
  const cols = opts.cols ?? 22
  const rows = opts.rows ?? 16
  const rand = mulberry32(opts.seed ?? 2025)
  const lon0 = opts.lon0 ?? 117.2
  const lat0 = opts.lat0 ?? 31.8
  const mx = 1 / (111320 * Math.cos((lat0 * Math.PI) / 180))
  const my = 1 / 110574
  const ll = (x: number, y: number): [number, number] => [+(lon0 + x * mx).toFixed(7), +(lat0 + y * my).toFixed(7)]
  const rect = (x0: number, y0: number, x1: number, y1: number): Ring => [
    ll(x0, y0),
    ll(x1, y0),
    ll(x1, y1),
    ll(x0, y1),
    ll(x0, y0),
  ]
  const poly = (r: Ring) => ({ type: 'Polygon', coordinates: [r] })
  const point = (x: number, y: number) => ({ type: 'Point', coordinates: ll(x, y) })
  const pick = <T>(a: T[]) => a[Math.floor(rand() * a.length)]

  fs.mkdirSync(outDir, { recursive: true })
  const counts: Record<string, number> = {}
  const writers = new Map<string, { fd: number; n: number; buf: string[] }>()
  const emit = (layer: string, f: Feat) => {
    let w = writers.get(layer)
    if (!w) {
      w = { fd: fs.openSync(path.join(outDir, `${layer}.geojson`), 'w'), n: 0, buf: [] }
      fs.writeSync(w.fd, '{"type":"FeatureCollection","features":[\n')
      writers.set(layer, w)
    }
    w.buf.push(
      (w.n++ ? ',' : '') + JSON.stringify({ type: 'Feature', properties: f.properties, geometry: f.geometry }) + '\n',
    )
    if (w.buf.length >= 2000) {
      fs.writeSync(w.fd, w.buf.join(''))
      w.buf = []
    }
  }

  // ---- 区县 and 街道: two districts (column halves), each split into 2–3 街道 along roads ----
  const cityCode = opts.city ?? '990100'
  const districtCodes = [`${cityCode.slice(0, 4)}01`, `${cityCode.slice(0, 4)}02`]
  const districtNames = ['滨河区', '望湖区']
  const streetNames = [
    '滨河街道',
    '望湖街道',
    '新华街道',
    '朝阳街道',
    '文昌街道',
    '东城街道',
    '南山街道',
    '北园街道',
    '西苑街道',
    '光明街道',
  ]
  const halfCol = Math.floor(cols / 2)
  const bands = (n: number, k: number) => Array.from({ length: k + 1 }, (_, i) => Math.round((n * i) / k))
  const streets: { code: string; name: string; district: string; c0: number; c1: number; r0: number; r1: number }[] = []
  for (const [d, c0, c1, k] of [
    [0, 0, halfCol, 2],
    [1, halfCol, cols, 3],
  ] as const) {
    const b = bands(rows, k)
    for (let i = 0; i < k; i++) {
      const n = streets.length
      const district = districtCodes[d]
      streets.push({
        code: `${district}${String(n + 1).padStart(3, '0')}000`,
        name: n < streetNames.length ? streetNames[n] : `第${n + 1}街道`,
        district,
        c0,
        c1,
        r0: b[i],
        r1: b[i + 1],
      })
    }
  }
  const _streetOf = (c: number, r: number) => streets.find((s) => c >= s.c0 && c < s.c1 && r >= s.r0 && r < s.r1)!

  // ---- block land use: centre offices, edges industry, a few villages, schools and parks ----
  type Use = 'residential' | 'village' | 'office' | 'industry' | 'school' | 'park' | 'public'
  const use: Use[][] = []
  for (let c = 0; c < cols; c++) {
    use.push([])
    for (let r = 0; r < rows; r++) {
      const dx = (c + 0.5) / cols - 0.5,
        dy = (r + 0.5) / rows - 0.5
      const d = Math.sqrt(dx * dx + dy * dy)
      const u = rand()
      let v: Use = 'residential'
      if (d < 0.12 && u < 0.6) v = 'office'
      else if (d > 0.45 && u < 0.35) v = 'industry'
      else if (u < 0.09) v = 'school'
      else if (u < 0.16) v = 'park'
      else if (u < 0.2) v = 'public'
      else if (u < 0.28 && d > 0.2) v = 'village'
      else if (u < 0.31) v = 'office'
      use[c].push(v)
    }
  }

  // ---- 社区: 2 × 2 blocks, clipped to their 街道 -------------------------------------------
  const communityOf = new Map<
    string,
    { code: string; name: string; pop: number; x0: number; y0: number; x1: number; y1: number }
  >()
  const communities: {
    code: string
    name: string
    street: string
    x0: number
    y0: number
    x1: number
    y1: number
    pop: number
  }[] = []
  const sqNames = [
    '春晖',
    '秋实',
    '明珠',
    '锦绣',
    '和平',
    '幸福',
    '康乐',
    '安居',
    '翠苑',
    '桂园',
    '丰收',
    '书香',
    '友谊',
    '团结',
    '长青',
    '青年',
    '花园',
    '河畔',
    '杏林',
    '梧桐',
  ]
  for (const s of streets) {
    let k = 0
    for (let c = s.c0; c < s.c1; c += 2) {
      for (let r = s.r0; r < s.r1; r += 2) {
        k++
        const code = `${s.code.slice(0, 9)}${String(k).padStart(3, '0')}`
        const cm = {
          code,
          name: `${sqNames[(communities.length * 7) % sqNames.length]}${k}社区`,
          street: s.code,
          x0: c * BLOCK,
          y0: r * BLOCK,
          x1: Math.min(c + 2, s.c1) * BLOCK,
          y1: Math.min(r + 2, s.r1) * BLOCK,
          pop: 0,
        }
        communities.push(cm)
        for (let cc = c; cc < Math.min(c + 2, s.c1); cc++)
          for (let rr = r; rr < Math.min(r + 2, s.r1); rr++) communityOf.set(`${cc},${rr}`, cm)
      }
    }
  }

  // ---- blocks → 小区, buildings, facilities, green, jobs -----------------------------------
  let bid = 0,
    fid = 0,
    aid = 0,
    gid = 0,
    jid = 0
  const homes: { code: string; built: number; floors: number; old: boolean }[] = []
  const areaRects: { ax0: number; ay0: number; ax1: number; ay1: number; x0: number; x1: number; walled: boolean }[] =
    []
  const areaYears: { code: string; built: number }[] = []
  const building = (x0: number, y0: number, w: number, h: number, p: Record<string, unknown>) => {
    bid++
    if (p.use === '住宅')
      homes.push({
        code: `B${String(bid).padStart(7, '0')}`,
        built: p.built_year as number,
        floors: p.floors as number,
        old: (p.built_year as number) < 2000,
      })
    emit('buildings', {
      geometry: poly(rect(x0, y0, x0 + w, y0 + h)),
      properties: { code: `B${String(bid).padStart(7, '0')}`, ...p },
    })
  }
  const facility = (
    type: string,
    name: string,
    x: number,
    y: number,
    extra: Record<string, unknown> = {},
    size?: [number, number],
  ) => {
    fid++
    emit('facilities', {
      geometry: size ? poly(rect(x, y, x + size[0], y + size[1])) : point(x, y),
      properties: { code: `F${String(fid).padStart(6, '0')}`, name, type, ...extra },
    })
  }
  const jobSites: [number, number, number][] = []
  const job = (x: number, y: number, jobs: number, name: string) => {
    jid++
    jobSites.push([x, y, jobs])
    emit('jobs', {
      geometry: point(x, y),
      properties: { code: `J${String(jid).padStart(6, '0')}`, name, jobs: Math.round(jobs) },
    })
  }
  const green = (x0: number, y0: number, x1: number, y1: number, kind: string, name: string) => {
    gid++
    emit('green-spaces', {
      geometry: poly(rect(x0, y0, x1, y1)),
      properties: { code: `G${String(gid).padStart(5, '0')}`, name, kind },
    })
  }
  const residents = (footprint: number, floors: number) => Math.round(((footprint * floors * 0.8) / 90) * 2.6)

  for (let c = 0; c < cols; c++) {
    for (let r = 0; r < rows; r++) {
      const x0 = c * BLOCK + ROAD,
        y0 = r * BLOCK + ROAD
      const x1 = (c + 1) * BLOCK - ROAD,
        y1 = (r + 1) * BLOCK - ROAD
      const cm = communityOf.get(`${c},${r}`)!
      const u = use[c][r]
      const dcent = Math.hypot((c + 0.5) / cols - 0.5, (r + 0.5) / rows - 0.5)
      if (u === 'residential') {
        // Era by distance from the old centre: older inside, newer outside.
        const era = dcent + (rand() - 0.5) * 0.15 < 0.2 ? 'old' : dcent < 0.35 ? 'mid' : 'new'
        const built =
          era === 'old'
            ? 1982 + Math.floor(rand() * 18)
            : era === 'mid'
              ? 2000 + Math.floor(rand() * 10)
              : 2010 + Math.floor(rand() * 13)
        const split = rand() < 0.35 // two 小区 in one block
        const parts = split
          ? [
              [x0, y0, (x0 + x1) / 2 - 5, y1],
              [(x0 + x1) / 2 + 5, y0, x1, y1],
            ]
          : [[x0, y0, x1, y1]]
        for (const [ax0, ay0, ax1, ay1] of parts) {
          areaRects.push({ ax0, ay0, ax1, ay1, x0, x1, walled: built < 2000 })
          aid++
          const areaCode = `XQ${String(aid).padStart(5, '0')}`
          const yr = built + (split ? Math.floor(rand() * 4) : 0)
          areaYears.push({ code: areaCode, built: yr })
          emit('residential-areas', {
            geometry: poly(rect(ax0, ay0, ax1, ay1)),
            properties: {
              code: areaCode,
              name: `${pick(['金色', '阳光', '绿地', '华府', '御景', '东方', '明月', '滨江', '紫薇', '银杏'])}${pick(['家园', '花园', '小区', '公寓', '新村', '苑', '府'])}${aid}`,
              community_code: cm.code,
              built_year: yr,
            },
          })
          const [w, d, gapX, gapY, fl] =
            era === 'old'
              ? ([48, 11, 14, 20, () => 5 + Math.floor(rand() * 3)] as const)
              : era === 'mid'
                ? ([40, 14, 18, 32, () => 9 + Math.floor(rand() * 10)] as const)
                : ([
                    26,
                    18,
                    30,
                    50,
                    () => (rand() < 0.04 ? 28 + Math.floor(rand() * 6) : 18 + Math.floor(rand() * 9)),
                  ] as const)
          for (let y = ay0 + 25; y + d < ay1 - 15; y += d + gapY) {
            for (let x = ax0 + 15; x + w < ax1 - 10; x += w + gapX) {
              const floors = fl()
              const res = residents(w * d, floors)
              const known = rand() < 0.7
              building(x, y, w, d, {
                use: '住宅',
                floors,
                height: +(floors * 2.9).toFixed(1),
                built_year: yr,
                area_code: areaCode,
                residents: known ? res : null,
                households: known ? Math.round(res / 2.6) : null,
              })
              cm.pop += res
              // Sheds, bike garages and substations between the rows.
              if (era === 'old' && rand() < 0.8)
                building(x + 5, y + d + 4, 12, 6, { use: '附属用房', floors: 1, built_year: yr, area_code: areaCode })
            }
          }
          // Ancillary buildings and the 小区's own facilities along its southern edge.
          const cx = (ax0 + ax1) / 2
          building(ax0 + 4, ay0 + 3, 18, 10, { use: '商业', floors: 2, built_year: yr, area_code: areaCode })
          if (rand() < 0.5) facility('幼儿园', `${aid}号幼儿园`, cx, ay0 + 12, { capacity: pick([180, 270, 360]) })
          if (rand() < 0.2) facility('托儿所', `${aid}号托育园`, cx + 20, ay0 + 12, { capacity: 60 })
          if (rand() < 0.45) facility('超市', `${aid}号便民超市`, ax0 + 10, ay0 + 8)
          if (rand() < 0.55) facility('快递驿站', `${aid}号快递驿站`, ax1 - 12, ay0 + 8)
          if (rand() < 0.3) facility('多功能运动场地', `${aid}号运动场`, ax1 - 50, ay1 - 45, {}, [35, 25])
          if (rand() < 0.45) facility('室外健身场地', `${aid}号健身场地`, ax0 + 20, ay1 - 12)
          if (rand() < 0.4)
            green(ax1 - 55, ay0 + 5, ax1 - 8, ay0 + 5 + 20 + rand() * 30, '口袋公园', `${aid}号口袋公园`)
        }
      } else if (u === 'village') {
        // A 城中村 has lanes everywhere: one through it each way is enough for walking to the street.
        areaRects.push({ ax0: x0, ay0: y0, ax1: x1, ay1: y1, x0, x1, walled: false })
        aid++
        const areaCode = `XQ${String(aid).padStart(5, '0')}`
        emit('residential-areas', {
          geometry: poly(rect(x0, y0, x1, y1)),
          properties: {
            code: areaCode,
            name: `${pick(['王', '李', '张', '陈', '刘'])}家村`,
            community_code: cm.code,
            built_year: 1995,
          },
        })
        for (let y = y0 + 4; y + 12 < y1; y += 16) {
          for (let x = x0 + 4; x + 11 < x1; x += 13) {
            if (rand() < 0.08) continue // lanes and yards
            const floors = 3 + Math.floor(rand() * 3)
            const res = residents(11 * 12, floors)
            building(x, y, 11, 12, {
              use: '住宅',
              floors,
              built_year: 1988 + Math.floor(rand() * 20),
              area_code: areaCode,
              residents: rand() < 0.4 ? res : null,
            })
            cm.pop += res
          }
        }
      } else if (u === 'office') {
        for (let y = y0 + 20; y + 30 < y1; y += 75) {
          for (let x = x0 + 20; x + 40 < x1; x += 85) {
            const floors = 8 + Math.floor(rand() * 30)
            building(x, y, 40, 30, { use: '办公', floors, built_year: 1995 + Math.floor(rand() * 28) })
            job(x + 20, y + 15, (40 * 30 * floors * 0.75) / 22, `写字楼${bid}`)
          }
        }
        if (rand() < 0.5) facility('综合超市', `商场${c}-${r}`, x0 + 30, y0 + 10)
        if (rand() < 0.3) facility('菜市场', `农贸市场${c}-${r}`, x1 - 30, y0 + 10)
      } else if (u === 'industry') {
        for (let y = y0 + 20; y + 60 < y1; y += 95) {
          for (let x = x0 + 20; x + 90 < x1; x += 120) {
            building(x, y, 90, 60, {
              use: '工业',
              floors: 1 + Math.floor(rand() * 3),
              built_year: 1985 + Math.floor(rand() * 30),
            })
            job(x + 45, y + 30, 60 + rand() * 400, `工厂${bid}`)
          }
        }
      } else if (u === 'school') {
        const level = rand() < 0.6 ? '小学' : '中学'
        facility(
          level,
          `第${c + 1}${r + 1}${level}`,
          x0 + 40,
          y0 + 40,
          { capacity: level === '小学' ? pick([1080, 1350, 1620]) : pick([1200, 1800]) },
          [220, 160],
        )
        building(x0 + 60, y0 + 60, 80, 18, { use: '教育', floors: 4, built_year: 2005 })
        building(x0 + 60, y0 + 120, 80, 18, { use: '教育', floors: 4, built_year: 2005 })
        job(x0 + 100, y0 + 80, 90, `${level}教职工`)
        if (rand() < 0.6) facility('幼儿园', `第${c + 1}${r + 1}幼儿园`, x1 - 60, y1 - 40, { capacity: 270 })
      } else if (u === 'park') {
        const big = rand() < 0.6
        const [px1, py1] = big ? [x1, y1] : [x0 + 120 + rand() * 60, y0 + 100 + rand() * 60]
        green(
          x0,
          y0,
          px1,
          py1,
          big ? '综合公园' : '社区公园',
          `${pick(['人民', '滨河', '文化', '植物', '体育', '青年'])}公园${c}${r}`,
        )
        facility('运动场地', `公园运动场${c}-${r}`, x0 + 30, y0 + 30, {}, [40, 30])
        if (!big) building(x1 - 80, y1 - 60, 40, 20, { use: '商业', floors: 3, built_year: 2012 })
      } else {
        // Public-service block: street-level centres and larger facilities.
        building(x0 + 40, y0 + 40, 60, 25, { use: '公共服务', floors: 5, built_year: 2008 })
        facility('社区卫生服务中心', `${cm.name}卫生服务中心`, x0 + 70, y0 + 52)
        facility('养老院', `${c}${r}颐养院`, x0 + 160, y0 + 80, { capacity: 200 })
        facility('文化活动中心', `${c}${r}文化中心`, x0 + 70, y0 + 150)
        facility('社区服务中心', `${c}${r}党群服务中心`, x0 + 200, y0 + 200)
        if (rand() < 0.3) facility('消防站', `${c}${r}消防救援站`, x1 - 40, y0 + 40)
        job(x0 + 70, y0 + 52, 150 + rand() * 150, '公共服务')
      }
    }
  }

  // Community-level facilities at the 社区's centre (some missing on purpose).
  for (const cm of communities) {
    const cx = (cm.x0 + cm.x1) / 2,
      cy = (cm.y0 + cm.y1) / 2
    if (rand() < 0.8) facility('社区综合服务站', `${cm.name}服务站`, cx + 4, cy + 4)
    if (rand() < 0.65) facility('社区卫生服务站', `${cm.name}卫生服务站`, cx - 4, cy + 4)
    if (rand() < 0.5) facility('老年服务站', `${cm.name}日间照料中心`, cx + 4, cy - 4)
    if (rand() < 0.55) facility('文化活动站', `${cm.name}文化活动站`, cx - 4, cy - 4)
  }
  // Bus stops every ~500 m along the arterials (every other road), one metro line across.
  for (let c = 0; c <= cols; c += 2)
    for (let y = 200; y < rows * BLOCK; y += 500) facility('公交站', `公交站${c}-${y}`, c * BLOCK + 8, y)
  for (let r = 0; r <= rows; r += 2)
    for (let x = 450; x < cols * BLOCK; x += 500) facility('公交站', `公交站${r}-${x}`, x, r * BLOCK + 8)
  const metroY = Math.round(rows / 2) * BLOCK
  for (let x = 600, i = 1; x < cols * BLOCK; x += 1200, i++) facility('地铁站', `1号线第${i}站`, x, metroY)

  // Boundaries last, now that populations are known.
  districtCodes.forEach((code, d) => {
    const [c0, c1] = d === 0 ? [0, halfCol] : [halfCol, cols]
    emit('districts', {
      geometry: poly(rect(c0 * BLOCK, 0, c1 * BLOCK, rows * BLOCK)),
      properties: { code, name: districtNames[d] },
    })
  })
  for (const s of streets) {
    const pop = communities.filter((c) => c.street === s.code).reduce((a, c) => a + c.pop, 0)
    emit('streets', {
      geometry: poly(rect(s.c0 * BLOCK, s.r0 * BLOCK, s.c1 * BLOCK, s.r1 * BLOCK)),
      properties: { code: s.code, name: s.name, parent_code: s.district, population: Math.round(pop * 1.02) },
    })
  }
  for (const cm of communities) {
    emit('communities', {
      geometry: poly(rect(cm.x0, cm.y0, cm.x1, cm.y1)),
      properties: {
        code: cm.code,
        name: cm.name,
        street_code: cm.street,
        population: Math.round(cm.pop * (0.97 + rand() * 0.06)),
        households: Math.round(cm.pop / 2.6),
      },
    })
  }

  // Commuting OD: each 社区's workers (half its residents) go to job sites drawn in proportion to
  // their jobs, a few flows per 社区.
  const cum: number[] = []
  jobSites.reduce((a, j) => {
    cum.push(a + j[2])
    return a + j[2]
  }, 0)
  const drawJob = () => {
    const r = rand() * cum[cum.length - 1]
    let lo = 0,
      hi = cum.length - 1
    while (lo < hi) {
      const m = (lo + hi) >> 1
      if (cum[m] < r) lo = m + 1
      else hi = m
    }
    return jobSites[lo]
  }
  let oid = 0
  if (jobSites.length) {
    for (const cm of communities) {
      const flows = 6
      for (let k = 0; k < flows; k++) {
        const [x, y] = drawJob()
        oid++
        emit('commutes', {
          geometry: point(x, y),
          properties: {
            code: `OD${String(oid).padStart(6, '0')}`,
            origin_code: cm.code,
            count: Math.max(1, Math.round((cm.pop * 0.5 * (0.6 + rand() * 0.8)) / flows)),
          },
        })
      }
    }
  }

  streetNetwork(cols, rows, areaRects, (kind, pts, tags = {}) =>
    emit('roads', {
      geometry: { type: 'LineString', coordinates: pts.map(([x, y]) => ll(x, y)) },
      properties: { kind, ...tags },
    }),
  )
  const ins = inspectionTables(homes, areaYears, opts.year ?? 2025, (opts.seed ?? 2025) + 1)
  fs.writeFileSync(path.join(outDir, 'inspections.csv'), ins.buildings)
  fs.writeFileSync(path.join(outDir, 'area-inspections.csv'), ins.areas)
  counts.inspections = ins.buildingRows
  for (const [layer, w] of writers) {
    if (w.buf.length) fs.writeSync(w.fd, w.buf.join(''))
    fs.writeSync(w.fd, ']}\n')
    fs.closeSync(w.fd)
    counts[layer] = w.n
  }
  return counts
}

/**
 * Plausible inspection tables (CSV, the import path's input): older walk-ups are inspected more and
 * have more hazards. Probabilities are ours, for a demo — not statistics of any city.
 */
export function inspectionTables(
  homes: { code: string; built: number; floors: number; old: boolean }[],
  areas: { code: string; built: number }[],
  year: number,
  seed: number,
): { buildings: string; areas: string; buildingRows: number } {
  const rand = mulberry32(seed)
  const inspectors = ['张工', '李工', '王工', '赵工', '刘工']
  const date = () =>
    `${year}-${String(4 + Math.floor(rand() * 3)).padStart(2, '0')}-${String(1 + Math.floor(rand() * 28)).padStart(2, '0')}`
  const lines = ['building_code,问题,套数,检查人,检查日期']
  for (const h of homes) {
    const age = year - h.built
    if (rand() >= (h.old ? 0.6 : age > 10 ? 0.3 : 0.1)) continue
    const f: string[] = []
    const maybe = (p: number, code: string) => {
      if (rand() < p) f.push(code)
    }
    maybe(age > 30 ? 0.08 : 0.01, 'housing_structural_hazard.wall_crack')
    maybe(age > 20 ? 0.25 : 0.03, 'housing_gas_hazard.riser_corroded')
    maybe(0.12, 'housing_gas_hazard.hose_aged')
    maybe(h.old ? 0.3 : 0.08, 'housing_gas_hazard.no_alarm')
    maybe(h.old ? 0.2 : 0.05, 'housing_corridor_hazard.clutter')
    maybe(0.08, 'housing_corridor_hazard.ebike_charging')
    maybe(age > 25 ? 0.1 : 0.01, 'housing_envelope_hazard.facade_falling')
    maybe(h.old ? 0.15 : 0.03, 'housing_envelope_hazard.roof_leak')
    maybe(h.old ? 0.15 : 0.03, 'housing_pipe_damage.water_pipe')
    maybe(h.old ? 0.1 : 0.01, 'housing_pipe_damage.wiring')
    maybe(h.floors >= 6 ? 0.05 : 0.01, 'housing_water_quality.water_pressure')
    maybe(h.floors >= 4 && h.floors <= 7 && h.old ? 0.9 : 0, 'housing_ageing_retrofit.no_lift')
    maybe(h.built < 2005 ? 0.6 : 0.02, 'housing_energy_retrofit.no_insulation')
    maybe(h.built < 2000 ? 0.4 : 0, 'housing_energy_retrofit.single_glazing')
    maybe(h.old ? 0.5 : 0.1, 'housing_digital_retrofit.no_smart_meter')
    const nonSelf = h.built < 1990 && rand() < 0.15
    if (nonSelf) f.push('housing_non_self_contained.no_toilet')
    const sets = nonSelf ? String(6 + Math.floor(rand() * 30)) : ''
    lines.push(`${h.code},${f.join('、')},${sets},${inspectors[Math.floor(rand() * inspectors.length)]},${date()}`)
  }
  const alines = ['area_code,问题,检查人,检查日期']
  for (const a of areas) {
    if (rand() >= 0.6) continue
    const old = a.built < 2000
    const f: string[] = []
    if (rand() < (old ? 0.3 : 0.05)) f.push('area_no_waste_sorting.no_sorting_point')
    if (rand() < (old ? 0.35 : 0.03)) f.push('area_no_property_management.no_property_service')
    if (rand() < (old ? 0.4 : 0.15)) f.push('area_no_ebike_charging.no_ebike_charger')
    if (rand() < (old ? 0.5 : 0.1)) f.push('area_smart_retrofit.no_access_control')
    alines.push(`${a.code},${f.join('、')},${inspectors[Math.floor(rand() * inspectors.length)]},${date()}`)
  }
  return { buildings: `${lines.join('\n')}\n`, areas: `${alines.join('\n')}\n`, buildingRows: lines.length - 1 }
}

/** Points from (x0, y0) to (x1, y1) at most 25 m apart, ends included (survey lines have many vertices). */
function polyline(x0: number, y0: number, x1: number, y1: number): [number, number][] {
  const n = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0) / 25))
  return Array.from({ length: n + 1 }, (_, k) => [x0 + ((x1 - x0) * k) / n, y0 + ((y1 - y0) * k) / n])
}

/**
 * The street network: the road grid (主干路 / 次干路 / 支路), a river along one row boundary crossed
 * only by a bridge on every third street, a railway along one column boundary (not walkable) with an
 * underpass on every fourth street, and lanes inside each 小区 — a walled (pre-2000) 小区 has one gate
 * to the street south of it, a newer one opens to its side streets too. Network and straight-line
 * distances differ visibly across the river, the railway and the walls.
 */
function streetNetwork(
  cols: number,
  rows: number,
  areas: { ax0: number; ay0: number; ax1: number; ay1: number; x0: number; x1: number; walled: boolean }[],
  road: (kind: string, pts: [number, number][], tags?: Record<string, unknown>) => void,
) {
  const riverY = (Math.round(rows / 2) + 1) * BLOCK
  const railX = Math.max(2, Math.floor(cols / 3)) * BLOCK
  const kind = (i: number) => (i % 4 === 0 ? '主干路' : i % 2 === 0 ? '次干路' : '支路')
  const H = rows * BLOCK,
    W = cols * BLOCK
  for (let c = 0; c <= cols; c++) {
    const x = c * BLOCK
    if (x === railX) {
      road('铁路', polyline(x, 0, x, H), { name: '铁路' })
      continue
    }
    road(kind(c), polyline(x, 0, x, riverY - 30))
    road(kind(c), polyline(x, riverY + 30, x, H))
    if (c % 3 === 0) road(kind(c), polyline(x, riverY - 30, x, riverY + 30), { bridge: 'yes', name: `${c}号桥` })
  }
  for (let r = 0; r <= rows; r++) {
    const y = r * BLOCK
    if (y === riverY) continue // the river runs here
    road(kind(r), polyline(0, y, railX - 20, y))
    road(kind(r), polyline(railX + 20, y, W, y))
    if (r % 4 === 0) road(kind(r), polyline(railX - 20, y, railX + 20, y), { tunnel: 'yes', name: `${r}号下穿` })
  }
  for (const a of areas) {
    const ym = (a.ay0 + a.ay1) / 2,
      xm = (a.ax0 + a.ax1) / 2
    road('小区道路', polyline(a.ax0 + 12, ym, a.ax1 - 12, ym))
    // The gate to the south street (the street is ROAD metres outside the 小区's edge); by the river,
    // which has no street along it, to the north street.
    if (a.ay0 - ROAD === riverY) road('小区道路', polyline(xm, ym, xm, a.ay1 + ROAD))
    else road('小区道路', polyline(xm, ym, xm, a.ay0 - ROAD))
    if (a.walled) continue
    if (a.ax0 === a.x0) road('小区道路', polyline(a.ax0 + 12, ym, a.ax0 - ROAD, ym))
    if (a.ax1 === a.x1) road('小区道路', polyline(a.ax1 - 12, ym, a.ax1 + ROAD, ym))
  }
}
