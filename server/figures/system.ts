// The year's whole indicator system as data: every indicator a 城检办 reports, whether citycheck
// computes it (空间计算), counts it from field records (体检采集), or takes it from a department
// (部门填报) or a survey (问卷调查). The computed ones come from the registry
// (server/indicators/registry.ts) with the department and levels added here; the rest are listed
// below as far as ../shared/reference/indicators.md §1.3 names them, each saying what is unconfirmed.
// A city can replace a year's system with its own table (序号, 维度, 指标, 单位, 目标值, 类型, 责任单位,
// 数据来源): see table.ts.
import type { Dimension, IndicatorDef, Target } from '../indicators/registry.ts'
import { REPORTED_SOURCE_EN, SOURCE_EN } from '../indicators/sources-en.ts'

export const OBTAINED = ['空间计算', '体检采集', '部门填报', '问卷调查'] as const
export type Obtained = (typeof OBTAINED)[number]
export const OBTAINED_EN: Record<Obtained, string> = {
  空间计算: 'spatial computation',
  体检采集: 'field inspection',
  部门填报: 'department figure',
  问卷调查: 'survey',
}
export const TIERS = ['国家基础', '省级', '市特色'] as const
export type Tier = (typeof TIERS)[number]
export const TIER_EN: Record<Tier, string> = { 国家基础: 'national basic', 省级: 'provincial', 市特色: 'city-specific' }

/** Levels a reported figure can be given for (a 小区 figure is an inspection, not a report). */
export const FIGURE_LEVELS = ['city', 'district', 'street', 'community'] as const
export type FigureLevel = (typeof FIGURE_LEVELS)[number]
export type SystemLevel = FigureLevel | 'area'

export interface SystemEntry {
  seq: number
  code: string
  zh: string
  en: string
  dimension: Dimension
  group: string
  unit: string
  definition: string
  target?: Target
  type: '底线' | '导向'
  tier: Tier
  obtained: Obtained
  /** 责任单位 */
  department: string
  /** the levels the indicator is defined and graded at */
  levels: SystemLevel[]
  source: string
  /** the source in English (server/indicators/sources-en.ts) */
  sourceEn?: string
  /** what no source confirms (target, unit, whether it is national) */
  unconfirmed?: string
  /** reported figures: the allowed range, and whether the value is a whole count */
  range?: [number, number]
  integer?: boolean
}

const ALL_UNITS: SystemLevel[] = ['city', 'district', 'street', 'community']

/** 责任单位 of the computed indicators, by code (a city's table overrides them). */
const COMPUTED_DEPARTMENT: [RegExp, string][] = [
  [/kindergarten|primary|middle|school|seat/, '教育局'],
  [/nursery|health_station/, '卫生健康委'],
  [/elderly|community_service/, '民政局'],
  [/fitness|sports_ground/, '体育局'],
  [/culture/, '文化和旅游局'],
  [/market/, '商务局'],
  [/bus_stop|metro/, '交通运输局'],
  [/fire_station/, '消防救援支队'],
  [/green|park/, '园林绿化局'],
  [/waste/, '城市管理局'],
  [/life_circle|jobs_housing|commute/, '自然资源和规划局'],
]
const departmentOf = (code: string) => COMPUTED_DEPARTMENT.find(([re]) => re.test(code))?.[1] ?? '住房和城乡建设局'

/** Where a computed indicator is defined: 城区-wide ratios at city and district, coverage down to 社区. */
function levelsOf(d: IndicatorDef): SystemLevel[] {
  if (['park_per_capita', 'jobs_housing', 'commute_share', 'commute_distance'].includes(d.kind))
    return ['city', 'district']
  if (d.kind === 'area_facility' || d.kind === 'area_activity_site' || d.kind === 'school_seats')
    return [...ALL_UNITS, 'area']
  if (d.kind === 'inspection_count') return d.dimension === '住房' ? ALL_UNITS : [...ALL_UNITS, 'area']
  return ALL_UNITS
}

/** A registry indicator as a row of the system. */
export function computedEntry(d: IndicatorDef, seq: number): SystemEntry {
  return {
    seq,
    code: d.code,
    zh: d.zh,
    en: d.en,
    dimension: d.dimension,
    group: d.group,
    unit: d.unit,
    definition: d.formula,
    target: d.target,
    type: d.type,
    tier: d.code.startsWith('local_') ? '市特色' : '国家基础',
    obtained: d.kind === 'inspection_count' ? '体检采集' : '空间计算',
    department: departmentOf(d.code),
    levels: levelsOf(d),
    source: d.source,
    sourceEn: d.sourceEn,
  }
}

const R75 =
  '建科〔2023〕75号 2024 年城市体检基础指标（名称据各地 2024–25 年实施文本；../shared/reference/indicators.md §1.3）'
const NO_TARGET = '未找到国家目标值：请在年度指标体系表中填写 / no national target found: set one in the year’s table'

type Reported = Omit<SystemEntry, 'seq' | 'tier' | 'definition' | 'levels'> &
  Partial<Pick<SystemEntry, 'tier' | 'definition' | 'levels'>>

const pct = (
  target: number | undefined,
  direction: '>=' | '<=' = '>=',
): Pick<SystemEntry, 'unit' | 'target' | 'range'> => ({
  unit: '%',
  target: target === undefined ? undefined : { value: target, direction },
  range: [0, 100],
})
const count = (unit: string): Pick<SystemEntry, 'unit' | 'target' | 'range' | 'integer'> => ({
  unit,
  target: { value: 0, direction: '<=' },
  range: [0, 1e7],
  integer: true,
})

/** The indicators no layer computes: departments report them, or a survey gives them. */
export const REPORTED: Reported[] = [
  // ---- 小区(社区) ----
  {
    code: 'parking_space_gap',
    zh: '停车泊位缺口数',
    en: 'Parking space shortfall',
    dimension: '小区(社区)',
    group: '设施完善',
    ...count('个'),
    type: '导向',
    obtained: '部门填报',
    department: '住房和城乡建设局',
    levels: ['city', 'district', 'street'],
    source: R75,
  },
  {
    code: 'ev_charger_gap',
    zh: '新能源汽车充电桩缺口数',
    en: 'EV charger shortfall',
    dimension: '小区(社区)',
    group: '设施完善',
    ...count('个'),
    type: '导向',
    obtained: '部门填报',
    department: '发展和改革委员会',
    levels: ['city', 'district', 'street'],
    source: R75,
    unconfirmed: '责任单位各地不同（发改委或住建局）/ the responsible department differs between cities',
  },
  {
    code: 'substandard_walkway_km',
    zh: '不达标的步行道长度',
    en: 'Length of substandard footways',
    dimension: '小区(社区)',
    group: '环境宜居',
    unit: 'km',
    target: { value: 0, direction: '<=' },
    range: [0, 1e5],
    type: '导向',
    obtained: '部门填报',
    department: '住房和城乡建设局',
    levels: ['city', 'district', 'street'],
    source: `${R75}；需带宽度的道路数据才能由空间计算得出，本系统按部门填报`,
  },
  {
    code: 'green_community_rate',
    zh: '绿色社区达标率',
    en: 'Green-community compliance rate',
    dimension: '小区(社区)',
    group: '环境宜居',
    ...pct(undefined),
    type: '导向',
    obtained: '部门填报',
    department: '住房和城乡建设局',
    levels: ['city', 'district'],
    source: R75,
    unconfirmed: NO_TARGET,
  },
  // ---- 街区 ----
  {
    code: 'multi_sport_field_shortfall',
    zh: '未达标配建的多功能运动场地数量',
    en: 'Blocks short of a multi-sport field',
    dimension: '街区',
    group: '功能完善',
    ...count('个'),
    type: '导向',
    obtained: '部门填报',
    department: '体育局',
    levels: ['city', 'district', 'street'],
    source: `${R75}（场地覆盖另见“多功能运动场地服务半径覆盖率”，空间计算）`,
  },
  {
    code: 'culture_centre_shortfall',
    zh: '未达标配建的文化活动中心数量',
    en: 'Blocks short of a cultural activity centre',
    dimension: '街区',
    group: '功能完善',
    ...count('个'),
    type: '导向',
    obtained: '部门填报',
    department: '文化和旅游局',
    levels: ['city', 'district', 'street'],
    source: R75,
  },
  {
    code: 'disorderly_parking_roads',
    zh: '存在乱停乱放车辆问题的道路数量',
    en: 'Roads with disorderly parking',
    dimension: '街区',
    group: '整洁有序',
    ...count('条'),
    type: '导向',
    obtained: '部门填报',
    department: '公安局交通管理支队',
    levels: ['city', 'district', 'street'],
    source: R75,
  },
  {
    code: 'old_commercial_streets',
    zh: '需要更新改造的老旧商业街区数量',
    en: 'Old commercial streets needing renewal',
    dimension: '街区',
    group: '特色活力',
    ...count('个'),
    type: '导向',
    obtained: '部门填报',
    department: '商务局',
    levels: ['city', 'district'],
    source: R75,
  },
  {
    code: 'old_factory_areas',
    zh: '需要更新改造的老旧厂区数量',
    en: 'Old factory areas needing renewal',
    dimension: '街区',
    group: '特色活力',
    ...count('个'),
    type: '导向',
    obtained: '部门填报',
    department: '工业和信息化局',
    levels: ['city', 'district'],
    source: R75,
  },
  {
    code: 'old_blocks',
    zh: '需要更新改造的老旧街区数量',
    en: 'Old blocks needing renewal',
    dimension: '街区',
    group: '特色活力',
    ...count('个'),
    type: '导向',
    obtained: '部门填报',
    department: '住房和城乡建设局',
    levels: ['city', 'district'],
    source: R75,
  },
  // ---- 城区 ----
  {
    code: 'green_building_share',
    zh: '新建建筑中绿色建筑占比',
    en: 'Green buildings among new buildings',
    dimension: '城区',
    group: '生态宜居',
    ...pct(100),
    type: '导向',
    obtained: '部门填报',
    department: '住房和城乡建设局',
    source: '2021 年城市体检指标体系（目标 100%）；2024 年名称据各地实施文本',
  },
  {
    code: 'heritage_listing_rate',
    zh: '历史文化街区、历史建筑挂牌建档率',
    en: 'Historic districts and buildings listed and filed',
    dimension: '城区',
    group: '历史文化保护利用',
    ...pct(100),
    type: '底线',
    obtained: '部门填报',
    department: '住房和城乡建设局',
    source: R75,
    unconfirmed: '目标 100% 为本系统设定 / the 100 % target is ours',
  },
  {
    code: 'heritage_unauthorised_demolition',
    zh: '擅自拆除历史建筑数量',
    en: 'Historic buildings demolished without permission',
    dimension: '城区',
    group: '历史文化保护利用',
    ...count('个'),
    type: '底线',
    obtained: '部门填报',
    department: '自然资源和规划局',
    source: R75,
  },
  {
    code: 'construction_fatality_rate',
    zh: '房屋市政工程生产安全事故死亡率',
    en: 'Construction fatality rate',
    dimension: '城区',
    group: '安全韧性',
    unit: '人/亿元',
    range: [0, 100],
    type: '底线',
    obtained: '部门填报',
    department: '住房和城乡建设局',
    source: R75,
    unconfirmed: `单位与目标值未确认（按施工产值计）/ unit and target unconfirmed. ${NO_TARGET}`,
  },
  {
    code: 'severe_waterlogging_points',
    zh: '严重易涝积水点数量',
    en: 'Severe waterlogging points',
    dimension: '城区',
    group: '安全韧性',
    ...count('个'),
    type: '底线',
    obtained: '部门填报',
    department: '水务局',
    source: R75,
  },
  {
    code: 'emergency_water_supply_rate',
    zh: '应急供水保障率',
    en: 'Emergency water supply assurance rate',
    dimension: '城区',
    group: '安全韧性',
    ...pct(100),
    type: '底线',
    obtained: '部门填报',
    department: '水务局',
    source: R75,
    unconfirmed: '目标 100% 为本系统设定 / the 100 % target is ours',
  },
  {
    code: 'old_gas_network_renewal_rate',
    zh: '老旧燃气管网改造完成率',
    en: 'Old gas pipes renewed',
    dimension: '城区',
    group: '安全韧性',
    ...pct(100),
    type: '底线',
    obtained: '部门填报',
    department: '住房和城乡建设局',
    source: R75,
    unconfirmed: '目标 100% 为本系统设定 / the 100 % target is ours',
  },
  {
    code: 'construction_monitoring_coverage',
    zh: '建筑施工安全监测覆盖率',
    en: 'Construction safety monitoring coverage',
    dimension: '城区',
    group: '安全韧性',
    ...pct(100),
    type: '导向',
    obtained: '部门填报',
    department: '住房和城乡建设局',
    source: R75,
    unconfirmed: '目标 100% 为本系统设定 / the 100 % target is ours',
  },
  {
    code: 'highrise_fire_monitoring_coverage',
    zh: '高层建筑火灾监测预警覆盖率',
    en: 'High-rise fire monitoring coverage',
    dimension: '城区',
    group: '安全韧性',
    ...pct(100),
    type: '导向',
    obtained: '部门填报',
    department: '消防救援支队',
    source: R75,
    unconfirmed: '目标 100% 为本系统设定 / the 100 % target is ours',
  },
  {
    code: 'old_area_renewal_rate',
    zh: '老旧小区改造完成率',
    en: 'Old residential areas renewed',
    dimension: '城区',
    group: '生态宜居',
    ...pct(undefined),
    type: '导向',
    obtained: '部门填报',
    department: '住房和城乡建设局',
    source: R75,
    unconfirmed: NO_TARGET,
  },
  {
    code: 'idle_land_share',
    zh: '闲置及低效用地比例',
    en: 'Idle and inefficient land share',
    dimension: '城区',
    group: '产城融合职住平衡',
    ...pct(undefined, '<='),
    type: '导向',
    obtained: '部门填报',
    department: '自然资源和规划局',
    source: R75,
    unconfirmed: NO_TARGET,
  },
  {
    code: 'cim_coverage',
    zh: 'CIM三维数据覆盖率',
    en: 'CIM 3D data coverage',
    dimension: '城区',
    group: '智慧高效',
    ...pct(undefined),
    type: '导向',
    obtained: '部门填报',
    department: '住房和城乡建设局',
    source: R75,
    unconfirmed: NO_TARGET,
  },
  {
    code: 'sports_area_per_capita',
    zh: '人均体育场地面积',
    en: 'Sports ground area per resident',
    dimension: '城区',
    group: '生态宜居',
    unit: 'm²/人',
    target: { value: 2.6, direction: '>=' },
    range: [0, 1000],
    type: '导向',
    obtained: '部门填报',
    department: '体育局',
    levels: ['city', 'district'],
    source: '《全民健身计划（2021—2025年）》人均体育场地面积 2.6 平方米（回忆，未核对原文）',
    unconfirmed: '目标值未核对原文 / the target is recalled, not checked against the text',
  },
  {
    code: 'culture_area_per_capita',
    zh: '人均公共文化设施面积',
    en: 'Public cultural floor area per resident',
    dimension: '城区',
    group: '生态宜居',
    unit: 'm²/人',
    range: [0, 1000],
    type: '导向',
    obtained: '部门填报',
    department: '文化和旅游局',
    levels: ['city', 'district'],
    source: R75,
    unconfirmed: NO_TARGET,
  },
  {
    code: 'road_network_density',
    zh: '城市道路网密度',
    en: 'Road network density',
    dimension: '城区',
    group: '智慧高效',
    unit: 'km/km²',
    target: { value: 8, direction: '>=' },
    range: [0, 100],
    type: '导向',
    obtained: '部门填报',
    department: '自然资源和规划局',
    levels: ['city', 'district'],
    source:
      '中发〔2016〕6号：道路网密度 8 公里/平方公里；可由道路中心线计算，本系统暂按部门填报（道路图层未区分城市道路等级）',
  },
  // ---- survey ----
  {
    code: 'resident_satisfaction',
    zh: '居民对城市人居环境的满意度',
    en: 'Resident satisfaction with the living environment',
    dimension: '城区',
    group: '生态宜居',
    ...pct(undefined),
    type: '导向',
    obtained: '问卷调查',
    department: '城市体检工作办公室',
    levels: ['city', 'district', 'street'],
    source: '社会满意度调查（2021–22 年体检方法之一）；按单元填报汇总得分（百分制）与样本量',
    unconfirmed: NO_TARGET,
  },
]

/** The shipped system of a year: the registry's indicators (with any local ones), then the reported ones. */
export function defaultSystem(defs: IndicatorDef[]): SystemEntry[] {
  const out = defs.map((d, i) => computedEntry(d, i + 1))
  for (const r of REPORTED)
    out.push({
      tier: '国家基础',
      definition: r.zh,
      levels: ['city'],
      ...r,
      sourceEn: SOURCE_EN[r.code] ?? (r.source === R75 ? REPORTED_SOURCE_EN : undefined),
      seq: out.length + 1,
    })
  return out
}

export const isReported = (e: SystemEntry) => e.obtained === '部门填报' || e.obtained === '问卷调查'
