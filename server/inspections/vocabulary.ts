// What an inspector can find, as data: for each 住房 and 小区 inspection indicator its items, each with
// a stable code, 中文/English name and severity. The items follow the sub-problems that the
// 《城市体检工作手册》-based taxonomies list (../shared/reference/indicators.md §1.3, [R10][R45]); the
// exact national wording of the items is not published, so the list is ours and a year can add its
// own local items (indicator_config.inspectionItems), which are validated like local indicators.

import type { Severity } from '../problems/grade.ts'

export type InspectionTarget = 'building' | 'area'

export interface InspectionItem {
  /** `<indicator>.<item>`, e.g. `housing_gas_hazard.riser_corroded` */
  code: string
  indicator: string
  zh: string
  en: string
  severity: Severity
  local?: boolean
}

type Raw = [item: string, zh: string, en: string, severity: Severity]

const RAW: Record<string, Raw[]> = {
  housing_structural_hazard: [
    ['wall_crack', '承重墙体开裂', 'Cracks in load-bearing walls', '严重'],
    ['load_bearing_removed', '擅自拆改承重结构', 'Load-bearing structure altered without approval', '严重'],
    ['settlement', '地基不均匀沉降、房屋倾斜', 'Uneven settlement or tilt', '严重'],
    ['rebar_exposed', '梁板柱钢筋外露锈蚀', 'Exposed, corroded reinforcement', '较重'],
  ],
  housing_gas_hazard: [
    ['riser_corroded', '燃气立管锈蚀（使用20年以上）', 'Corroded gas riser (in service 20+ years)', '严重'],
    ['hose_aged', '燃气软管老化或超长', 'Aged or over-long gas hose', '较重'],
    ['no_alarm', '未安装燃气泄漏报警装置', 'No gas leak alarm', '一般'],
    ['pipe_in_bedroom', '燃气管道穿越卧室', 'Gas pipe runs through a bedroom', '严重'],
  ],
  housing_corridor_hazard: [
    ['clutter', '楼道堆放杂物、占用疏散通道', 'Clutter blocking the stairway', '较重'],
    ['fire_equipment', '消防设施缺失或损坏', 'Fire equipment missing or broken', '严重'],
    ['no_emergency_light', '应急照明、疏散指示缺失', 'No emergency lighting or exit signs', '一般'],
    ['ebike_charging', '电动自行车楼道停放充电', 'E-bikes parked and charged in the stairway', '严重'],
  ],
  housing_envelope_hazard: [
    ['facade_falling', '外墙饰面、保温层脱落', 'Facade or insulation falling off', '严重'],
    ['roof_leak', '屋面渗漏', 'Leaking roof', '一般'],
    ['balcony_rail', '阳台栏杆松动锈蚀', 'Loose or corroded balcony railing', '较重'],
    ['ac_bracket', '空调外机支架锈蚀', 'Corroded air-conditioner brackets', '较重'],
  ],
  housing_non_self_contained: [
    ['no_kitchen', '无独立厨房', 'No kitchen of its own', '一般'],
    ['no_toilet', '无独立卫生间', 'No toilet of its own', '较重'],
  ],
  housing_pipe_damage: [
    ['water_pipe', '给排水管道破损渗漏', 'Broken or leaking water or drain pipes', '较重'],
    ['heating_pipe', '供暖管道破损', 'Broken heating pipes', '较重'],
    ['wiring', '电气线路老化裸露', 'Aged or exposed wiring', '严重'],
  ],
  housing_water_quality: [
    ['water_quality', '入户水质浑浊、有异味', 'Tap water cloudy or smelling', '较重'],
    ['water_pressure', '入户水压不足', 'Insufficient water pressure', '一般'],
  ],
  housing_ageing_retrofit: [
    ['no_lift', '四层及以上无电梯', 'Four or more storeys without a lift', '一般'],
    ['no_ramp', '单元出入口无无障碍坡道', 'No ramp at the entrance', '一般'],
    ['no_handrail', '楼梯无连续扶手', 'No continuous stair handrail', '一般'],
  ],
  housing_energy_retrofit: [
    ['no_insulation', '外墙无保温', 'No wall insulation', '一般'],
    ['single_glazing', '单层玻璃外窗', 'Single-glazed windows', '一般'],
  ],
  housing_digital_retrofit: [
    ['no_smart_meter', '无智能水电气表', 'No smart utility meters', '一般'],
    ['no_smart_security', '无智能安防（门禁、监控）', 'No smart security (access control, CCTV)', '一般'],
  ],
  area_no_waste_sorting: [
    ['no_sorting_point', '无分类投放点', 'No sorted-waste drop-off point', '较重'],
    ['mixed_collection', '混装混运', 'Sorted waste collected mixed', '较重'],
  ],
  area_no_property_management: [['no_property_service', '无物业服务或管理', 'No property management', '较重']],
  area_no_ebike_charging: [['no_ebike_charger', '未配建电动自行车集中充电设施', 'No e-bike charging facility', '严重']],
  area_smart_retrofit: [
    ['no_access_control', '无智能门禁', 'No smart access control', '一般'],
    ['no_smart_parking', '无智慧停车管理', 'No smart parking management', '一般'],
  ],
}

export const NATIONAL_ITEMS: InspectionItem[] = Object.entries(RAW).flatMap(([indicator, items]) =>
  items.map(([item, zh, en, severity]) => ({ code: `${indicator}.${item}`, indicator, zh, en, severity })),
)

/** The indicator an item belongs to decides whether it is found on a building or a 小区. */
export const targetOf = (indicator: string): InspectionTarget => (indicator.startsWith('area_') ? 'area' : 'building')

const ITEM_RE = /^[a-z][a-z0-9_]{1,63}\.[a-z][a-z0-9_]{1,63}$/
const SEVERITIES: Severity[] = ['严重', '较重', '一般']

/** The year's vocabulary: national items, then the year's local ones (validated on the way in). */
export function vocabularyFor(local: InspectionItem[] | undefined): InspectionItem[] {
  return [...NATIONAL_ITEMS, ...(local ?? []).map((l) => ({ ...l, local: true }))]
}

/** Why a local item is refused, or null. `indicators` are the codes of the year's count indicators. */
export function localItemProblem(l: Partial<InspectionItem>, indicators: Set<string>): string | null {
  if (!l || typeof l.code !== 'string' || !ITEM_RE.test(l.code))
    return '代码应为 “指标代码.条目代码”（小写字母、数字、下划线）/ code must be "<indicator>.<item>" in lowercase letters, digits and underscores'
  const indicator = l.code.split('.')[0]
  if (!indicators.has(indicator) || (l.indicator !== undefined && l.indicator !== indicator))
    return `${indicator} 不是检查类指标 / ${indicator} is not an inspection indicator`
  if (typeof l.zh !== 'string' || !l.zh.trim() || l.zh.length > 100) return '需要 zh 名称（≤100 字）/ zh name needed'
  if (l.en !== undefined && (typeof l.en !== 'string' || l.en.length > 200)) return 'en 名称过长 / en too long'
  if (!SEVERITIES.includes(l.severity as Severity))
    return `severity 应为 ${SEVERITIES.join('、')} / severity must be one of ${SEVERITIES.join(', ')}`
  if (NATIONAL_ITEMS.some((n) => n.code === l.code)) return '与国家条目重复 / duplicates a national item'
  return null
}

/**
 * Resolves what a table cell or a form names as a finding: an item code, its short code within an
 * indicator (`riser_corroded`), or its Chinese or English name. Null when nothing matches.
 */
export function itemResolver(items: InspectionItem[]): (text: string, indicator?: string) => InspectionItem | null {
  const norm = (s: string) => s.normalize('NFKC').replace(/\s+/g, '').toLowerCase()
  const by = new Map<string, InspectionItem[]>()
  const add = (k: string, it: InspectionItem) => by.set(norm(k), [...(by.get(norm(k)) ?? []), it])
  for (const it of items) {
    add(it.code, it)
    add(it.code.split('.')[1], it)
    add(it.zh, it)
    add(it.en, it)
  }
  return (text, indicator) => {
    const hits = by.get(norm(text)) ?? []
    const scoped = indicator ? hits.filter((h) => h.indicator === indicator) : hits
    return scoped.length === 1 ? scoped[0] : null
  }
}
