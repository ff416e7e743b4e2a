// The controlled vocabulary of facility types, covering the facilities that the indicator system
// (../shared/reference/indicators.md §2.1, §2.2) asks about. `aliases` are the values found in real
// files (Chinese names, abbreviations, OSM categories); matching is case-insensitive and ignores spaces.

export interface FacilityType {
  type: string
  zh: string
  en: string
  aliases: string[]
}

export const FACILITY_TYPES: FacilityType[] = [
  {
    type: 'kindergarten',
    zh: '幼儿园',
    en: 'Kindergarten',
    aliases: ['幼儿园', '幼稚园', 'kindergarten', 'preschool'],
  },
  {
    type: 'nursery',
    zh: '托儿所',
    en: 'Nursery (0–3 childcare)',
    aliases: ['托儿所', '托育', '托育机构', '婴幼儿照护', 'nursery', 'childcare'],
  },
  {
    type: 'primary_school',
    zh: '小学',
    en: 'Primary school',
    aliases: ['小学', 'primary', 'primary_school', 'elementary'],
  },
  {
    type: 'middle_school',
    zh: '中学',
    en: 'Middle school',
    aliases: ['中学', '初中', '初级中学', 'middle', 'middle_school', 'junior_high'],
  },
  { type: 'high_school', zh: '高中', en: 'High school', aliases: ['高中', '高级中学', 'high_school'] },
  {
    type: 'school',
    zh: '学校（未分学段）',
    en: 'School (level not given)',
    aliases: ['学校', '中小学', 'school', '九年一贯制'],
  },
  { type: 'university', zh: '高等院校', en: 'University', aliases: ['大学', '高校', '学院', 'university', 'college'] },
  {
    type: 'community_health_station',
    zh: '社区卫生服务站',
    en: 'Community health station',
    aliases: ['社区卫生服务站', '卫生服务站', '卫生室', 'clinic', 'health_station'],
  },
  {
    type: 'community_health_centre',
    zh: '社区卫生服务中心',
    en: 'Community health centre',
    aliases: ['社区卫生服务中心', '卫生服务中心', '社区医院', 'health_centre'],
  },
  { type: 'hospital', zh: '医院', en: 'Hospital', aliases: ['医院', 'hospital'] },
  { type: 'pharmacy', zh: '药店', en: 'Pharmacy', aliases: ['药店', '药房', 'pharmacy'] },
  {
    type: 'elderly_day_care',
    zh: '老年服务站（日间照料中心）',
    en: 'Elderly service station / day care',
    aliases: [
      '老年服务站',
      '日间照料中心',
      '老年人日间照料中心',
      '养老服务站',
      '社区养老服务驿站',
      'elderly_day_care',
      'elderly_station',
    ],
  },
  {
    type: 'elderly_home',
    zh: '养老院',
    en: 'Elderly home',
    aliases: ['养老院', '敬老院', '养老机构', '老年公寓', 'elderly_care', 'nursing_home', 'elderly_home'],
  },
  {
    type: 'community_service_station',
    zh: '社区综合服务站',
    en: 'Community service station',
    aliases: [
      '社区综合服务站',
      '社区服务站',
      '综合服务站',
      '党群服务站',
      'community_service',
      'community_service_station',
    ],
  },
  {
    type: 'community_service_centre',
    zh: '社区服务中心（街道级）',
    en: 'Community service centre (street level)',
    aliases: ['社区服务中心', '街道服务中心', '党群服务中心', 'community_service_centre', 'community_centre'],
  },
  {
    type: 'supermarket',
    zh: '综合超市',
    en: 'Supermarket',
    aliases: ['超市', '综合超市', '生鲜超市', '便利店', 'supermarket', 'convenience'],
  },
  {
    type: 'food_market',
    zh: '菜市场',
    en: 'Food market',
    aliases: ['菜市场', '农贸市场', '菜场', 'market', 'marketplace', 'food_market'],
  },
  {
    type: 'sports_ground',
    zh: '多功能运动场地',
    en: 'Multi-purpose sports ground',
    aliases: [
      '运动场',
      '运动场地',
      '多功能运动场地',
      '体育场',
      '体育馆',
      'sports',
      'sports_ground',
      'pitch',
      'stadium',
    ],
  },
  {
    type: 'fitness_ground',
    zh: '室外综合健身场地',
    en: 'Outdoor fitness ground',
    aliases: ['健身场地', '室外健身场地', '健身广场', 'fitness', 'fitness_station'],
  },
  {
    type: 'culture_station',
    zh: '文化活动站',
    en: 'Culture station',
    aliases: ['文化活动站', '文化站', '文化室', 'culture_station'],
  },
  {
    type: 'culture_centre',
    zh: '文化活动中心',
    en: 'Culture centre',
    aliases: ['文化活动中心', '文化中心', '图书馆', '文化馆', 'culture', 'culture_centre', 'library'],
  },
  { type: 'fire_station', zh: '消防站', en: 'Fire station', aliases: ['消防站', '消防救援站', 'fire_station'] },
  { type: 'bus_stop', zh: '公交站', en: 'Bus stop', aliases: ['公交站', '公交车站', '公交站点', 'bus_stop', 'bus'] },
  {
    type: 'metro_station',
    zh: '地铁站',
    en: 'Metro station',
    aliases: ['地铁站', '轨道交通站', '轨道站点', 'metro', 'subway', 'metro_station'],
  },
  {
    type: 'transit',
    zh: '公共交通站点（未分类）',
    en: 'Public transport stop (kind not given)',
    aliases: ['公共交通', '交通站点', 'transit'],
  },
  {
    type: 'express_point',
    zh: '邮件快件寄递点',
    en: 'Post / parcel point',
    aliases: ['快递点', '快递驿站', '邮政', '寄递点', 'post_office', 'parcel'],
  },
  { type: 'parking', zh: '停车场', en: 'Parking', aliases: ['停车场', 'parking'] },
  {
    type: 'ev_charging',
    zh: '充电设施',
    en: 'EV charging',
    aliases: ['充电桩', '充电站', 'charging_station', 'ev_charging'],
  },
  { type: 'public_toilet', zh: '公共厕所', en: 'Public toilet', aliases: ['公厕', '公共厕所', 'toilets'] },
  {
    type: 'park',
    zh: '公园（设施点）',
    en: 'Park (as a facility point)',
    aliases: ['公园', 'park', 'garden', 'playground'],
  },
  { type: 'other', zh: '其他', en: 'Other', aliases: ['其他', 'other'] },
]

const norm = (s: string) => s.trim().toLowerCase().replace(/\s+/g, '')
const ALIAS = new Map<string, string>()
for (const t of FACILITY_TYPES) {
  // The vocabulary's own Chinese and English names are accepted too (what our exports write).
  for (const a of [t.type, t.zh, t.en, ...t.aliases]) if (!ALIAS.has(norm(a))) ALIAS.set(norm(a), t.type)
}

/** Canonical type for a value from a file; `extra` is the uploader's own mapping (value → type). */
export function resolveFacilityType(value: unknown, extra?: Record<string, string>): string | undefined {
  if (value === null || value === undefined) return undefined
  const v = String(value)
  if (extra && extra[v] !== undefined) return ALIAS.get(norm(extra[v]))
  return ALIAS.get(norm(v))
}

export const FACILITY_TYPE_NAMES = FACILITY_TYPES.map((t) => t.type)
