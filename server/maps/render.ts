// Finished map figures for the 体检报告, drawn server-side: an SVG composed here (units coloured by
// status, 街道 outlines, title, legend, scale bar, north arrow, source line) and rasterised by sharp.
// Text is turned into outlines with the bundled Source Han Sans CN (思源黑体, SIL OFL, from the
// source-han-sans-cn package), so Chinese renders the same on a machine with no CJK font at all.
import fs from 'node:fs'
import { createRequire } from 'node:module'
import type { Knex } from 'knex'
import * as ot from 'opentype.js'
import sharp from 'sharp'
import { AppError } from '../errors.ts'
import { currentVersions } from '../indicators/model.ts'
import { indicatorByCode, type IndicatorDef } from '../indicators/registry.ts'
import { definitions, latestRun } from '../indicators/service.ts'

const require = createRequire(import.meta.url)
// opentype.js is seen as ESM under vitest and through CommonJS interop under tsx: take either shape.
const opentype = (
  (ot as unknown as { parse?: unknown }).parse ? ot : (ot as unknown as { default: typeof ot }).default
) as typeof ot
const fonts = new Map<string, opentype.Font>()
function font(weight: 'Regular' | 'Bold'): opentype.Font {
  let f = fonts.get(weight)
  if (!f) {
    const buf = fs.readFileSync(require.resolve(`source-han-sans-cn/SourceHanSansCN-${weight}.otf`))
    f = opentype.parse(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength))
    fonts.set(weight, f)
  }
  return f
}

/** Text as an SVG path; anchor start | middle | end. */
export function textPath(
  s: string,
  x: number,
  y: number,
  size: number,
  o: { anchor?: 'start' | 'middle' | 'end'; bold?: boolean; fill?: string } = {},
): string {
  const f = font(o.bold ? 'Bold' : 'Regular')
  const w = f.getAdvanceWidth(s, size)
  const x0 = o.anchor === 'middle' ? x - w / 2 : o.anchor === 'end' ? x - w : x
  // The words stay readable to screen readers and tests (aria-label), though drawn as outlines.
  return `<path d="${pathData(f.getPath(s, x0, y, size).commands)}" aria-label="${xmlAttr(s)}" fill="${o.fill ?? '#1f2933'}"/>`
}

const xmlAttr = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string)

/** Width of `s` at `size` in the regular face. */
export function textWidth(s: string, size: number): number {
  return font('Regular').getAdvanceWidth(s, size)
}

/** `s` broken into lines of at most `width` (at most `max` lines; the last cut with an ellipsis). */
export function wrapText(s: string, width: number, size: number, max = 2): string[] {
  const lines: string[] = []
  let rest = s
  while (rest && lines.length < max - 1 && textWidth(rest, size) > width) {
    let lo = 1,
      hi = rest.length
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (textWidth(rest.slice(0, mid), size) <= width) lo = mid
      else hi = mid - 1
    }
    // Prefer to break after a separator near the end of the line.
    const cut = Math.max(...['·', ' ', '；', '，', '、'].map((c) => rest.lastIndexOf(c, lo)))
    const at = cut > lo * 0.6 ? cut + 1 : lo
    lines.push(rest.slice(0, at).trim())
    rest = rest.slice(at).trim()
  }
  if (rest) lines.push(fitText(rest, width, size))
  return lines
}

/** The longest prefix of `s` that fits `width` at `size`, with an ellipsis when cut. */
function fitText(s: string, width: number, size: number): string {
  const f = font('Regular')
  if (f.getAdvanceWidth(s, size) <= width) return s
  let lo = 0,
    hi = s.length
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (f.getAdvanceWidth(s.slice(0, mid) + '…', size) <= width) lo = mid
    else hi = mid - 1
  }
  return s.slice(0, lo) + '…'
}

// opentype.js yields NaN control points for a few CFF glyphs; one NaN makes librsvg drop the rest of
// the path, so a bad curve becomes a line to its end point, and a bad point is skipped.
function pathData(cmds: opentype.PathCommand[]): string {
  const n = (v: number) => Math.round(v * 100) / 100
  const ok = (...v: (number | undefined)[]) => v.every((x) => x !== undefined && Number.isFinite(x))
  let d = ''
  for (const c of cmds) {
    if (c.type === 'Z') {
      d += 'Z'
      continue
    }
    if (!ok(c.x, c.y)) continue
    if (c.type === 'M') d += `M${n(c.x)} ${n(c.y)}`
    else if (c.type === 'C' && ok(c.x1, c.y1, c.x2, c.y2))
      d += `C${n(c.x1)} ${n(c.y1)} ${n(c.x2)} ${n(c.y2)} ${n(c.x)} ${n(c.y)}`
    else if (c.type === 'Q' && ok(c.x1, c.y1)) d += `Q${n(c.x1)} ${n(c.y1)} ${n(c.x)} ${n(c.y)}`
    else d += `L${n(c.x)} ${n(c.y)}`
  }
  return d
}

const STATUS_COLOUR: Record<string, string> = {
  pass: '#2e9d5b',
  fail: '#d64541',
  info: '#4a90d9',
  'no-data': '#c5c9ce',
}
const L = {
  zh: {
    pass: '达标',
    fail: '未达标',
    info: '仅报告',
    'no-data': '无数据',
    target: '目标',
    city: '全市',
    failing: '未达标单元',
    north: '北',
    source: '数据来源',
    run: '计算时间',
    crs: '坐标系',
    units: { street: '街道', community: '社区' },
  },
  en: {
    pass: 'Meets target',
    fail: 'Misses target',
    info: 'Reported only',
    'no-data': 'No data',
    target: 'Target',
    city: 'City',
    failing: 'Units missing target',
    north: 'N',
    source: 'Source',
    run: 'Computed',
    crs: 'CRS',
    units: { street: 'streets', community: 'communities' },
  },
}

function niceLength(maxMetres: number): number {
  const steps = [50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 25000, 50000]
  return steps.filter((s) => s <= maxMetres).pop() ?? 50
}

export interface MapOptions {
  level: 'street' | 'community'
  unit?: string
  width: number
  height: number
  lang: 'zh' | 'en'
}

export async function renderIndicatorMap(
  knex: Knex,
  city: string,
  year: number,
  code: string,
  o: MapOptions,
): Promise<Buffer> {
  return sharp(Buffer.from(await indicatorMapSvg(knex, city, year, code, o)))
    .png({ compressionLevel: 8 })
    .toBuffer()
}

/** The figure as SVG (text as outlines, each with its words as aria-label). */
export async function indicatorMapSvg(
  knex: Knex,
  city: string,
  year: number,
  code: string,
  o: MapOptions,
): Promise<string> {
  const defs = await definitions(knex, city, year)
  const def: IndicatorDef | undefined = indicatorByCode(defs, code)
  if (!def) throw new AppError('CC_NOT_FOUND', { what: `指标 ${code} / indicator ${code}` })
  const run = await latestRun(knex, city, year)
  if (!run) throw new AppError('CC_NOT_FOUND', { what: `${year} 年度的指标计算结果 / computed results for ${year}` })
  const v = await currentVersions(knex, city, year)
  const table = o.level === 'street' ? 'streets' : 'communities'
  const uploadId = v[table]
  if (uploadId == null)
    throw new AppError('CC_NOT_FOUND', {
      what: `${year} 年度的${o.level === 'street' ? '街道' : '社区'}图层 / ${table} layer for ${year}`,
    })
  const srid = (run.derived?.srid as number) ?? 4548
  let units: {
    code: string
    name: string
    g: { type: string; coordinates: number[][][] | number[][][][] }
    lx: number
    ly: number
  }[] = (
    await knex.raw(
      `SELECT code, name, ST_AsGeoJSON(ST_Transform(geom, ?::int), 1)::json AS g,
         ST_X(ST_Transform(ST_PointOnSurface(geom), ?::int)) AS lx, ST_Y(ST_Transform(ST_PointOnSurface(geom), ?::int)) AS ly
       FROM ${table} WHERE upload_id = ? ORDER BY fid`,
      [srid, srid, srid, uploadId],
    )
  ).rows
  if (o.unit) {
    // One 街道 and its 社区 (or that unit alone).
    const inside = (
      await knex.raw(
        `SELECT c.code FROM ${table} c JOIN streets s ON s.upload_id = ? AND s.code = ? AND ST_Intersects(s.geom, ST_PointOnSurface(c.geom)) WHERE c.upload_id = ?`,
        [v.streets, o.unit, uploadId],
      )
    ).rows.map((r: { code: string }) => r.code)
    units = units.filter((u) => inside.includes(u.code) || u.code === o.unit)
    if (!units.length) throw new AppError('CC_NOT_FOUND', { what: `单元 ${o.unit} / unit ${o.unit}` })
  }
  const streets: { code: string; g: { type: string; coordinates: number[][][] | number[][][][] } }[] = (
    v.streets == null
      ? []
      : (
          await knex.raw(
            `SELECT code, ST_AsGeoJSON(ST_Transform(geom, ?::int), 1)::json AS g FROM streets WHERE upload_id = ?`,
            [srid, v.streets],
          )
        ).rows
  ).filter((s: { code: string }) => !o.unit || s.code === o.unit)
  // A figure of one 街道 says which in its title.
  const unitName = o.unit
    ? (((await knex(table).where({ upload_id: uploadId, code: o.unit }).first('name'))?.name as string | undefined) ??
      ((v.streets == null
        ? undefined
        : (await knex('streets').where({ upload_id: v.streets, code: o.unit }).first('name'))?.name) as
        | string
        | undefined))
    : undefined
  const variant = def.params.primary ?? 'area'
  const res = await knex('indicator_results')
    .where({ run_id: run.id, indicator: code, variant })
    .whereIn('level', [o.level, 'city'])
  const byCode = new Map(res.filter((r) => r.level === o.level).map((r) => [r.unit_code, r]))
  const cityRow = res.find((r) => r.level === 'city')
  const t = L[o.lang]

  // Layout: title band, map frame, legend column, source line.
  const W = o.width,
    H = o.height
  const pad = Math.round(W * 0.03),
    titleH = Math.round(H * 0.11),
    footH = Math.round(H * 0.07),
    legendW = Math.round(W * 0.2)
  const frame = { x: pad, y: titleH, w: W - 2 * pad - legendW, h: H - titleH - footH }
  const polys = (g: { type: string; coordinates: unknown }) =>
    g.type === 'Polygon' ? [g.coordinates as number[][][]] : (g.coordinates as number[][][][])
  let minX = Infinity,
    minY = Infinity,
    maxX = -Infinity,
    maxY = -Infinity
  for (const u of units)
    for (const p of polys(u.g))
      for (const [x, y] of p[0]) {
        minX = Math.min(minX, x)
        maxX = Math.max(maxX, x)
        minY = Math.min(minY, y)
        maxY = Math.max(maxY, y)
      }
  const scale = Math.min(frame.w / (maxX - minX || 1), frame.h / (maxY - minY || 1)) * 0.94
  const ox = frame.x + (frame.w - (maxX - minX) * scale) / 2,
    oy = frame.y + (frame.h - (maxY - minY) * scale) / 2
  const px = (x: number) => (ox + (x - minX) * scale).toFixed(1),
    py = (y: number) => (oy + (maxY - y) * scale).toFixed(1)
  const pathOf = (g: { type: string; coordinates: unknown }) =>
    polys(g)
      .map((p) => p.map((ring) => `M${ring.map(([x, y]) => `${px(x)},${py(y)}`).join('L')}Z`).join(''))
      .join('')

  const counts: Record<string, number> = { pass: 0, fail: 0, info: 0, 'no-data': 0 }
  const unitSvg = units
    .map((u) => {
      const s = byCode.get(u.code)?.status ?? 'no-data'
      counts[s]++
      return `<path d="${pathOf(u.g)}" fill="${STATUS_COLOUR[s]}" fill-opacity="0.8" stroke="#ffffff" stroke-width="0.8" fill-rule="evenodd"/>`
    })
    .join('')
  // Unit names where they fit inside the unit (at its point on surface).
  const labelSize = Math.max(10, Math.round(W / 120))
  const labelSvg = units
    .map((u) => {
      let x0 = Infinity,
        x1 = -Infinity,
        y0 = Infinity,
        y1 = -Infinity
      for (const p of polys(u.g))
        for (const [x, y] of p[0]) {
          x0 = Math.min(x0, x)
          x1 = Math.max(x1, x)
          y0 = Math.min(y0, y)
          y1 = Math.max(y1, y)
        }
      const wPx = (x1 - x0) * scale,
        hPx = (y1 - y0) * scale
      if (textWidth(u.name, labelSize) > wPx * 0.85 || hPx < labelSize * 1.6) return ''
      return textPath(u.name, Number(px(u.lx)), Number(py(u.ly)) + labelSize * 0.35, labelSize, {
        anchor: 'middle',
        fill: '#1f2933',
      })
    })
    .join('')
  const streetSvg =
    o.level === 'community'
      ? streets.map((s) => `<path d="${pathOf(s.g)}" fill="none" stroke="#1f2933" stroke-width="2"/>`).join('')
      : ''

  const fmt = (x: number | null | undefined) =>
    x == null ? '—' : `${Math.round(x * 10) / 10}${def.unit === '%' ? '%' : def.unit === 'ratio' ? '' : ' ' + def.unit}`
  const tg = def.target
    ? def.target.direction === 'between'
      ? `${def.target.min}–${def.target.max}`
      : `${def.target.direction === '>=' ? '≥' : '≤'} ${fmt(def.target.value)}`
    : '—'
  const where = unitName ? (o.lang === 'zh' ? `${unitName} ` : `${unitName} · `) : ''
  const title = `${year}${o.lang === 'zh' ? ' 年 ' : ' · '}${where}${o.lang === 'zh' ? def.zh : def.en}`
  const subtitle = `${t.target} ${tg}　${t.city} ${fmt(cityRow?.value)}　${t.failing} ${counts.fail} / ${units.length} ${t.units[o.level]}`

  // Legend, north arrow and scale bar in the right column.
  const lx = W - pad - legendW + pad,
    ly = titleH + pad
  const legend = (['pass', 'fail', 'info', 'no-data'] as const)
    .map(
      (s, i) =>
        `<rect x="${lx}" y="${ly + i * 34}" width="26" height="20" fill="${STATUS_COLOUR[s]}" fill-opacity="0.8" stroke="#555"/>${textPath(`${t[s]} (${counts[s]})`, lx + 36, ly + i * 34 + 16, 16)}`,
    )
    .join('')
  const ax = lx + 20,
    ay = ly + 190
  const north = `<path d="M${ax},${ay} l14,40 l-14,-10 l-14,10 z" fill="#1f2933"/>${textPath(t.north, ax, ay - 8, 18, { anchor: 'middle', bold: true })}`
  const barM = niceLength(((legendW - 2 * pad) / scale) * 0.9)
  const barPx = barM * scale
  const by = ay + 90
  const bar =
    `<rect x="${lx}" y="${by}" width="${(barPx / 2).toFixed(1)}" height="8" fill="#1f2933"/><rect x="${(lx + barPx / 2).toFixed(1)}" y="${by}" width="${(barPx / 2).toFixed(1)}" height="8" fill="#fff" stroke="#1f2933"/>` +
    textPath('0', lx, by + 28, 14, { anchor: 'middle' }) +
    textPath(barM >= 1000 ? `${barM / 1000} km` : `${barM} m`, lx + barPx, by + 28, 14, { anchor: 'middle' })
  const source = `${t.source}: citycheck · ${(o.lang === 'zh' ? def.source : (def.sourceEn ?? 'see the indicator registry')).split(/[；;]/)[0]} · ${t.run} ${new Date(run.created_at).toISOString().slice(0, 16).replace('T', ' ')} · ${t.crs} CGCS2000 / EPSG:${srid}`

  // The source line wraps onto a second line rather than being cut off.
  const sourceSize = Math.max(11, Math.round(footH * 0.24))
  const sourceLines = wrapText(source, W - 2 * pad, sourceSize, 2)
  const sourceSvg = sourceLines
    .map((l, i) =>
      textPath(l, pad, H - footH + sourceSize * 1.4 + i * sourceSize * 1.25, sourceSize, { fill: '#6b7785' }),
    )
    .join('')
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">
    <rect width="100%" height="100%" fill="#ffffff"/>
    ${textPath(title, pad, titleH * 0.5, Math.round(titleH * 0.34), { bold: true })}
    ${textPath(subtitle, pad, titleH * 0.86, Math.round(titleH * 0.2), { fill: '#4a5560' })}
    <rect x="${frame.x}" y="${frame.y}" width="${frame.w}" height="${frame.h}" fill="#f4f6f8" stroke="#9aa5b1"/>
    <clipPath id="frame"><rect x="${frame.x}" y="${frame.y}" width="${frame.w}" height="${frame.h}"/></clipPath>
    <g clip-path="url(#frame)">${unitSvg}${streetSvg}${labelSvg}</g>${legend}${north}${bar}
    ${sourceSvg}
  </svg>`
  return svg
}
