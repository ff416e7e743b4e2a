// The bundled 思源黑体 (Source Han Sans CN Regular, 8.8 MB) as the pages' fallback font, in two faces of
// one family: the common characters — GB 2312's 6,763 hanzi and its symbols, ASCII, Latin-1, CJK
// punctuation, fullwidth forms and every character the pages' own words use — as a 2 MB subset cut by
// harfbuzz (subset-font), and the whole font for anything else. CSS `unicode-range` picks the face per
// character, so a browser without a Chinese font of its own fetches the subset for the pages' text and
// the whole font only when a rarer character (a name outside GB 2312) is on the page. Browsers with a
// Chinese font (PingFang, 微软雅黑, Noto CJK: listed first in every page's font stack) fetch neither.
// Measured on the 问题地图 of a million buildings without a Chinese font: see the README's viewer row.
import crypto from 'node:crypto'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { Blob, Face } from 'harfbuzzjs'
import subsetFont from 'subset-font'

export const FAMILY = 'Source Han Sans CN'
const FULL = 'SourceHanSansCN-Regular.otf'
export const fontDir = path.dirname(createRequire(import.meta.url).resolve('source-han-sans-cn/package.json'))

/** GB 2312's characters (rows 0xA1–0xA9 symbols, 0xB0–0xF7 hanzi), decoded through the GBK table. */
export function gb2312(): number[] {
  const bytes: number[] = []
  for (let hi = 0xa1; hi <= 0xf7; hi++) {
    if (hi >= 0xaa && hi <= 0xaf) continue // unassigned rows
    for (let lo = 0xa1; lo <= 0xfe; lo++) bytes.push(hi, lo)
  }
  const out = new Set<number>()
  for (const c of new TextDecoder('gbk').decode(Uint8Array.from(bytes))) {
    const cp = c.codePointAt(0)!
    // GBK maps GB 2312's empty cells to the private use area or U+FFFD: not characters to cut.
    if (cp !== 0xfffd && !(cp >= 0xe000 && cp <= 0xf8ff)) out.add(cp)
  }
  return [...out]
}

const BLOCKS: [number, number][] = [
  [0x20, 0x7e], // ASCII
  [0xa0, 0xff], // Latin-1
  [0x2000, 0x206f], // general punctuation
  [0x3000, 0x303f], // CJK symbols and punctuation
  [0xff00, 0xffef], // fullwidth forms
]

/** Every non-ASCII character of the pages' own files (their Chinese words, arrows, symbols). */
export function pageCharacters(webDir: string): number[] {
  const out = new Set<number>()
  for (const f of fs.readdirSync(webDir))
    if (/\.(js|html)$/.test(f))
      for (const c of fs.readFileSync(path.join(webDir, f), 'utf8')) {
        const cp = c.codePointAt(0)!
        if (cp > 0x7f) out.add(cp)
      }
  return [...out]
}

/** A CSS unicode-range for code points: sorted, runs joined (U+4E00-4E01,U+4E03,…). */
export function unicodeRange(cps: Iterable<number>): string {
  const xs = [...new Set(cps)].sort((a, b) => a - b)
  const parts: string[] = []
  for (let i = 0; i < xs.length; ) {
    let j = i
    while (j + 1 < xs.length && xs[j + 1] === xs[j] + 1) j++
    parts.push(span(xs[i], xs[j]))
    i = j + 1
  }
  return parts.join(',')
}

const hex = (n: number) => n.toString(16).toUpperCase()
const span = (a: number, b: number) => (b > a ? `U+${hex(a)}-${hex(b)}` : `U+${hex(a)}`)

/** A CSS unicode-range for every code point (0–U+10FFFF) not in `cps`: the gaps between their runs. */
export function complementRange(cps: Iterable<number>): string {
  const xs = [...new Set(cps)].sort((a, b) => a - b)
  const parts: string[] = []
  let next = 0
  for (const x of xs) {
    if (x > next) parts.push(span(next, x - 1))
    next = x + 1
  }
  if (next <= 0x10ffff) parts.push(span(next, 0x10ffff))
  return parts.join(',')
}

export interface Faces {
  css: string
  subset: Buffer
  subsetName: string
}

/** Per pages' folder (one in the product; tests may name another). */
const faces = new Map<string, Promise<Faces>>()

/**
 * The two faces, cut once per process (~0.3 s): the subset holds exactly the wanted characters the font
 * has, and the CSS names exactly those, so no character is sent to a face without its glyph.
 */
const rule = (src: string, range: string) =>
  `@font-face {\n  font-family: "${FAMILY}";\n  src: url("/fonts/${src}") format("opentype");\n  font-display: swap;\n  unicode-range: ${range};\n}\n`

/** The faces' CSS; should the subset not be cut, the whole font alone (the pages still get their font). */
export async function facesCss(webDir: string): Promise<string> {
  try {
    return (await fontFaces(webDir)).css
  } catch {
    return rule(FULL, 'U+0-10FFFF')
  }
}

export function fontFaces(webDir: string): Promise<Faces> {
  const hit = faces.get(webDir)
  if (hit) return hit
  const p = (async () => {
    const full = fs.readFileSync(path.join(fontDir, FULL))
    const has = new Set(new Face(new Blob(full)).collectUnicodes())
    const wanted = new Set(gb2312().concat(pageCharacters(webDir)))
    for (const [a, b] of BLOCKS) for (let c = a; c <= b; c++) wanted.add(c)
    const common = [...wanted].filter((c) => has.has(c))
    const subset = await subsetFont(full, String.fromCodePoint(...common), { targetFormat: 'sfnt' })
    const subsetName = `common-${crypto.createHash('sha1').update(subset).digest('hex').slice(0, 12)}.otf`
    // The two ranges do not overlap: a browser asked for a character loads the one face that has it
    // (with overlapping ranges document.fonts.load, for one, fetches both).
    const css = `/* 思源黑体: the common characters from a subset, anything else from the whole font */\n${rule(
      FULL,
      complementRange(common),
    )}${rule(`subset/${subsetName}`, unicodeRange(common))}`
    return { css, subset, subsetName }
  })()
  faces.set(webDir, p)
  p.catch(() => faces.delete(webDir))
  return p
}
