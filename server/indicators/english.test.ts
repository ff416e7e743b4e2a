// The English side of the indicator system is whole: every shipped indicator, computed or reported,
// has an English source, every life-circle and 完整社区 item an English name, and the English
// 整治建议 names the missing items in English (the stored result keeps their Chinese names).
import { describe, expect, it } from 'vitest'
import { defaultSystem } from '../figures/system.ts'
import { suggestionEnFor, suggestionFor } from '../problems/grade.ts'
import type { ResultRow } from './compute.ts'
import { INDICATORS } from './registry.ts'

const CJK = /[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]/

describe('English sources and item names', () => {
  it('every shipped indicator has an English source without Chinese characters', () => {
    const system = defaultSystem(INDICATORS)
    expect(system.length).toBeGreaterThan(70)
    const missing = system.filter((e) => !e.sourceEn || CJK.test(e.sourceEn)).map((e) => e.code)
    expect(missing).toEqual([])
    // Computed indicators carry theirs to the API (the map's legend, the figures' source line).
    expect(INDICATORS.every((d) => d.sourceEn && !CJK.test(d.sourceEn))).toBe(true)
  })

  it('every item of the life circles and the complete community has an English name', () => {
    const items = INDICATORS.flatMap((d) => d.params.items ?? [])
    expect(items.length).toBeGreaterThan(15)
    expect(items.filter((it) => !it.en || CJK.test(it.en))).toEqual([])
  })

  it('the English 整治建议 names the missing items in English, the Chinese one in Chinese', () => {
    const def = INDICATORS.find((d) => d.code === 'life_circle_15')!
    const row: ResultRow = {
      indicator: def.code,
      variant: 'euclidean' as ResultRow['variant'],
      level: 'community',
      unit_code: '990100001001',
      unit_name: '河畔8社区',
      value: 40,
      numerator: 400,
      denominator: 1000,
      target: 100,
      status: 'fail',
      extra: { gapResidents: 600, missing: ['中学', '养老院'] },
    }
    expect(suggestionEnFor(def, row)).toBe(
      '河畔8社区: 600 residents do not reach this life-circle tier; missing: middle school, elderly home.',
    )
    expect(suggestionFor(def, row)).toBe('河畔8社区有 600 名居民未达到本层级生活圈，缺项：中学、养老院。')
    const complete = INDICATORS.find((d) => d.code === 'complete_community')!
    const en = suggestionEnFor(complete, {
      ...row,
      indicator: complete.code,
      extra: { missing: ['托儿所', '公共绿地'] },
    })
    expect(en).toBe(
      '河畔8社区 lacks nursery, public green space: complete it to the Complete Residential Community standard.',
    )
  })
})
