// What each uploadable layer holds, as data: its table, accepted geometry, and canonical fields with
// the attribute names found in real files (Chinese names, pinyin abbreviations as used in 国土调查 and
// 测绘 deliverables, English and OSM tags). The first alias present in a file wins, unless the
// uploader maps the field explicitly with `fields`.

export type FieldType = 'text' | 'number' | 'int' | 'boolean'
export type GeomKind = 'polygon' | 'point-or-polygon' | 'line' | 'point'

export interface FieldDef {
  name: string
  type: FieldType
  required?: boolean
  /** plausible range: a value outside it is refused (floors −3, a 3 000 000 000 built year) */
  min?: number
  max?: number
  zh: string
  aliases: string[]
}

export interface LayerDef {
  layer: string // URL name
  table: string
  zh: string
  en: string
  geometry: GeomKind
  /** Codes must be unique within the layer (checked on upload). */
  uniqueCode: boolean
  fields: FieldDef[]
  /**
   * A table without coordinates may place each row at a unit's point (inside its polygon): the column
   * naming the 社区, 街道 or 区县 code. Jobs per 社区 and commuting OD between 社区 come as such tables.
   */
  placedBy?: { field: string; zh: string; aliases: string[] }
}

const code = (aliases: string[] = []): FieldDef => ({
  name: 'code',
  type: 'text',
  zh: '编码',
  aliases: ['code', '代码', '编码', 'dm', 'bm', '区划代码', '统计用区划代码', ...aliases],
})
const name = (aliases: string[] = []): FieldDef => ({
  name: 'name',
  type: 'text',
  zh: '名称',
  aliases: ['name', '名称', 'mc', ...aliases],
})
const population: FieldDef = {
  name: 'population',
  type: 'number',
  min: 0,
  max: 1e8,
  zh: '常住人口',
  aliases: ['population', 'pop', '人口', '常住人口', '人口数', 'rk', 'czrk'],
}
const households: FieldDef = {
  name: 'households',
  type: 'number',
  min: 0,
  max: 5e7,
  zh: '户数',
  aliases: ['households', '户数', 'hs'],
}

export const LAYERS: LayerDef[] = [
  {
    layer: 'districts',
    table: 'districts',
    zh: '区县',
    en: 'Districts (区/县)',
    geometry: 'polygon',
    uniqueCode: true,
    fields: [
      code(['qxdm', '区县代码', '区划代码', 'xzqdm']),
      name(['qxmc', '区县名称', '区名', 'xzqmc']),
      population,
      households,
    ],
  },
  {
    layer: 'streets',
    table: 'streets',
    zh: '街道',
    en: 'Streets (街道/乡镇)',
    geometry: 'polygon',
    uniqueCode: true,
    fields: [
      code(['jddm', '街道代码', 'src_id']),
      name(['jdmc', '街道名称', 'jiedao_name', '街道']),
      {
        name: 'parent_code',
        type: 'text',
        zh: '所属区县代码',
        aliases: ['parent_code', 'district_code', '区县代码', '所属区县代码', 'qxdm', 'county_code'],
      },
      population,
      households,
    ],
  },
  {
    layer: 'communities',
    table: 'communities',
    zh: '社区',
    en: 'Communities (社区/居委会)',
    geometry: 'polygon',
    uniqueCode: true,
    fields: [
      code(['sqdm', '社区代码', '居委会代码']),
      name(['sqmc', '社区名称', '居委会名称']),
      {
        name: 'street_code',
        type: 'text',
        zh: '所属街道代码',
        aliases: ['street_code', '街道代码', 'jddm', '所属街道代码'],
      },
      {
        name: 'street_name',
        type: 'text',
        zh: '所属街道名称',
        aliases: ['street_name', '街道名称', 'jdmc', '所属街道'],
      },
      population,
      households,
    ],
  },
  {
    layer: 'residential-areas',
    table: 'residential_areas',
    zh: '小区',
    en: 'Residential areas (小区)',
    geometry: 'polygon',
    uniqueCode: true,
    fields: [
      code(['xqdm', '小区代码']),
      name(['xqmc', '小区名称']),
      { name: 'community_code', type: 'text', zh: '所属社区代码', aliases: ['community_code', '社区代码', 'sqdm'] },
      {
        name: 'built_year',
        type: 'int',
        min: 1000,
        max: 2100,
        zh: '建成年代',
        aliases: ['built_year', '建成年代', '建成年份', '建设年代', 'jcnd', 'jcnf', 'year'],
      },
      population,
      households,
    ],
  },
  {
    layer: 'buildings',
    table: 'buildings',
    zh: '建筑',
    en: 'Buildings',
    geometry: 'polygon',
    uniqueCode: true,
    fields: [
      code(['jzdm', '建筑编码', '楼栋编码', 'bid']),
      name(['jzmc', '建筑名称', '楼栋名称']),
      {
        name: 'floors',
        type: 'number',
        min: 0,
        max: 200,
        zh: '层数',
        aliases: ['floors', '层数', '地上层数', 'cs', 'dscs', 'levels_num', 'levels', 'floor', 'building:levels'],
      },
      {
        name: 'height',
        type: 'number',
        min: 0,
        max: 1000,
        zh: '高度',
        aliases: ['height', '高度', '建筑高度', 'gd', 'jzgd', 'height_m'],
      },
      {
        name: 'use',
        type: 'text',
        zh: '用途',
        aliases: ['use', '用途', '建筑用途', '房屋用途', 'yt', 'fwyt', 'building', 'type'],
      },
      { name: 'residential', type: 'boolean', zh: '是否住宅', aliases: ['residential', '是否住宅', 'sfzz'] },
      {
        name: 'built_year',
        type: 'int',
        min: 1000,
        max: 2100,
        zh: '建成年代',
        aliases: ['built_year', '建成年代', '建成年份', '竣工年份', 'jcnd', 'jcnf', 'start_date', 'year'],
      },
      households,
      {
        name: 'residents',
        type: 'number',
        min: 0,
        max: 1e5,
        zh: '居住人口',
        aliases: ['residents', '居住人口', '人口', '常住人口', 'jzrk', 'rk', 'population'],
      },
      {
        name: 'address',
        type: 'text',
        zh: '地址',
        aliases: ['address', '地址', '门牌地址', '楼栋地址', 'addr:full', 'dz', 'mpdz'],
      },
      { name: 'area_code', type: 'text', zh: '所属小区代码', aliases: ['area_code', '小区代码', 'xqdm'] },
      { name: 'community_code', type: 'text', zh: '所属社区代码', aliases: ['community_code', '社区代码', 'sqdm'] },
    ],
  },
  {
    layer: 'facilities',
    table: 'facilities',
    zh: '公共服务设施',
    en: 'Facilities',
    geometry: 'point-or-polygon',
    uniqueCode: true,
    fields: [
      code(['ssdm', '设施编码']),
      name(['ssmc', '设施名称']),
      {
        name: 'type',
        type: 'text',
        required: true,
        zh: '设施类型',
        aliases: ['type', '类型', '设施类型', '类别', 'lx', 'sslx', 'category', 'amenity'],
      },
      {
        name: 'capacity',
        type: 'number',
        min: 0,
        max: 1e6,
        zh: '规模（学位/床位/班数）',
        aliases: ['capacity', '规模', '学位', '学位数', '床位', '床位数', 'gm'],
      },
    ],
  },
  {
    layer: 'green-spaces',
    table: 'green_spaces',
    zh: '绿地',
    en: 'Green spaces',
    geometry: 'polygon',
    uniqueCode: true,
    fields: [
      code(['ldbm', '绿地编码']),
      name(['ldmc', '绿地名称', '公园名称']),
      {
        name: 'kind',
        type: 'text',
        zh: '绿地类型',
        aliases: ['kind', '类型', '绿地类型', 'ldlx', 'green_class', 'leisure', 'landuse'],
      },
    ],
  },
  {
    layer: 'jobs',
    table: 'jobs',
    zh: '就业岗位',
    en: 'Jobs',
    geometry: 'point-or-polygon',
    uniqueCode: true,
    placedBy: {
      field: 'unit_code',
      zh: '所在社区/街道代码',
      aliases: ['unit_code', '社区代码', 'community_code', '街道代码', 'street_code', '单元代码', '所在社区代码'],
    },
    fields: [
      code(),
      name(['单位名称', 'dwmc']),
      {
        name: 'jobs',
        type: 'number',
        required: true,
        min: 0,
        max: 1e7,
        zh: '就业岗位数',
        aliases: ['jobs', '就业岗位', '岗位数', '就业人数', '从业人员', '职工人数', 'jyrs', 'count', 'employees'],
      },
    ],
  },
]

// Commuting OD (optional): each row is a flow from an origin 社区 to a destination point.
LAYERS.push({
  layer: 'commutes',
  table: 'commutes',
  zh: '通勤OD',
  en: 'Commuting OD flows',
  geometry: 'point-or-polygon',
  uniqueCode: false,
  placedBy: {
    field: 'dest_code',
    zh: '工作地社区代码',
    aliases: ['dest_code', 'destination', '工作地', '工作地社区代码', 'd_code', 'work_code'],
  },
  fields: [
    code(),
    {
      name: 'origin_code',
      type: 'text',
      required: true,
      zh: '居住地社区代码',
      aliases: ['origin_code', 'origin', '居住地', '居住社区代码', 'o_code', 'home_code'],
    },
    {
      name: 'count',
      type: 'number',
      required: true,
      min: 0,
      max: 1e7,
      zh: '通勤人数',
      aliases: ['count', '人数', '通勤人数', 'flow', 'trips', 'n'],
    },
  ],
})

// The walking network (issue: network distance): road centrelines, and gates of walled 小区 and parks.
LAYERS.push(
  {
    layer: 'roads',
    table: 'roads',
    zh: '道路',
    en: 'Roads (walking network)',
    geometry: 'line',
    uniqueCode: false,
    fields: [
      code(['dlbm', '道路编码', 'osm_id']),
      name(['dlmc', '道路名称']),
      {
        name: 'kind',
        type: 'text',
        zh: '道路等级',
        aliases: ['kind', 'highway', 'class', 'fclass', '道路等级', '等级', 'dldj', '道路类型', 'type'],
      },
      { name: 'bridge', type: 'text', zh: '桥梁', aliases: ['bridge', '桥梁', '是否桥梁', 'sfql'] },
      { name: 'tunnel', type: 'text', zh: '隧道', aliases: ['tunnel', '隧道', '是否隧道', 'sfsd'] },
      { name: 'layer', type: 'int', min: -10, max: 10, zh: '层', aliases: ['layer', '层', '立交层'] },
      { name: 'foot', type: 'text', zh: '步行', aliases: ['foot', '步行', 'sidewalk', '人行道'] },
      { name: 'access', type: 'text', zh: '通行', aliases: ['access', '通行', '通行限制'] },
    ],
  },
  {
    layer: 'gates',
    table: 'gates',
    zh: '出入口',
    en: 'Gates (小区 and park entrances)',
    geometry: 'point',
    uniqueCode: false,
    fields: [
      code(['crkbm', '出入口编码']),
      name(['crkmc', '出入口名称']),
      { name: 'kind', type: 'text', zh: '类型', aliases: ['kind', '类型', 'entrance', 'barrier'] },
    ],
  },
)

export const LAYER_NAMES = LAYERS.map((l) => l.layer)

export function layerDef(layer: string): LayerDef | undefined {
  return LAYERS.find((l) => l.layer === layer)
}

/**
 * Whether a building's use says it is residential: true, false, or null when the word says nothing
 * (OSM's `building=yes`). Unknown-use buildings inside a 小区 count as residential when indicators
 * are computed (server/indicators/model.ts).
 */
export function isResidentialUse(use: string | null | undefined): boolean | null {
  if (!use) return null
  if (/住宅|居住|住房|公寓|宿舍|residential|apartments|house|dormitory|detached|terrace|bungalow/i.test(use))
    return true
  if (
    /商业|办公|工业|厂房|仓库|教育|学校|医院|医疗|公共服务|附属|车库|配套|商服|commercial|office|industrial|retail|school|university|college|hospital|warehouse|garage|shed|church|public|civic|kindergarten|train_station|service|roof/i.test(
      use,
    )
  )
    return false
  return null
}
