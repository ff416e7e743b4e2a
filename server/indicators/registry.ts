// The indicator system as data. Each entry says what is measured, how (formula, numerator,
// denominator, radius, distance model), against what (target, direction, 底线/导向) and on whose
// authority (source). Facts and their confidence come from ../shared/reference/indicators.md;
// where a radius or threshold is only recalled or is our own choice, the source says so.
// A year can override targets and parameters and add local 特色 indicators (indicator_config).
import { sourceEnFor } from './sources-en.ts'

export type Dimension = '住房' | '小区(社区)' | '街区' | '城区'
export type Kind =
  | 'coverage'
  | 'life_circle'
  | 'complete_community'
  | 'park_per_capita'
  | 'jobs_housing'
  | 'jobs_housing_radius'
  | 'commute_share'
  | 'commute_distance'
  | 'stock_share'
  | 'tall_new_residential'
  | 'inspection_count'
  | 'area_facility'
  | 'area_activity_site'
  | 'school_seats'
export type BaseVariant = 'area' | 'residents' | 'areas' | 'value'
/** A variant under the walking-network distance model carries the suffix `@network`. */
export type Variant = BaseVariant | `${BaseVariant}@network`
export type Direction = '>=' | '<=' | 'between'

export interface Target {
  value?: number
  min?: number
  max?: number
  direction: Direction
}

export interface IndicatorDef {
  code: string
  zh: string
  en: string
  dimension: Dimension
  group: string
  unit: string // '%', 'm²/人', 'ratio', 'km', '栋'
  kind: Kind
  /** 底线 (bottom line) misses rank above 导向 (guidance) misses. */
  type: '底线' | '导向'
  formula: string
  numerator: string
  denominator: string
  params: {
    facilityTypes?: string[]
    radius?: number
    /** green spaces: minimum area (m²) and which kinds count; park bands: [{minArea, radius}] */
    minArea?: number
    greenKinds?: 'park' | 'any'
    bands?: { minArea: number; maxArea?: number; radius: number }[]
    /** life circle tiers and 完整社区 items: [{types, radius}] */
    items?: { key: string; zh: string; en: string; types: string[]; radius: number; minArea?: number }[]
    /** the variant reported as the indicator's value; coverage also reports the other variants */
    primary?: Variant
    band?: [number, number]
    builtBefore?: number
    sinceYear?: number
    minHeight?: number
    workerShare?: number
    /** inspection counts: buildings (栋) or dwellings (套) */
    countUnit?: 'buildings' | 'dwellings'
    /** 小区 facility standard: seats (学位/床位/托位) per 1,000 residents within the radius */
    seatsPer1000?: number
    /** school seats: the share of residents of that school age, and where the share comes from */
    ageShare?: number
  }
  distanceModel: string
  target?: Target
  source: string
  /** the source in English (server/indicators/sources-en.ts; a local indicator may give its own) */
  sourceEn?: string
  /** 整治建议 template; {unit}, {name}, {gapResidents}, {gapBuildings}, {radius}, {facility}, {value}, {target}, {missing} */
  suggestion: string
}

export const DISTANCE_MODEL =
  '直线距离（米），在城市所在的 CGCS2000 3° 高斯-克吕格投影带内计算；建筑取 ST_PointOnSurface，设施取最近边界（面状设施在边界处即可达）/ straight-line metres in the local CGCS2000 3° Gauss-Kruger zone, from a point inside each building footprint to the nearest part of the facility'

const COVERAGE_FORMULA =
  '被覆盖居住建筑基底面积 ÷ 居住建筑基底面积 × 100%（亦报告按常住人口、按小区个数的口径）/ covered residential footprint area ÷ residential footprint area (also by residents and by 小区 count)'

const coverage = (
  code: string,
  zh: string,
  en: string,
  dimension: Dimension,
  group: string,
  facilityTypes: string[],
  radius: number,
  facilityZh: string,
  type: '底线' | '导向',
  source: string,
  target = 100,
): IndicatorDef => ({
  code,
  zh,
  en,
  dimension,
  group,
  unit: '%',
  kind: 'coverage',
  type,
  formula: COVERAGE_FORMULA,
  numerator: `距最近${facilityZh} ≤ ${radius} 米的居住建筑基底面积 / residential footprint within ${radius} m of a ${en.replace(/ coverage.*/, '')}`,
  denominator:
    '单元内全部居住建筑基底面积（居住用地的代理）/ all residential building footprint in the unit (proxy for residential land)',
  params: { facilityTypes, radius, primary: 'area' },
  distanceModel: DISTANCE_MODEL,
  target: { value: target, direction: '>=' },
  source,
  suggestion: `{unit}有 {gapResidents} 名居民（{gapBuildings} 栋住宅）距${facilityZh}超过 {radius} 米：建议利用存量用房、闲置用地或结合城市更新补建${facilityZh}，优先布局在未覆盖住宅集中处。`,
})

const GB50180 = 'GB 50180-2018《城市居住区规划设计标准》'

export const INDICATORS: IndicatorDef[] = [
  // ---- 小区(社区): 5-minute-tier facilities ----
  coverage(
    'kindergarten_coverage',
    '幼儿园服务半径覆盖率',
    'Kindergarten coverage (300 m)',
    '小区(社区)',
    '设施完善',
    ['kindergarten'],
    300,
    '幼儿园',
    '底线',
    `${GB50180} 及 GB 50180-93：托儿所/幼儿园服务半径 ≤300 米；对应 75号文“未达标配建幼儿园的小区数量”。底线/导向分类为本系统设定 / radius confirmed from the older code; 底线 typing is ours`,
  ),
  coverage(
    'nursery_coverage',
    '托育服务半径覆盖率',
    'Nursery (0–3) coverage (300 m)',
    '小区(社区)',
    '设施完善',
    ['nursery'],
    300,
    '托育设施',
    '导向',
    `${GB50180} 五分钟生活圈：托儿所 ≤300 米（附录B，据回忆，未核实）/ 5-minute tier, recalled, unverified`,
  ),
  coverage(
    'elderly_station_coverage',
    '老年服务站服务半径覆盖率',
    'Elderly service station coverage (300 m)',
    '小区(社区)',
    '设施完善',
    ['elderly_day_care'],
    300,
    '老年服务站（日间照料中心）',
    '导向',
    `${GB50180} 五分钟生活圈：老年人日间照料中心 ≤300 米（附录B，未核实）；《完整居住社区建设标准（试行）》要求 1 个老年服务站`,
  ),
  coverage(
    'community_service_coverage',
    '社区综合服务站服务半径覆盖率',
    'Community service station coverage (300 m)',
    '小区(社区)',
    '设施完善',
    ['community_service_station', 'community_service_centre'],
    300,
    '社区综合服务站',
    '导向',
    `${GB50180} 五分钟生活圈：社区服务站 ≤300 米（未核实）；建科规〔2020〕7号 完整居住社区要求 1 个综合服务站`,
  ),
  coverage(
    'health_station_coverage',
    '社区卫生服务站服务半径覆盖率',
    'Community health station coverage (300 m)',
    '小区(社区)',
    '设施完善',
    ['community_health_station', 'community_health_centre'],
    300,
    '社区卫生服务站',
    '导向',
    `${GB50180} 五分钟生活圈：社区卫生服务站（附录B，据回忆，未核实）；完整居住社区要求 1 个社区卫生服务站`,
  ),
  coverage(
    'fitness_coverage',
    '室外综合健身场地服务半径覆盖率',
    'Outdoor fitness ground coverage (300 m)',
    '小区(社区)',
    '环境宜居',
    ['fitness_ground', 'sports_ground'],
    300,
    '健身场地',
    '导向',
    `${GB50180} 五分钟生活圈：小型多功能运动场地、室外综合健身场地 ≤300 米（未核实）`,
  ),
  coverage(
    'culture_station_coverage',
    '文化活动站服务半径覆盖率',
    'Culture station coverage (300 m)',
    '小区(社区)',
    '设施完善',
    ['culture_station', 'culture_centre'],
    300,
    '文化活动站',
    '导向',
    `${GB50180} 五分钟生活圈：文化活动站（未核实）`,
  ),
  // ---- 街区: 10- and 15-minute tiers ----
  coverage(
    'primary_school_coverage',
    '小学服务半径覆盖率',
    'Primary school coverage (500 m)',
    '街区',
    '功能完善',
    ['primary_school'],
    500,
    '小学',
    '底线',
    `${GB50180} 十分钟生活圈：小学 ≤500 米（GB 50180-93 同）。底线分类为本系统设定`,
  ),
  coverage(
    'middle_school_coverage',
    '中学服务半径覆盖率',
    'Middle school coverage (1000 m)',
    '街区',
    '功能完善',
    ['middle_school'],
    1000,
    '中学',
    '导向',
    `建科〔2023〕75号 街区指标“中学服务半径覆盖率”；${GB50180} 十五分钟生活圈：初中 ≤1000 米。分母为面积（某市2025年报告 15.80÷28.16 km²）`,
  ),
  coverage(
    'market_coverage',
    '菜市场（生鲜超市）服务半径覆盖率',
    'Food market / fresh supermarket coverage (500 m)',
    '街区',
    '功能完善',
    ['food_market', 'supermarket'],
    500,
    '菜市场或生鲜超市',
    '导向',
    `${GB50180} 十分钟生活圈：菜市场或生鲜超市 ≤500 米（未核实）`,
  ),
  coverage(
    'sports_ground_coverage',
    '多功能运动场地服务半径覆盖率',
    'Multi-purpose sports ground coverage (500 m)',
    '街区',
    '功能完善',
    ['sports_ground'],
    500,
    '多功能运动场地',
    '导向',
    `${GB50180} 十分钟生活圈：中型多功能运动场地 ≤500 米（未核实）；75号 街区指标“未达标配建的多功能运动场地数量”`,
  ),
  coverage(
    'bus_stop_coverage',
    '公交站点500米覆盖率',
    'Bus stop coverage (500 m)',
    '街区',
    '功能完善',
    ['bus_stop', 'transit'],
    500,
    '公交站点',
    '导向',
    '常用规划口径：公交站点 500 米服务半径（来源未核实 / common practice, unverified）',
    90,
  ),
  coverage(
    'metro_coverage',
    '轨道站点800米覆盖率',
    'Metro station coverage (800 m)',
    '城区',
    '智慧高效',
    ['metro_station'],
    800,
    '轨道站点',
    '导向',
    '中规院《中国主要城市通勤监测报告》“轨道800米覆盖”口径（按居住建筑而非通勤计）/ CAUPD commuting report 800 m rail coverage',
    50,
  ),
  coverage(
    'fire_station_coverage',
    '城市消防站服务半径覆盖率',
    'Fire station coverage (1500 m)',
    '城区',
    '安全韧性',
    ['fire_station'],
    1500,
    '消防站',
    '底线',
    '城区指标“城市消防站服务半径覆盖率”；半径 1500 米 ≈ 建标152-2017 普通消防站辖区 7 km² 的等面积圆（√(7/π)≈1.49 km），换算为本系统设定，可按年度调整',
  ),

  // ---- Green-space reach ----
  {
    code: 'green_300m',
    zh: '300米见绿覆盖率',
    en: 'Green space within 300 m ("300米见绿")',
    dimension: '小区(社区)',
    group: '环境宜居',
    unit: '%',
    kind: 'coverage',
    type: '导向',
    formula: COVERAGE_FORMULA,
    numerator:
      '300 米内有 ≥400 m² 绿地的居住建筑基底面积 / residential footprint within 300 m of a green space ≥ 400 m²',
    denominator: '居住建筑基底面积 / residential footprint area',
    params: { greenKinds: 'any', minArea: 400, radius: 300, primary: 'area' },
    distanceModel: DISTANCE_MODEL,
    target: { value: 100, direction: '>=' },
    source:
      '“300米见绿、500米见园” 通行规则（中规院 公园分布均好度）；≥400 m² 的规模门槛为参考资料中的建议值（未核实）',
    suggestion:
      '{unit}有 {gapResidents} 名居民 300 米内没有 400 m² 以上绿地：建议见缝插绿，利用边角地、拆违空地建设口袋公园。',
  },
  {
    code: 'park_500m',
    zh: '500米见园覆盖率',
    en: 'Park within 500 m ("500米见园")',
    dimension: '街区',
    group: '环境宜居',
    unit: '%',
    kind: 'coverage',
    type: '导向',
    formula: COVERAGE_FORMULA,
    numerator: '500 米内有 ≥1 公顷公园绿地的居住建筑基底面积 / residential footprint within 500 m of a park ≥ 1 ha',
    denominator: '居住建筑基底面积 / residential footprint area',
    params: { greenKinds: 'park', minArea: 10000, radius: 500, primary: 'area' },
    distanceModel: DISTANCE_MODEL,
    target: { value: 100, direction: '>=' },
    source:
      '“300米见绿、500米见园”；≥1 公顷为参考资料中的建议值（未核实）；GB 50180-2018 十分钟生活圈公园最小规模 1.0 hm²',
    suggestion: '{unit}有 {gapResidents} 名居民 500 米内没有 1 公顷以上公园：建议结合城市更新腾退用地建设社区公园。',
  },
  {
    code: 'park_service_coverage',
    zh: '公园绿地服务半径覆盖率',
    en: 'Park service-radius coverage',
    dimension: '街区',
    group: '环境宜居',
    unit: '%',
    kind: 'coverage',
    type: '导向',
    formula: COVERAGE_FORMULA,
    numerator:
      '≥5000 m² 公园 500 米内、2000–5000 m² 公园 300 米内的居住建筑基底面积 / residential footprint within 500 m of parks ≥ 5000 m² or 300 m of parks 2000–5000 m²',
    denominator: '居住建筑基底面积（居住用地面积的代理）/ residential footprint area (proxy for residential land)',
    params: {
      greenKinds: 'park',
      bands: [
        { minArea: 5000, radius: 500 },
        { minArea: 2000, maxArea: 5000, radius: 300 },
      ],
      primary: 'area',
    },
    distanceModel: DISTANCE_MODEL,
    target: { value: 80, direction: '>=' },
    source:
      '2021–2022 城市体检“公园绿地服务半径覆盖率”定义（≥5000 m² 用 500 米，2000–5000 m² 用 300 米）；目标 80% 见 GB 55014-2021（编号未核实）',
    suggestion: '{unit}公园绿地服务半径覆盖率 {value}%（目标 {target}%）：建议增加 2000 m² 以上的社区公园或游园。',
  },
  {
    code: 'park_per_capita',
    zh: '人均公园绿地面积',
    en: 'Park green space per resident',
    dimension: '城区',
    group: '生态宜居',
    unit: 'm²/人',
    kind: 'park_per_capita',
    type: '导向',
    formula: '单元内公园绿地面积 ÷ 常住人口 / park area inside the unit ÷ residents',
    numerator: '公园绿地（综合公园、社区公园、游园、口袋公园等）落在单元内的面积 / park area inside the unit',
    denominator:
      '常住人口：单元填报人口，未填报时为建筑居住人口之和 / unit population as uploaded, else the sum of building residents',
    params: { greenKinds: 'park', primary: 'value' },
    distanceModel: '面积按单元边界切分 / areas clipped to unit boundaries',
    target: { value: 8, direction: '>=' },
    source: '人均公园绿地面积 >8.0 m²/人（GB 55014-2021，编号未核实）；统计口径：公园绿地面积 ÷ 城区人口',
    suggestion: '{unit}人均公园绿地 {value} m²（目标 {target} m²）：建议结合城市更新增加公园绿地。',
  },

  // ---- Life circles and complete communities ----
  ...(
    [
      [
        'life_circle_5',
        '五分钟生活圈达标率',
        '5-minute life circle attainment',
        300,
        [
          { key: 'kindergarten', zh: '幼儿园', en: 'kindergarten', types: ['kindergarten'], radius: 300 },
          {
            key: 'service',
            zh: '社区服务站',
            en: 'community service station',
            types: ['community_service_station', 'community_service_centre'],
            radius: 300,
          },
          { key: 'elderly', zh: '老年服务站', en: 'elderly service station', types: ['elderly_day_care'], radius: 300 },
          {
            key: 'fitness',
            zh: '健身场地',
            en: 'fitness ground',
            types: ['fitness_ground', 'sports_ground'],
            radius: 300,
          },
          {
            key: 'culture',
            zh: '文化活动站',
            en: 'culture station',
            types: ['culture_station', 'culture_centre'],
            radius: 300,
          },
        ],
      ],
      [
        'life_circle_10',
        '十分钟生活圈达标率',
        '10-minute life circle attainment',
        500,
        [
          { key: 'primary', zh: '小学', en: 'primary school', types: ['primary_school'], radius: 500 },
          {
            key: 'market',
            zh: '菜市场或生鲜超市',
            en: 'food market or fresh supermarket',
            types: ['food_market', 'supermarket'],
            radius: 500,
          },
          {
            key: 'sports',
            zh: '中型多功能运动场地',
            en: 'mid-sized multi-purpose sports ground',
            types: ['sports_ground'],
            radius: 500,
          },
        ],
      ],
      [
        'life_circle_15',
        '十五分钟生活圈达标率',
        '15-minute life circle attainment',
        1000,
        [
          { key: 'middle', zh: '中学', en: 'middle school', types: ['middle_school'], radius: 1000 },
          {
            key: 'health',
            zh: '社区卫生服务中心',
            en: 'community health centre',
            types: ['community_health_centre', 'hospital'],
            radius: 1000,
          },
          { key: 'culture_centre', zh: '文化活动中心', en: 'culture centre', types: ['culture_centre'], radius: 1000 },
          { key: 'elderly_home', zh: '养老院', en: 'elderly home', types: ['elderly_home'], radius: 1000 },
        ],
      ],
    ] as const
  ).map(
    ([code, zh, en, r, items]): IndicatorDef => ({
      code,
      zh,
      en,
      dimension: '街区',
      group: '功能完善',
      unit: '%',
      kind: 'life_circle',
      type: '导向',
      formula:
        '全部本层级设施均在服务半径内的居住建筑的常住人口 ÷ 常住人口 / residents of buildings within reach of every facility of the tier ÷ residents',
      numerator: `同时满足：${items.map((i) => `${i.zh} ≤${i.radius} 米`).join('、')}`,
      denominator: '常住人口 / residents',
      params: { radius: r, items: items.map((i) => ({ ...i, types: [...i.types] })), primary: 'residents' },
      distanceModel: `${DISTANCE_MODEL}；步行 ${r} 米 ≈ ${r / 60} 分钟（60 米/分钟）`,
      target: { value: 100, direction: '>=' },
      source: `${GB50180} 与 TD/T 1062-2021《社区生活圈规划技术指南》：5/10/15 分钟 ≈ 300/500/800–1000 米；各层级设施清单据附录B（部分未核实）`,
      suggestion: '{unit}有 {gapResidents} 名居民未达到本层级生活圈，缺项：{missing}。',
    }),
  ),
  {
    code: 'complete_community',
    zh: '完整居住社区建设达标率',
    en: 'Complete community score',
    dimension: '小区(社区)',
    group: '设施完善',
    unit: '%',
    kind: 'complete_community',
    type: '导向',
    formula:
      '社区边界内或步行半径内具备的必配项目数 ÷ 必配项目数 × 100% / required items present inside the 社区 or within walking radius ÷ required items',
    numerator: '具备的必配项目数 / required items present',
    denominator: '必配项目数 / required items',
    params: {
      primary: 'value',
      items: [
        {
          key: 'service',
          zh: '社区综合服务站',
          en: 'community service station',
          types: ['community_service_station', 'community_service_centre'],
          radius: 300,
        },
        { key: 'kindergarten', zh: '幼儿园', en: 'kindergarten', types: ['kindergarten'], radius: 300 },
        { key: 'nursery', zh: '托儿所', en: 'nursery', types: ['nursery'], radius: 300 },
        { key: 'elderly', zh: '老年服务站', en: 'elderly service station', types: ['elderly_day_care'], radius: 300 },
        {
          key: 'health',
          zh: '社区卫生服务站',
          en: 'community health station',
          types: ['community_health_station', 'community_health_centre'],
          radius: 300,
        },
        { key: 'supermarket', zh: '综合超市', en: 'supermarket', types: ['supermarket', 'food_market'], radius: 300 },
        { key: 'express', zh: '邮件快件寄递点', en: 'parcel point', types: ['express_point'], radius: 300 },
        {
          key: 'activity',
          zh: '公共活动场地（≥150 m²）',
          en: 'public activity site (≥ 150 m²)',
          types: ['sports_ground', 'fitness_ground'],
          radius: 300,
        },
        { key: 'green', zh: '公共绿地', en: 'public green space', types: ['@green'], radius: 300, minArea: 0 },
      ],
    },
    distanceModel:
      '设施在社区边界内，或到社区边界的直线距离 ≤ 半径（米，CGCS2000 3° 高斯-克吕格）/ inside the 社区 or within the radius of its boundary',
    target: { value: 100, direction: '>=' },
    source:
      '建科规〔2020〕7号《完整居住社区建设标准（试行）》必配设施：综合服务站、幼儿园、托儿所、老年服务站、社区卫生服务站、综合超市、邮件快件寄递点、公共活动场地、公共绿地；步行半径 300 米为本系统设定',
    suggestion: '{unit}完整社区缺项：{missing}。建议按《完整居住社区建设标准》补齐。',
  },

  // ---- 职住平衡 and commuting ----
  {
    code: 'jobs_housing_ratio',
    zh: '职住比',
    en: 'Jobs–housing ratio',
    dimension: '城区',
    group: '产城融合职住平衡',
    unit: 'ratio',
    kind: 'jobs_housing',
    type: '导向',
    formula: '就业岗位数 ÷ 居住就业人口（常住人口 × 就业人口比例）/ jobs ÷ (residents × worker share)',
    numerator: '单元内就业岗位数（岗位点或面的代表点落在单元内）/ jobs located in the unit',
    denominator: '常住人口 × 就业人口比例 / residents × worker share',
    params: { band: [0.9, 1.1], workerShare: 0.5, primary: 'value' },
    distanceModel: '按位置归属单元 / by location',
    target: { min: 0.9, max: 1.1, direction: 'between' },
    source:
      '职住比 = 就业岗位 ÷ 居住（就业）人口（参考资料 §2.4）；平衡区间 0.9–1.1 取自第三方工具分级（非官方，未核实）；就业人口比例 0.5 为本系统假设，可按年度设置',
    suggestion: '{unit}职住比 {value}（平衡区间 {target}）：岗位偏少宜引入就业，岗位偏多宜增加住房供给。',
  },
  {
    code: 'jobs_housing_5km',
    zh: '5公里通勤圈职住比',
    en: 'Jobs–housing ratio within 5 km',
    dimension: '小区(社区)',
    group: '产城融合职住平衡',
    unit: 'ratio',
    kind: 'jobs_housing_radius',
    type: '导向',
    formula:
      '社区代表点 5 公里内就业岗位 ÷ 5 公里内居住就业人口 / jobs within 5 km of the 社区 ÷ resident workers within 5 km',
    numerator: '5 公里内岗位 / jobs within the radius',
    denominator: '5 公里内常住人口 × 就业人口比例 / residents × worker share within the radius',
    params: { radius: 5000, band: [0.9, 1.1], workerShare: 0.5, primary: 'value' },
    distanceModel: DISTANCE_MODEL,
    target: { min: 0.9, max: 1.1, direction: 'between' },
    source: '“幸福通勤”5 公里（中规院《中国主要城市通勤监测报告》）；平衡区间同职住比（非官方）',
    suggestion: '{unit}5 公里通勤圈职住比 {value}（平衡区间 {target}）。',
  },
  {
    code: 'commute_within_5km',
    zh: '5公里以内通勤比重',
    en: 'Share of commutes under 5 km',
    dimension: '城区',
    group: '产城融合职住平衡',
    unit: '%',
    kind: 'commute_share',
    type: '导向',
    formula: '通勤距离 ≤5 公里的通勤人数 ÷ 通勤总人数 / commuters travelling ≤ 5 km ÷ all commuters',
    numerator: '≤5 公里的通勤（居住社区代表点到就业地直线距离）/ commutes ≤ 5 km',
    denominator: '全部通勤（按居住社区归属）/ all commutes by origin',
    params: { radius: 5000, primary: 'value' },
    distanceModel: DISTANCE_MODEL,
    target: { value: 52, direction: '>=' },
    source:
      '中规院《中国主要城市通勤监测报告》“5公里以内（幸福通勤）比重”，2023 年全国平均 52% 作为参照值（非官方目标）；需上传通勤 OD 图层',
    suggestion: '{unit}5 公里以内通勤比重 {value}%（参照 {target}%）：建议促进就近就业与职住平衡。',
  },
  {
    code: 'mean_commute_distance',
    zh: '平均通勤距离',
    en: 'Mean commute distance',
    dimension: '城区',
    group: '产城融合职住平衡',
    unit: 'km',
    kind: 'commute_distance',
    type: '导向',
    formula: 'Σ(通勤人数 × 直线距离) ÷ Σ通勤人数 / count-weighted mean straight-line distance',
    numerator: 'Σ 人数 × 距离 / Σ count × distance',
    denominator: '通勤总人数 / all commuters',
    params: { primary: 'value' },
    distanceModel: DISTANCE_MODEL,
    source: '中规院通勤监测“单程平均通勤距离”（本系统为直线距离，低于路网距离）；无官方目标值，仅报告',
    suggestion: '',
  },

  // ---- 住房: building stock ----
  {
    code: 'pre2000_residential_share',
    zh: '2000年以前建成住宅建筑面积占比',
    en: 'Share of residential floor area built before 2000',
    dimension: '住房',
    group: '安全耐久',
    unit: '%',
    kind: 'stock_share',
    type: '导向',
    formula:
      '2000 年以前建成的住宅建筑面积 ÷ 已知建成年代的住宅建筑面积 / floor area built before 2000 ÷ residential floor area of known age',
    numerator: '建成年代 < 2000 的住宅建筑面积（基底 × 层数）',
    denominator: '建成年代已知的住宅建筑面积 / residential floor area with a known year',
    params: { builtBefore: 2000, primary: 'value' },
    distanceModel: '—',
    source: '老旧小区改造对象为 2000 年底前建成的小区（国办发〔2020〕23号）；无目标值，用于识别改造需求',
    suggestion: '',
  },
  {
    code: 'tall_new_residential',
    zh: '新建住宅建筑高度超过80米的数量',
    en: 'New residential buildings taller than 80 m',
    dimension: '住房',
    group: '安全耐久',
    unit: '栋',
    kind: 'tall_new_residential',
    type: '底线',
    formula:
      '建成年份 ≥2021 且高度 >80 米（无高度时按层数 × 3 米）的住宅栋数 / residential buildings built since 2021 taller than 80 m',
    numerator: '栋数 / count',
    denominator: '—',
    params: { sinceYear: 2021, minHeight: 80, primary: 'value' },
    distanceModel: '—',
    target: { value: 0, direction: '<=' },
    source: '2021–2022 城市体检底线指标“新建住宅建筑高度超过80米的数量”；“新建”取 2021 年起（本系统设定）',
    suggestion: '{unit}有 {value} 栋 2021 年以来新建的 80 米以上住宅，应严格控制。',
  },

  // ---- 住房 and 小区: counts of what inspectors found (体检采集), server/inspections ----
  ...(
    [
      [
        'housing_structural_hazard',
        '存在结构安全隐患的住宅数量',
        'Dwellings with structural hazards',
        '安全耐久',
        '底线',
      ],
      ['housing_gas_hazard', '存在燃气安全隐患的住宅数量', 'Dwellings with gas hazards', '安全耐久', '底线'],
      ['housing_corridor_hazard', '存在楼道安全隐患的住宅数量', 'Dwellings with stairway hazards', '安全耐久', '底线'],
      ['housing_envelope_hazard', '存在围护安全隐患的住宅数量', 'Dwellings with envelope hazards', '安全耐久', '底线'],
      ['housing_non_self_contained', '非成套住宅数量', 'Non-self-contained dwellings', '功能完备', '导向', '套'],
      [
        'housing_pipe_damage',
        '存在管线管道破损的住宅数量',
        'Dwellings with damaged pipes or wiring',
        '功能完备',
        '导向',
      ],
      [
        'housing_water_quality',
        '入户水质水压不达标的住宅数量',
        'Dwellings with poor tap water or pressure',
        '功能完备',
        '导向',
      ],
      [
        'housing_ageing_retrofit',
        '需要进行适老化改造的住宅数量',
        'Dwellings needing ageing-friendly retrofit',
        '功能完备',
        '导向',
      ],
      [
        'housing_energy_retrofit',
        '需要进行节能改造的住宅数量',
        'Dwellings needing energy retrofit',
        '绿色智能',
        '导向',
      ],
      [
        'housing_digital_retrofit',
        '需要进行数字化改造的住宅数量',
        'Dwellings needing digital retrofit',
        '绿色智能',
        '导向',
      ],
      ['area_no_waste_sorting', '未实施生活垃圾分类的小区数量', '小区 without waste sorting', '管理健全', '导向', '个'],
      [
        'area_no_property_management',
        '未实施物业管理的小区数量',
        '小区 without property management',
        '管理健全',
        '导向',
        '个',
      ],
      [
        'area_no_ebike_charging',
        '未配建电动自行车充电设施的小区数量',
        '小区 without e-bike charging',
        '设施完善',
        '导向',
        '个',
      ],
      ['area_smart_retrofit', '需要进行智慧化改造的小区数量', '小区 needing smart retrofit', '管理健全', '导向', '个'],
    ] as [string, string, string, string, '底线' | '导向', string?][]
  ).map(([code, zh, en, group, type, unit]): IndicatorDef => {
    const area = code.startsWith('area_')
    const dwellings = unit === '套'
    return {
      code,
      zh,
      en,
      dimension: area ? '小区(社区)' : '住房',
      group,
      unit: unit ?? '栋',
      kind: 'inspection_count',
      type,
      formula: area
        ? '最近一次检查记录中有该指标任一问题条目的小区个数 / 小区 whose latest inspection records any item of this indicator'
        : dwellings
          ? '最近一次检查记录中有该问题的住宅套数（记录未写套数时取建筑户数）/ dwellings in buildings whose latest inspection records the problem'
          : '最近一次检查记录中有该指标任一问题条目的住宅栋数 / residential buildings whose latest inspection records any item of this indicator',
      numerator: area
        ? '有问题的小区 / 小区 with a finding'
        : dwellings
          ? '套数 / dwellings'
          : '有问题的栋数 / buildings with a finding',
      denominator: area
        ? '已检查的小区（同列报告，未检查单元为“无数据”）/ 小区 inspected (reported beside; a unit with none is no-data)'
        : '已检查的住宅栋数（同列报告，未检查单元为“无数据”）/ buildings inspected (reported beside; a unit with none is no-data)',
      params: { primary: 'value', countUnit: dwellings ? 'dwellings' : 'buildings' },
      distanceModel: '—',
      target: { value: 0, direction: '<=' },
      source: `建科〔2023〕75号 2024 年基础指标（名称据各地 2024–25 实施方案，${area ? '小区' : '住房'}层级，逐${area ? '小区' : '栋'}入户采集）；检查条目为本系统词表（server/inspections/vocabulary.ts），底线/导向分类为本系统设定；分级按问题数占已检查数的比例：≥5% 严重、≥3% 较重（一地实践做法，非国家规定）`,
      suggestion: area
        ? '{unit}已检查 {inspected} 个小区，其中 {value} 个{name}问题：建议纳入城市更新项目库，逐小区销号。'
        : '{unit}已检查 {inspected} 栋住宅，发现 {value} {countUnit}{name}相关问题：建议逐栋建立台账，纳入老旧小区改造或危旧房治理。',
    }
  }),
  // ---- 小区: facilities and sites each 小区 should have (空间计算) ----
  ...(
    [
      [
        'area_kindergarten_shortfall',
        '未达标配建幼儿园的小区数量',
        '小区 without adequate kindergarten provision',
        ['kindergarten'],
        '幼儿园',
        300,
        '底线',
        30,
      ],
      [
        'area_nursery_shortfall',
        '未达标配建婴幼儿照护服务设施的小区数量',
        '小区 without adequate nursery provision',
        ['nursery'],
        '托育设施',
        300,
        '导向',
        4.5,
      ],
      [
        'area_elderly_shortfall',
        '未达标配建养老服务设施的小区数量',
        '小区 without adequate elderly care provision',
        ['elderly_day_care', 'elderly_home'],
        '养老服务设施',
        300,
        '导向',
        undefined,
      ],
    ] as [string, string, string, string[], string, number, '底线' | '导向', number | undefined][]
  ).map(
    ([code, zh, en, facilityTypes, facilityZh, radius, type, seatsPer1000]): IndicatorDef => ({
      code,
      zh,
      en,
      dimension: '小区(社区)',
      group: '设施完善',
      unit: '个',
      kind: 'area_facility',
      type,
      formula: `小区代表点 ${radius} 米内没有${facilityZh}，或（所有可达设施均填有规模时）按两步移动搜索法（2SFCA）算得的千人规模低于标准的小区个数 / 小区 with no ${facilityTypes.join('/')} within ${radius} m, or — where every reachable facility states its capacity — fewer seats per 1,000 residents than the standard by a two-step floating catchment (2SFCA)`,
      numerator: '未达标小区个数 / failing 小区',
      denominator: '单元内小区个数 / 小区 in the unit',
      params: { facilityTypes, radius, seatsPer1000, primary: 'value' },
      distanceModel: DISTANCE_MODEL,
      target: { value: 0, direction: '<=' },
      source: `75号文 2024 年小区层级指标；服务半径 ${radius} 米（${GB50180}${facilityTypes[0] === 'kindergarten' ? '，GB 50180-93 已确认' : '附录B，据回忆，未核实'}）${seatsPer1000 ? `；千人指标 ${seatsPer1000} 个/千人为常用规划取值（未核实，可按年度参数修改）` : '；未设千人指标，只判断可达'}`,
      suggestion: `{unit}有 {value} 个小区未达标配建${facilityZh}：建议结合小区改造补建或共享周边设施。`,
    }),
  ),
  {
    code: 'area_activity_site_shortfall',
    zh: '未达标配建公共活动场地的小区数量',
    en: '小区 without an adequate public activity site',
    dimension: '小区(社区)',
    group: '环境宜居',
    unit: '个',
    kind: 'area_activity_site',
    type: '导向',
    formula:
      '小区代表点 300 米内没有面积 ≥150 平方米的公共活动场地（绿地、广场、运动场地、健身场地）的小区个数 / 小区 with no activity site (green space, square, sports or fitness ground) of ≥150 m² within 300 m',
    numerator: '未达标小区个数 / failing 小区',
    denominator: '单元内小区个数 / 小区 in the unit',
    params: {
      radius: 300,
      minArea: 150,
      facilityTypes: ['sports_ground', 'fitness_ground', '@green'],
      primary: 'value',
    },
    distanceModel: DISTANCE_MODEL,
    target: { value: 0, direction: '<=' },
    source:
      '《完整居住社区建设标准(试行)》公共活动场地 ≥150 平方米（建科规〔2020〕7号）；300 米为五分钟生活圈半径（GB 50180-2018）；以场地面积判断为本系统做法',
    suggestion: '{unit}有 {value} 个小区周边缺少公共活动场地：建议利用边角地、拆违空地建设口袋公园和健身场地。',
  },
  ...(
    [
      [
        'primary_seat_gap',
        '小学学位缺口数',
        'Primary school seat gap',
        ['primary_school'],
        500,
        0.072,
        '小学（6–11 岁，6 个单岁组）',
      ],
      [
        'middle_seat_gap',
        '初中学位缺口数',
        'Middle school seat gap',
        ['middle_school'],
        1000,
        0.036,
        '初中（12–14 岁，3 个单岁组）',
      ],
    ] as [string, string, string, string[], number, number, string][]
  ).map(
    ([code, zh, en, facilityTypes, radius, ageShare, ages]): IndicatorDef => ({
      code,
      zh,
      en,
      dimension: '小区(社区)',
      group: '设施完善',
      unit: '个',
      kind: 'school_seats',
      type: '底线',
      formula: `学龄儿童数（常住人口 × 年龄占比）减去在 ${radius} 米服务半径内能分配到的学位数；分配为容量约束的运输问题，求最大可分配量（Dinic 最大流，精确解）/ school-age children (residents × age share) minus the seats they can be allocated within ${radius} m, solved as a capacity-constrained transport problem (maximum flow, exact)`,
      numerator: '未能分配学位的学龄儿童 / children without a reachable seat',
      denominator: '学龄儿童估计数 / estimated school-age children',
      params: { facilityTypes, radius, ageShare, primary: 'value' },
      distanceModel: DISTANCE_MODEL,
      target: { value: 0, direction: '<=' },
      source: `75号文 2024 年小区层级指标“${zh}”；${ages}人口占比 ${ageShare * 100}% 按第七次全国人口普查 0–14 岁人口占 17.95% 平均到单岁组估算（本系统估算，可按年度参数 ageShare 修改）；服务半径 ${radius} 米（GB 50180-93/2002）；学校须填学位数，缺学位数时为“无数据”`,
      suggestion: `{unit}估计缺少 {value} 个${zh.slice(0, 2)}学位：建议新建、扩建学校或调整学区。`,
    }),
  ),
]

for (const d of INDICATORS) d.sourceEn ??= sourceEnFor(d.code, d.kind, d.params)

export function indicatorByCode(defs: IndicatorDef[], code: string): IndicatorDef | undefined {
  return defs.find((d) => d.code === code)
}

export interface YearConfig {
  /** code → target override */
  targets?: Record<string, Target>
  /** code → params override (merged) */
  params?: Record<string, Partial<IndicatorDef['params']>>
  /** local 特色 indicators, same shape as the registry (kinds the engine knows) */
  local?: IndicatorDef[]
  /** m² of floor area per resident; worker share; default floors where unknown */
  settings?: Partial<Settings>
  /** local inspection items (server/inspections/vocabulary.ts) */
  inspectionItems?: import('../inspections/vocabulary.ts').InspectionItem[]
}

export interface Settings {
  floorAreaPerResident: number
  defaultFloors: number
  workerShare: number
  /** the walking network (server/network/load.ts); absent keys take the defaults */
  network?: Partial<import('../network/join.ts').NetworkSettings>
  /** which distance model the 问题清单 is built from where both exist */
  distanceModel?: 'euclidean' | 'network'
}

/** The registry as it applies to one year: overrides merged in, local indicators appended. */
export function definitionsFor(config: YearConfig | undefined): IndicatorDef[] {
  const defs: IndicatorDef[] = INDICATORS.map((d) => ({
    ...d,
    params: { ...d.params, ...(config?.params?.[d.code] ?? {}) },
    target: config?.targets?.[d.code] ?? d.target,
  }))
  for (const l of config?.local ?? [])
    defs.push({
      ...l,
      distanceModel: l.distanceModel || DISTANCE_MODEL,
      suggestion: l.suggestion ?? '',
      params: { primary: 'area', ...l.params },
    })
  return defs
}
