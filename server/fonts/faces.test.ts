import fs from 'node:fs'
import path from 'node:path'
import { Blob, Face } from 'harfbuzzjs'
import { describe, expect, it } from 'vitest'
import { complementRange, facesCss, fontFaces, gb2312, unicodeRange } from './faces.ts'

const WEB = path.resolve(import.meta.dirname, '../../web')

/** The code points of a CSS unicode-range. */
function parse(range: string): number[] {
  const out: number[] = []
  for (const r of range.split(',')) {
    const [a, b = a] = r
      .slice(2)
      .split('-')
      .map((x) => Number.parseInt(x, 16))
    for (let c = a; c <= b; c++) out.push(c)
  }
  return out
}

describe('the fallback font faces', () => {
  it('GB 2312 is 6,763 hanzi and its symbols; ranges join runs', () => {
    const cps = gb2312()
    expect(cps.filter((c) => c >= 0x4e00 && c <= 0x9fff)).toHaveLength(6763)
    expect(cps).toContain('社'.codePointAt(0))
    expect(cps).not.toContain('犇'.codePointAt(0))
    expect(unicodeRange([0x45, 0x41, 0x42, 0x43, 0x42])).toBe('U+41-43,U+45')
    expect(complementRange([0x45, 0x41, 0x42, 0x43, 0])).toBe('U+1-40,U+44,U+46-10FFFF')
  })

  it('the subset has every character its unicode-range names and every page character; the ranges do not overlap', async () => {
    const f = await fontFaces(WEB)
    const inSubset = [...new Face(new Blob(f.subset)).collectUnicodes()].filter((c) => c > 0)
    const has = new Set(inSubset)
    // Every character the CSS sends to the subset has its glyph there (harfbuzz may keep a few more),
    // and the whole font's range is everything else: no character belongs to both faces.
    const [whole, sub] = f.css
      .split('unicode-range: ')
      .slice(1)
      .map((x) => x.split(';')[0])
    const named = parse(sub)
    for (const c of named) expect(has.has(c), `U+${c.toString(16)}`).toBe(true)
    expect(named.length).toBeGreaterThan(7000)
    expect(whole).toBe(complementRange(named))
    for (const c of fs.readFileSync(path.join(WEB, 'map.js'), 'utf8'))
      if (c >= '\u4e00' && c <= '\u9fff') expect(has.has(c.codePointAt(0)!), c).toBe(true)
    expect(has.has('犇'.codePointAt(0)!)).toBe(false)
  })

  it('falls back to the whole font alone when the subset cannot be cut', async () => {
    const css = await facesCss('/nonexistent-web-dir')
    expect(css.match(/@font-face/g)).toHaveLength(1)
    expect(css).toContain('SourceHanSansCN-Regular.otf')
    expect(css).toContain('unicode-range: U+0-10FFFF;')
  })
})
