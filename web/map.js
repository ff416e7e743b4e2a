// The 问题地图: the city's own layers as the map (no external basemap), 街道/社区 coloured by the chosen
// indicator, uncovered residential buildings, facilities with their service radius, green spaces,
// a card per unit and the 问题清单 beside it. 中文 by default, English with the switch.
import { api, apiFetch, mountSession, refreshSessionLabels, session, tilePath, transformRequest } from '/session.js'

const T = {
  zh: {
    title: '城市体检 · 问题地图',
    titleShort: '问题地图',
    year: '年度',
    indicator: '指标',
    level: '层级',
    community: '社区',
    street: '街道',
    colour: '着色',
    byStatus: '按达标状态',
    byValue: '按数值（分位数）',
    byTarget: '按距目标',
    noDataN: '无数据',
    layersLegend: '图层',
    lgGaps: '未覆盖住宅',
    lgFacilities: '设施（圆圈为服务半径）',
    lgGreen: '绿地',
    lgWalkOnly: '直线可达、步行不可达的住宅',
    lgSites: '选址结果',
    met: '达标',
    short: '低于目标',
    search: '搜索名称或代码',
    leader: '领导驾驶舱',
    data: '数据管理',
    gaps: '未覆盖住宅',
    facilities: '设施及服务半径',
    green: '绿地',
    problems: '问题清单',
    allSeverity: '全部程度',
    zoomHint: '放大到 13 级以上显示未覆盖住宅',
    siteStreet: '范围',
    wholeCity: '全市',
    printMap: '打印专题图（A4/A3）',
    sev严重: '严重',
    sev较重: '较重',
    sev一般: '一般',
    sameName: '同名单元，请从列表中选择',
    exportCsv: 'CSV',
    exportXlsx: 'XLSX',
    pass: '达标',
    fail: '未达标',
    info: '仅报告',
    'no-data': '无数据',
    target: '目标',
    value: '现状值',
    previous: '上年',
    change: '同比',
    noRun: '该年度尚未计算指标',
    stale: '数据已更新，结果待重算',
    notFound: '未找到',
    // 整改 steps from the 问题清单 (the same loop as the work page's 整改 tab; the server checks the right)
    stepStart: '开始整改',
    stepAsk: '申请销号',
    stepClose: '销号',
    stepReopen: '退回',
    evidence: '整改佐证（说明或照片编号）',
    assignee: '责任单位',
    deadline: '期限',
    overdue: '已逾期',
    siting: '更新选址',
    newSites: '新增设施数',
    siteRun: '计算选址',
    siteCsv: '导出 CSV',
    siteNeedsCoverage: '请选择设施覆盖类指标',
    residentsCovered: '新增覆盖居民',
    optimum: '与最优解差距不超过',
    computing: '计算中…',
    ledger: '楼栋问题点',
    collect: '入户采集',
    model: '距离',
    euclidean: '直线距离',
    network: '步行距离',
    walkOnly: '直线可达、步行不可达',
    noNetwork: '本年度没有步行网络结果（需上传道路图层并重算）',
    serviceArea: '步行服务范围',
    homesReached: '步行可达住宅',
    homesWalkOnly: '直线可达、步行不可达住宅',
    records: '检查记录',
    inspectedBy: '检查人',
    noRecords: '无检查记录',
    building: '楼栋',
    status: '状态',
  },
  en: {
    title: 'Urban health check · Problem map',
    titleShort: 'Problem map',
    year: 'Year',
    indicator: 'Indicator',
    level: 'Level',
    community: 'Community',
    street: 'Street',
    colour: 'Colour',
    byStatus: 'by status',
    byValue: 'by value (quantiles)',
    byTarget: 'by distance to target',
    noDataN: 'no data',
    layersLegend: 'Layers',
    lgGaps: 'Uncovered homes',
    lgFacilities: 'Facilities (ring: service radius)',
    lgGreen: 'Green space',
    lgWalkOnly: 'Homes in radius but not walkable',
    lgSites: 'Proposed sites',
    met: 'meets target',
    short: 'short of target',
    search: 'Search name or code',
    leader: 'Leader view',
    data: 'Data',
    gaps: 'Uncovered homes',
    facilities: 'Facilities & radius',
    green: 'Green space',
    problems: 'Problem list',
    allSeverity: 'All severities',
    zoomHint: 'Zoom in past level 13 to see uncovered homes',
    siteStreet: 'Within',
    wholeCity: 'whole city',
    printMap: 'Print this map (A4/A3)',
    sev严重: 'severe',
    sev较重: 'serious',
    sev一般: 'minor',
    sameName: 'several units share this name: pick one from the list',
    exportCsv: 'CSV',
    exportXlsx: 'XLSX',
    pass: 'meets target',
    fail: 'misses target',
    info: 'reported only',
    'no-data': 'no data',
    target: 'Target',
    value: 'Value',
    previous: 'Last year',
    change: 'Change',
    noRun: 'No indicators computed for this year',
    stale: 'Data changed since the last run',
    notFound: 'Not found',
    stepStart: 'Start fixing',
    stepAsk: 'Request closure',
    stepClose: 'Close',
    stepReopen: 'Reopen',
    evidence: 'Evidence of the fix (a note or photo reference)',
    assignee: 'Assigned to',
    deadline: 'Due',
    overdue: 'overdue',
    siting: 'Renewal siting',
    newSites: 'New facilities',
    siteRun: 'Find sites',
    siteCsv: 'Export CSV',
    siteNeedsCoverage: 'Choose a facility coverage indicator',
    residentsCovered: 'newly covered residents',
    optimum: 'at most this far from the optimum',
    computing: 'Computing…',
    ledger: 'Building problems',
    collect: 'Field inspection',
    model: 'Distance',
    euclidean: 'straight line',
    network: 'walking',
    walkOnly: 'In radius, not walkable',
    noNetwork: 'No walking-network results for this year (upload a roads layer and recompute)',
    serviceArea: 'Walking service area',
    homesReached: 'homes reached on foot',
    homesWalkOnly: 'homes in the radius but not walkable',
    records: 'Inspections',
    inspectedBy: 'Inspector',
    noRecords: 'No inspections',
    building: 'Building',
    status: 'Status',
  },
}
const STATUS_EN = { 待整改: 'to fix', 整改中: 'in progress', 申请销号: 'closure requested', 已销号: 'closed' }
const DIM_EN = { 住房: 'housing', '小区(社区)': 'residential area', 街区: 'block', 城区: 'city' }
const TYPE_EN = { 底线: 'bottom line', 导向: 'guidance' }
/** A bilingual text "中文 / English": the half of the page's language (a text without " / " as it is). */
const half = (text) => {
  const s = String(text ?? '')
  const i = s.indexOf(' / ')
  return i < 0 ? s : lang === 'zh' ? s.slice(0, i) : s.slice(i + 3)
}
const SEV_COLOUR = { 严重: '#b3261e', 较重: '#e07b00', 一般: '#d8b400' }
const SEV_EN = { 严重: 'severe', 较重: 'serious', 一般: 'minor' }
const STATUS_COLOUR = { pass: '#2e9d5b', fail: '#d64541', info: '#4a90d9', 'no-data': '#c5c9ce' }
const params = new URLSearchParams(location.search)
let lang = params.get('lang') || localStorage.getItem('lang') || 'zh'
const t = (k) => T[lang][k] ?? k
const $ = (s) => document.querySelector(s)
const esc = (s) =>
  String(s ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c])
const name = (o) => (lang === 'zh' ? o.zh : o.en)
// Escaped: a unit may come from a year's own (user-set) indicator configuration.
const fmt = (v, unit) =>
  esc(v == null ? '—' : `${Math.round(v * 100) / 100}${unit === '%' ? '%' : unit === 'ratio' ? '' : ' ' + unit}`)
const state = { year: null, indicator: null, defs: [], summary: null, units: new Map() }

/**
 * A ticket per panel: a click or switch takes one, and an answer is drawn only while its ticket is
 * still the latest, so a slow answer to an earlier click never overwrites a later one.
 */
const tickets = {}
function ticket(panel) {
  const n = (tickets[panel] = (tickets[panel] ?? 0) + 1)
  return () => tickets[panel] === n
}

/** The view in the URL (year, indicator, level, distance model, language), so it can be shared and survives a reload. */
function keepUrl() {
  const q = new URLSearchParams()
  if (params.get('city')) q.set('city', params.get('city'))
  if (state.year) q.set('year', state.year)
  if (state.indicator) q.set('indicator', state.indicator)
  q.set('level', $('#level').value)
  q.set('model', $('#model').value)
  q.set('colour', $('#mode').value)
  q.set('lang', lang)
  history.replaceState(null, '', `?${q}`)
  // The print layout of the same view: the report figure for this indicator and level (one 街道 when one is chosen).
  const pq = new URLSearchParams({ year: state.year ?? '', indicator: state.indicator ?? '', lang })
  pq.set('level', $('#level').value === 'streets' ? 'street' : 'community')
  const sel = state.selected && state.units.get(state.selected)
  if (sel?.level === 'streets') pq.set('unit', state.selected)
  if (params.get('city')) pq.set('city', params.get('city'))
  $('#to-print').href = `/print.html?${pq}`
}
/** The problem list's level: the one the map shows. */
const problemLevel = () => ($('#level').value === 'streets' ? 'street' : 'community')

function applyLang() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en'
  document.querySelectorAll('[data-i18n]').forEach((el) => {
    el.textContent = t(el.dataset.i18n)
  })
  document.querySelectorAll('[data-i18n-placeholder]').forEach((el) => {
    el.placeholder = t(el.dataset.i18nPlaceholder)
  })
  // Where the labels are hidden (narrow screens), each control still says what it is.
  document.querySelectorAll('header label').forEach((l) => {
    const c = l.querySelector('select, input')
    const span = l.querySelector('span[data-i18n]')
    if (c && span) c.setAttribute('aria-label', t(span.dataset.i18n))
    if (c && span) c.title = t(span.dataset.i18n)
  })
  $('#lang').textContent = lang === 'zh' ? 'English' : '中文'
  document.title = t('title')
}

applyLang()
// The session, the years and (when the URL names it) the year's data are asked for together and before
// MapLibre is evaluated, not each after the last once the map has started: under software GL MapLibre
// holds the main thread for a third of a second, then as much again before its 'load', and every reply
// would wait for it. A reply asked for before the city was settled is used only if it was asked of the
// city chosen (with none chosen yet, of the default city: used when it is the only one). The page's
// HTML preloads the MapLibre module, so it downloads beside this one.
const early = new Map()
const urlOf = (kind, path) => (kind === 'tile' ? tilePath : api)(path)
function prefetch(kind, path) {
  early.set(kind + path, { city: session.city, reply: apiFetch(urlOf(kind, path)) })
}
function fetchOnce(kind, path) {
  const e = early.get(kind + path)
  early.delete(kind + path)
  if (e && (e.city === session.city || (!e.city && session.cities.length === 1))) return e.reply
  return apiFetch(urlOf(kind, path))
}
prefetch('api', '/years')
if (Number(params.get('year'))) for (const [kind, path] of yearPaths(Number(params.get('year')))) prefetch(kind, path)
const boot = (async () => {
  await mountSession($('header nav'), () => location.reload())
  const years = (await (await fetchOnce('api', '/years')).json()).years ?? []
  const year = Number(params.get('year')) || years[0]
  return { years, year, pre: year ? yearData(year) : null }
})()
const { Map: MapLibre, Marker, NavigationControl, ScaleControl } = await import('/vendor/maplibre-gl/maplibre-gl.mjs')

const map = new MapLibre({
  container: 'map',
  style: {
    version: 8,
    sources: {},
    layers: [{ id: 'bg', type: 'background', paint: { 'background-color': '#eef1f4' } }],
  },
  center: [117, 31.8],
  zoom: 11,
  attributionControl: false,
  fadeDuration: 0,
  transformRequest,
})
map.addControl(new NavigationControl({ showCompass: true }))
map.addControl(new ScaleControl({ unit: 'metric' }))
window.__citycheck = { map, state }

const configP = fetch('/api/config').then((r) => r.json())
// The optional 天地图 basemap (vec + Chinese labels, Web Mercator matrix set), when the operator set a key.
async function tianditu() {
  const cfg = await configP
  if (!cfg.tianditu) return
  const url = (layer) =>
    Array.from(
      { length: 8 },
      (_, i) =>
        `https://t${i}.tianditu.gov.cn/${layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=${layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=${encodeURIComponent(cfg.tianditu.key)}`,
    )
  for (const layer of ['vec', lang === 'zh' ? 'cva' : 'eva']) {
    map.addSource(`tdt-${layer}`, { type: 'raster', tiles: url(layer), tileSize: 256, attribution: '天地图' })
    map.addLayer(
      { id: `tdt-${layer}`, type: 'raster', source: `tdt-${layer}` },
      map.getLayer('units-fill') ? 'units-fill' : undefined,
    )
  }
  $('#layers').insertAdjacentHTML(
    'beforeend',
    `<label><input type="checkbox" id="show-tdt" checked> ${lang === 'zh' ? '天地图底图' : 'Tianditu basemap'}</label>`,
  )
  $('#show-tdt').onchange = () =>
    ['tdt-vec', 'tdt-cva', 'tdt-eva'].forEach((id) => {
      if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', $('#show-tdt').checked ? 'visible' : 'none')
    })
  window.__citycheck.tianditu = true
}

// Under the walking model the tiles carry the indicator's `@network` results and coverage.
const shownIndicator = () =>
  state.indicator && $('#model').value === 'network' ? `${state.indicator}@network` : state.indicator
// Only the buildings' tiles depend on the indicator (their coverage flags). The units' tiles are the same for
// every indicator: their value and status come as feature state from the indicator's results (one JSON
// request), so an indicator switch redraws the colours without fetching or cutting any unit tile.
const BY_INDICATOR = new Set(['buildings'])
const tiles = (layer) =>
  `${location.origin}${tilePath(`/${state.year}/${layer}/{z}/{x}/{y}.pbf`)}${
    BY_INDICATOR.has(layer) ? `?indicator=${encodeURIComponent(shownIndicator() ?? '')}` : ''
  }`
const sourceUrls = new Map()

// Classes for value colouring: five quantiles of the units' values, or bands by distance to the target
// (达标, then 10 % and 30 % short — the severity grading's steps). Red is the bad end whatever the direction.
const CLASS_COLOURS = ['#d7191c', '#fdae61', '#ffffbf', '#a6d96a', '#1a9641']
/**
 * The indicator's values and statuses on the units of the level shown, as feature state (the units' tiles
 * are the same for every indicator). Resolves once the map is coloured; `__citycheck.coloured` says which.
 */
let colourToken = 0
async function colourUnits() {
  const token = ++colourToken
  const source = $('#level').value
  const level = source === 'streets' ? 'street' : 'community'
  const model = $('#model').value === 'network' ? '&model=network' : ''
  const r = await apiFetch(
    // Only what the colours need: a sixth of the full reply's bytes for 4,900 社区.
    api(
      `/years/${state.year}/indicators/${encodeURIComponent(state.indicator)}?level=${level}${model}&fields=code,status,value`,
    ),
  )
  const results = r.ok ? (await r.json()).results : []
  if (token !== colourToken || !map.getSource(source)) return null
  map.removeFeatureState({ source, sourceLayer: source })
  for (const x of results)
    map.setFeatureState({ source, sourceLayer: source, id: x.code }, { status: x.status, value: x.value })
  window.__citycheck.coloured = `${state.indicator}|${source}|${$('#model').value}`
  return results
}

async function classify() {
  state.classes = null
  const results = await colourUnits()
  const mode = $('#mode').value
  if (mode === 'status' || !results) return
  const d = state.defs.find((x) => x.code === state.indicator)
  if (state.indicator !== d?.code) return
  const values = results.map((x) => x.value)
  const nums = values.filter((v) => typeof v === 'number').sort((a, b) => a - b)
  const low = d.target?.direction !== '<=' // low values are bad
  let breaks
  if (mode === 'target' && d.target && d.target.direction !== 'between' && d.target.value) {
    const v = d.target.value
    breaks = low ? [v * 0.7, v * 0.9, v] : [v, v * 1.1, v * 1.3]
  } else {
    const q = (p) => nums[Math.min(nums.length - 1, Math.floor(p * nums.length))]
    breaks = nums.length ? [...new Set([q(0.2), q(0.4), q(0.6), q(0.8)])] : []
  }
  // One colour per class, red at the bad end; classes = breaks + 1.
  const k = breaks.length + 1
  const pick = (i) => CLASS_COLOURS[Math.round((i * (CLASS_COLOURS.length - 1)) / Math.max(1, k - 1))]
  const colours = Array.from({ length: k }, (_, i) => pick(low ? i : k - 1 - i))
  const counts = new Array(k).fill(0)
  for (const v of nums) counts[breaks.filter((b) => v >= b).length]++
  state.classes = { breaks, colours, counts, noData: values.length - nums.length, min: nums[0], max: nums.at(-1) }
  if (map.getLayer('units-fill')) map.setPaintProperty('units-fill', 'fill-color', fillColour())
  legend()
}

function fillColour() {
  if ($('#mode').value === 'status' || !state.classes?.breaks?.length)
    return [
      'match',
      ['coalesce', ['feature-state', 'status'], 'no-data'],
      'pass',
      STATUS_COLOUR.pass,
      'fail',
      STATUS_COLOUR.fail,
      'info',
      STATUS_COLOUR.info,
      STATUS_COLOUR['no-data'],
    ]
  const { breaks, colours } = state.classes
  const step = ['step', ['to-number', ['feature-state', 'value']], colours[0]]
  for (const [i, b] of breaks.entries()) step.push(b, colours[i + 1])
  return ['case', ['==', ['typeof', ['feature-state', 'value']], 'number'], step, STATUS_COLOUR['no-data']]
}

/** The service radius around each facility the indicator counts, under the facility dots. */
function addRadius(filter, metres) {
  map.addLayer(
    {
      id: 'radius',
      type: 'circle',
      source: 'facilities',
      'source-layer': 'facilities',
      filter,
      paint: {
        'circle-radius': radiusPx(metres),
        'circle-color': '#2f6db5',
        'circle-opacity': 0.08,
        'circle-stroke-color': '#2f6db5',
        'circle-stroke-width': 1,
        'circle-stroke-opacity': 0.5,
      },
      layout: { visibility: $('#show-facilities').checked ? 'visible' : 'none' },
    },
    map.getLayer('facilities') ? 'facilities' : undefined,
  )
}

// Service radius in pixels at each zoom: metres ÷ metres-per-pixel (512-px tiles).
function radiusPx(metres) {
  const mpp = (z) => (40075016.686 * Math.cos((map.getCenter().lat * Math.PI) / 180)) / (512 * 2 ** z)
  return ['interpolate', ['exponential', 2], ['zoom'], 8, metres / mpp(8), 20, metres / mpp(20)]
}

// Uncovered homes are drawn from this zoom (the buildings' tiles start there too).
const GAPS_MINZOOM = 13

function rebuildLayers() {
  for (const id of [
    'roads',
    'units-fill',
    'units-highlight',
    'units-line',
    'streets-line',
    'green',
    'gaps',
    'radius',
    'facilities',
    'ledger',
    'walk-only',
    'area-segments',
    'area-homes',
  ])
    if (map.getLayer(id)) map.removeLayer(id)
  // Tile sources stay while their URL is the same (their tiles stay cached); the others are replaced.
  const TILED = ['communities', 'streets', 'buildings', 'facilities', 'green-spaces', 'roads']
  for (const id of TILED)
    if (map.getSource(id) && (!state.year || sourceUrls.get(id) !== tiles(id))) {
      map.removeSource(id)
      sourceUrls.delete(id)
    }
  for (const id of ['ledger', 'walk-only', 'area']) if (map.getSource(id)) map.removeSource(id)
  if (!state.year) return
  for (const l of TILED)
    if (!map.getSource(l)) {
      const unit = l === 'communities' || l === 'streets'
      map.addSource(l, {
        type: 'vector',
        tiles: [tiles(l)],
        minzoom: state.minzoom?.[l] ?? 0,
        maxzoom: 16,
        // Units are addressed by code for their feature state.
        ...(unit ? { promoteId: { [l]: 'code' } } : {}),
      })
      sourceUrls.set(l, tiles(l))
    }
  // The city's own roads, quiet under everything (a basemap without any external tiles).
  map.addLayer({
    id: 'roads',
    type: 'line',
    source: 'roads',
    'source-layer': 'roads',
    minzoom: 11,
    paint: { 'line-color': '#9aa5b1', 'line-width': ['interpolate', ['linear'], ['zoom'], 11, 0.4, 16, 2.5] },
  })
  const level = $('#level').value
  map.addLayer({
    id: 'units-fill',
    type: 'fill',
    source: level,
    'source-layer': level,
    // No antialiased edge pass: 社区 and 街道 outlines are line layers of their own, and under software
    // GL the edge pass is a good part of every recolour (see the README's viewer figures).
    paint: { 'fill-color': fillColour(), 'fill-opacity': 0.55, 'fill-antialias': false },
  })
  map.addLayer({
    id: 'green',
    type: 'fill',
    source: 'green-spaces',
    'source-layer': 'green-spaces',
    paint: { 'fill-color': '#7cc576', 'fill-opacity': 0.75, 'fill-antialias': false },
    layout: { visibility: $('#show-green').checked ? 'visible' : 'none' },
  })
  map.addLayer({
    id: 'units-line',
    type: 'line',
    source: 'communities',
    'source-layer': 'communities',
    // 社区 outlines from zoom 11: below it they are a few pixels apart (the 街道 lines and the fill show
    // the units there), and drawing thousands of them is most of a frame under software GL.
    minzoom: 11,
    paint: { 'line-color': '#5b6770', 'line-width': 0.8 },
  })
  map.addLayer({
    id: 'streets-line',
    type: 'line',
    source: 'streets',
    'source-layer': 'streets',
    paint: { 'line-color': '#1f2933', 'line-width': 2.2 },
  })
  // The selected unit, outlined (its code from the card or the search).
  map.addLayer({
    id: 'units-highlight',
    type: 'line',
    source: level,
    'source-layer': level,
    filter: ['==', ['get', 'code'], state.selected ?? ''],
    paint: { 'line-color': '#ffd400', 'line-width': 4 },
  })
  map.addLayer({
    id: 'gaps',
    type: 'fill',
    source: 'buildings',
    'source-layer': 'buildings',
    minzoom: GAPS_MINZOOM,
    filter: ['==', ['get', 'covered'], false],
    paint: { 'fill-color': '#8b1d1d', 'fill-opacity': 0.9 },
    layout: { visibility: $('#show-gaps').checked ? 'visible' : 'none' },
  })
  const d = state.defs.find((x) => x.code === state.indicator)
  const types = d?.params?.facilityTypes ?? (d?.params?.items ?? []).flatMap((i) => i.types)
  const filter = types.length ? ['in', ['get', 'type'], ['literal', types]] : ['boolean', true]
  const vis = $('#show-facilities').checked ? 'visible' : 'none'
  if (d?.params?.radius && types.length) addRadius(filter, d.params.radius)
  map.addLayer({
    id: 'facilities',
    type: 'circle',
    source: 'facilities',
    'source-layer': 'facilities',
    filter,
    paint: { 'circle-radius': 4, 'circle-color': '#2f6db5', 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 },
    layout: { visibility: vis },
  })
  // Homes inside the straight-line radius that cannot be walked to (coverage indicators with a network).
  if (d?.kind === 'coverage' && $('#show-walk-only').checked) {
    map.addSource('walk-only', {
      type: 'geojson',
      data: `${location.origin}${api(`/years/${state.year}/indicators/${encodeURIComponent(d.code)}/gaps?model=walk-only&limit=20000`)}`,
    })
    map.addLayer({
      id: 'walk-only',
      type: 'fill',
      source: 'walk-only',
      paint: { 'fill-color': '#e07b00', 'fill-opacity': 0.9 },
    })
  }
  // 住房 problems found by inspectors: one point per building, coloured by its worst item.
  if (d?.kind === 'inspection_count' && !d.code.startsWith('area_')) {
    map.addSource('ledger', {
      type: 'geojson',
      data: `${location.origin}${api(`/years/${state.year}/problems?level=building&indicator=${encodeURIComponent(d.code)}&format=geojson`)}`,
    })
    map.addLayer({
      id: 'ledger',
      type: 'circle',
      source: 'ledger',
      paint: {
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 11, 2.5, 16, 7],
        'circle-color': [
          'match',
          ['get', 'severity'],
          '严重',
          SEV_COLOUR.严重,
          '较重',
          SEV_COLOUR.较重,
          SEV_COLOUR.一般,
        ],
        'circle-stroke-color': '#fff',
        'circle-stroke-width': 1,
      },
    })
  }
}

/** 一栋一档 in the side panel: the building's attributes, its problems and every inspection with photos. */
async function showBuilding(code) {
  const card = $('#card')
  card.hidden = false
  const current = ticket('card')
  const r = await apiFetch(api(`/years/${state.year}/buildings/${encodeURIComponent(code)}`))
  if (!current()) return
  if (!r.ok) {
    card.innerHTML = `<p>${t('notFound')}: ${esc(code)}</p>`
    return
  }
  const b = await r.json()
  if (!current()) return
  const place = b.units ? [b.units.area?.name, b.units.community?.name, b.units.street?.name].filter(Boolean) : []
  const sev = (s) => (lang === 'zh' ? s : SEV_EN[s])
  card.innerHTML = `<h2 id="card-title">${t('building')} ${esc(b.building.name ?? b.building.code)} <small>${esc(b.building.code)}</small></h2>
    <p><small>${esc(place.join(' · '))}${b.building.address ? ` · ${esc(b.building.address)}` : ''}</small></p>
    <ul class="ledger">${b.problems
      .map(
        (p) =>
          `<li><span class="sev-${esc(p.severity)}">${esc(sev(p.severity))}</span> ${esc(lang === 'zh' ? p.indicatorZh : p.indicatorEn)}：${esc(
            p.items.map((i) => (lang === 'zh' ? i.zh : i.en)).join(lang === 'zh' ? '、' : '; '),
          )} <small>${t('status')}: ${esc(lang === 'zh' ? p.status : STATUS_EN[p.status])}</small></li>`,
      )
      .join('')}</ul>
    <h3>${t('records')} (${b.records.length})</h3>
    ${b.records.length ? '' : `<p>${t('noRecords')}</p>`}
    <ol class="records">${b.records
      .map(
        (x) =>
          `<li><time>${esc(String(x.inspectedAt).slice(0, 10))}</time> ${t('inspectedBy')}: ${esc(x.inspector)}
          <div>${x.findings.length ? esc(x.findings.join(', ')) : '—'}</div>${x.note ? `<div>${esc(x.note)}</div>` : ''}
          <div class="photos">${x.photos.map((ph) => `<img alt="" data-src="${esc(ph.url)}" width="96">`).join('')}</div></li>`,
      )
      .join('')}</ol>`
  // Photos go through apiFetch (they need the token in closed mode), then show as object URLs.
  for (const img of card.querySelectorAll('img[data-src]'))
    apiFetch(img.dataset.src)
      .then((res) => (res.ok ? res.blob() : null))
      .then((blob) => {
        if (blob) img.src = URL.createObjectURL(blob)
      })
}

/** The classes' legend rows: each range with its unit and how many units fall in it, then no data. */
function classRows(d) {
  const c = state.classes
  if (!c) return ''
  const edges = [c.min, ...c.breaks, c.max]
  return (
    c.colours
      .map((col, i) => {
        const lo = i === 0 ? edges[0] : c.breaks[i - 1]
        const hi = i === c.breaks.length ? edges.at(-1) : c.breaks[i]
        return `<div class="class-row"><span class="swatch" style="background:${col}"></span>${fmt(lo, d.unit)} – ${fmt(hi, d.unit)} <small>(${c.counts[i]})</small></div>`
      })
      .join('') +
    `<div class="class-row"><span class="swatch" style="background:${STATUS_COLOUR['no-data']}"></span>${t('noDataN')} <small>(${c.noData})</small></div>`
  )
}

/** Swatches for every other visible layer. */
function layerRows() {
  const on = (id) => map.getLayer(id) && map.getLayoutProperty(id, 'visibility') !== 'none'
  const rows = [
    ['gaps', '#8b1d1d', 'lgGaps', 'square'],
    ['facilities', '#2f6db5', 'lgFacilities', 'dot'],
    ['green', '#7cc576', 'lgGreen', 'square'],
    ['walk-only', '#7b2cbf', 'lgWalkOnly', 'square'],
    ['sites', '#f28c28', 'lgSites', 'dot'],
  ].filter(([id]) => on(id))
  if (!rows.length) return ''
  return `<div class="layer-legend"><strong>${t('layersLegend')}</strong>${rows
    .map(
      ([id, col, k, shape]) =>
        `<div data-layer="${id}"><span class="swatch ${shape}" style="background:${col}"></span>${t(k)}</div>`,
    )
    .join('')}</div>`
}

function legend() {
  const d = state.defs.find((x) => x.code === state.indicator)
  if (!d) {
    $('#legend').innerHTML = ''
    return
  }
  const tg = d.target
    ? d.target.direction === 'between'
      ? `${d.target.min}–${d.target.max}`
      : `${d.target.direction} ${fmt(d.target.value, d.unit)}`
    : '—'
  const city = state.summary?.indicators.find((x) => x.code === d.code)
  const rows =
    $('#mode').value === 'status'
      ? ['pass', 'fail', 'info', 'no-data']
          .map((s) => `<div><span class="swatch" style="background:${STATUS_COLOUR[s]}"></span>${t(s)}</div>`)
          .join('')
      : classRows(d)
  const walking = $('#model').value === 'network'
  $('#legend').innerHTML =
    `<strong>${esc(name(d))}</strong> <small>(${esc(lang === 'zh' ? d.dimension : (DIM_EN[d.dimension] ?? d.dimension))} · ${esc(lang === 'zh' ? d.type : (TYPE_EN[d.type] ?? d.type))} · ${t(walking ? 'network' : 'euclidean')})</small>
    <div>${t('target')}: ${esc(tg)} · ${lang === 'zh' ? '全市' : 'City'}: <span id="legend-city" class="${esc(city?.status)}">${fmt(city?.value, d.unit)}</span></div>${rows}
    ${state.summary?.run?.stale ? `<div class="fail">${t('stale')}</div>` : ''}${layerRows()}<small>${esc(lang === 'en' && d.sourceEn ? d.sourceEn : half(d.source))}</small>`
  // The city value under the walking model comes from its own results (none without a roads layer).
  if (walking)
    apiFetch(api(`/years/${state.year}/indicators/${encodeURIComponent(d.code)}?level=city&model=network`))
      .then((r) => (r.ok ? r.json() : null))
      .then((b) => {
        const el = $('#legend-city')
        if (!el || state.indicator !== d.code) return
        const c = b?.results?.[0]
        if (!c) {
          el.textContent = t('noNetwork')
          el.className = 'no-data'
        } else {
          el.innerHTML = fmt(c.value, d.unit)
          el.className = c.status
        }
      })
}

async function showCard(code) {
  highlight(code)
  const current = ticket('card')
  const r = await apiFetch(api(`/years/${state.year}/units/${encodeURIComponent(code)}`))
  if (!current()) return
  const card = $('#card')
  card.hidden = false
  if (!r.ok) {
    card.innerHTML = `<p>${t('notFound')}: ${esc(code)}</p>`
    return
  }
  const u = await r.json()
  if (!current()) return
  card.innerHTML = `<h2 id="card-title">${esc(u.name)} <small>${esc(u.code)}</small></h2><table><tbody>${u.indicators
    .map(
      (i) => `<tr data-code="${esc(i.code)}">
    <td>${esc(name(i))}</td><td class="${esc(i.status)}">${fmt(i.value, i.unit)}</td>
    <td>${i.target ? (i.target.direction === 'between' ? `${i.target.min}–${i.target.max}` : fmt(i.target.value, i.unit)) : ''}</td>
    <td class="${esc(i.status)}">${esc(t(i.status))}</td><td>${i.change == null ? '' : (i.change > 0 ? '+' : '') + fmt(i.change, i.unit)}</td></tr>`,
    )
    .join('')}</tbody></table>`
}

async function loadProblems() {
  const sev = $('#severity').value
  const q = `indicator=${encodeURIComponent(state.indicator)}&level=${problemLevel()}${sev ? `&severity=${encodeURIComponent(sev)}` : ''}`
  const current = ticket('problems')
  // The units of the level shown, and the buildings' 台账 entries (points on the map, whatever the level).
  const [r, rb] = await Promise.all([
    apiFetch(api(`/years/${state.year}/problems?${q}&limit=300`)),
    apiFetch(api(`/years/${state.year}/problems?${q.replace(/level=\w+/, 'level=building')}&limit=300`)),
  ])
  $('#problem-csv').href = api(`/years/${state.year}/problems?${q}&format=csv`)
  $('#problem-xlsx').href = api(`/years/${state.year}/problems?${q}&format=xlsx`)
  const units = r.ok ? await r.json() : { problems: [], count: 0 }
  const buildings = rb.ok ? await rb.json() : { problems: [], count: 0 }
  if (!current()) return
  const problems = [...units.problems, ...buildings.problems].sort((a, b) => b.score - a.score)
  const count = units.count + buildings.count
  $('#problem-count').textContent = `(${count})`
  $('#problem-list').innerHTML = problems
    .map(
      (
        p,
      ) => `<li data-unit="${esc(p.unitCode)}" data-level="${esc(p.level)}"${p.lon != null ? ` data-lon="${p.lon}" data-lat="${p.lat}"` : ''}><span class="sev-${p.severity}">${lang === 'zh' ? p.severity : SEV_EN[p.severity]}</span>
    ${esc(p.unitName)}${p.parent ? ` <small>${esc(p.parent.name)}</small>` : ''}: ${fmt(p.value, p.unitOfMeasure)}
    <span class="status">${esc(lang === 'zh' ? p.status : (STATUS_EN[p.status] ?? p.status))}</span>${workOf(p)}${stepsOf(p)} <small>${esc(lang === 'zh' ? p.suggestion : (p.suggestionEn ?? p.suggestion))}</small></li>`,
    )
    .join('')
  // What the list shows, for anyone (a test, a screen reader's live region) waiting on a switch.
  $('#problem-list').dataset.for = `${state.indicator}|${problemLevel()}`
}

/**
 * The 问题清单 of the indicator shown, once the map has drawn its colours (the replies and 300 rows would
 * hold the server and the main thread while tiles come in). Until then the list says it is stale.
 */
function problemsLater() {
  delete $('#problem-list').dataset.for
  window.__citycheck.colouring.catch(() => null).then(afterIdle(loadProblems))
}

/** The row's 整改 facts: who has it and by when (overdue marked). */
function workOf(p) {
  const bits = []
  if (p.assignee) bits.push(`${t('assignee')}: ${esc(p.assignee)}`)
  if (p.deadline)
    bits.push(`${t('deadline')}: ${esc(p.deadline)}${p.overdue ? ` <b class="overdue">${t('overdue')}</b>` : ''}`)
  return bits.length ? ` <small class="work">${bits.join(' · ')}</small>` : ''
}

// The next steps of the 整改 loop from each status, and how each is sent: a responsible unit's
// report of progress (POST …/rectify) or the 城检办's review (PATCH); the server decides who may.
const STEPS = {
  待整改: [['stepStart', '整改中', 'rectify']],
  整改中: [['stepAsk', '申请销号', 'rectify']],
  申请销号: [
    ['stepClose', '已销号', 'review'],
    ['stepReopen', '整改中', 'review'],
  ],
}
function stepsOf(p) {
  if (p.id == null) return ''
  return (STEPS[p.status] ?? [])
    .map(
      ([k, to, how]) =>
        ` <button type="button" class="step" data-id="${esc(p.id)}" data-to="${esc(to)}" data-how="${how}">${t(k)}</button>`,
    )
    .join('')
}

async function takeStep(b) {
  const body = { status: b.dataset.to }
  if (body.status === '申请销号') {
    const ev = prompt(t('evidence'))
    if (!ev) return
    body.evidence = ev
  }
  const url = api(`/years/${state.year}/problems/${encodeURIComponent(b.dataset.id)}`)
  b.disabled = true
  const r = await apiFetch(b.dataset.how === 'rectify' ? `${url}/rectify` : url, {
    method: b.dataset.how === 'rectify' ? 'POST' : 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  if (!r.ok) {
    b.disabled = false
    const e = await r.json().catch(() => ({}))
    $('#problem-msg').textContent = half(e.message ?? `HTTP ${r.status}`)
    return
  }
  $('#problem-msg').textContent = ''
  await loadProblems()
}

function bboxOf(geom) {
  const b = [Infinity, Infinity, -Infinity, -Infinity]
  const walk = (c) => {
    if (typeof c[0] !== 'number') {
      for (const x of c) walk(x)
      return
    }
    b[0] = Math.min(b[0], c[0])
    b[1] = Math.min(b[1], c[1])
    b[2] = Math.max(b[2], c[0])
    b[3] = Math.max(b[3], c[1])
  }
  walk(geom.coordinates)
  return b
}

async function loadUnits() {
  // Extents only (no outlines): names, parents and boxes are all the labels, search and siting need.
  const layers = ['streets', 'communities']
  const replies = await Promise.all(
    layers.map((l) => apiFetch(api(`/years/${state.year}/layers/${l}?limit=100000&geometry=bbox`))),
  )
  state.units.clear()
  for (const [i, layer] of layers.entries()) {
    const r = replies[i]
    if (!r.ok) continue
    for (const f of (await r.json()).features) {
      const parentCode = f.properties.street_code ?? f.properties.parent_code ?? null
      state.units.set(f.properties.code, {
        name: f.properties.name,
        parentCode,
        level: layer,
        bbox: f.bbox ?? bboxOf(f.geometry),
      })
    }
  }
  // The siting panel's 街道 choice.
  const sel = $('#site-street')
  const keep = sel.value
  sel.replaceChildren(sel.options[0])
  for (const [code, u] of state.units)
    if (u.level === 'streets')
      sel.append(Object.assign(document.createElement('option'), { value: code, textContent: u.name }))
  sel.value = state.units.has(keep) ? keep : ''
  // Suggestions as one types, built once the map has drawn: thousands of options would otherwise hold
  // the main thread while the first tiles come in.
  afterIdle(unitSuggestions)()
}

/** The search box's suggestions: name · parent · code, so two 社区 of one name can be told apart. */
function unitSuggestions() {
  const list = $('#unit-list')
  list.replaceChildren(
    ...[...state.units].map(([code, u]) => {
      const o = document.createElement('option')
      o.value = code
      const parent = u.parentCode ? state.units.get(u.parentCode)?.name : null
      o.label = parent ? `${u.name} · ${parent}` : u.name
      return o
    }),
  )
}

/** Outlines a unit on the map. */
function highlight(code) {
  state.selected = code
  keepUrl()
  if (map.getLayer('units-highlight')) map.setFilter('units-highlight', ['==', ['get', 'code'], code ?? ''])
}

function flyTo(code) {
  highlight(code)
  const u = state.units.get(code)
  if (u)
    map.fitBounds(
      [
        [u.bbox[0], u.bbox[1]],
        [u.bbox[2], u.bbox[3]],
      ],
      { padding: 60, duration: 600 },
    )
  showCard(code)
}

/** What a year's view needs before it draws: definitions, the summary and the tile extent, fetched together. */
function yearData(year) {
  const [defs, summary, tilejson] = yearPaths(year).map(([kind, path]) => fetchOnce(kind, path))
  return Promise.all([
    defs.then((r) => r.json()),
    summary.then((r) => r.json()),
    tilejson.then((r) => (r.ok ? r.json() : null)),
  ])
}
function yearPaths(year) {
  return [
    ['api', `/indicators?year=${year}`],
    ['api', `/years/${year}/indicators`],
    ['tile', `/${year}/tilejson.json`],
  ]
}

async function selectYear(year, keepView = false, pre = null) {
  state.year = year
  const [defs, summary, tilejson] = await (pre ?? yearData(year))
  state.defs = defs.indicators
  state.summary = summary
  const groups = {}
  for (const d of state.defs) (groups[d.dimension] ??= []).push(d)
  $('#indicator').innerHTML = Object.entries(groups)
    .map(
      ([dim, ds]) =>
        `<optgroup label="${esc(dim)}">${ds.map((d) => `<option value="${esc(d.code)}">${esc(name(d))}</option>`).join('')}</optgroup>`,
    )
    .join('')
  // Keep the chosen indicator (a language switch or another year), else the URL's, else the first.
  const wanted = state.indicator ?? params.get('indicator')
  state.indicator = wanted && state.defs.some((d) => d.code === wanted) ? wanted : state.defs[0]?.code
  $('#indicator').value = state.indicator
  // Each layer's first zoom: MapLibre asks for no tile below it (and a filter change there reloads nothing).
  if (tilejson) state.minzoom = Object.fromEntries((tilejson.vector_layers ?? []).map((l) => [l.id, l.minzoom]))
  if (tilejson && !keepView) {
    const b = tilejson.bounds
    state.bounds = b
    map.fitBounds(
      [
        [b[0], b[1]],
        [b[2], b[3]],
      ],
      { padding: 20, duration: 0 },
    )
  }
  // Draw first; the unit list (names, parents, extents for labels, search and siting) follows once
  // the map has drawn.
  refresh()
  await new Promise((done) => afterIdle(done)())
  await loadUnits()
  drawLabels()
}

function refresh() {
  keepUrl()
  state.classes = null
  rebuildLayers()
  drawLabels()
  // Tests and benchmarks await this: the units coloured for the indicator shown.
  window.__citycheck.colouring = classify()
  legend()
  problemsLater()
  if (!state.summary?.run) $('#legend').insertAdjacentHTML('afterbegin', `<p class="fail">${t('noRun')}</p>`)
}

// Unit names on the map as DOM labels (the map has no glyph server offline): 街道 from zoom 11, 社区 from
// zoom 13, only those in view, redrawn when the view settles. Text only, never HTML.
const labels = []
function drawLabels() {
  for (const m of labels.splice(0)) m.remove()
  const z = map.getZoom()
  const b = map.getBounds()
  const level = $('#level').value
  for (const [code, u] of state.units) {
    const isStreet = u.level === 'streets'
    if (isStreet ? z < 11 : z < 13 || level !== 'communities') continue
    const lon = (u.bbox[0] + u.bbox[2]) / 2
    const lat = (u.bbox[1] + u.bbox[3]) / 2
    if (lon < b.getWest() || lon > b.getEast() || lat < b.getSouth() || lat > b.getNorth()) continue
    const el = document.createElement('div')
    el.className = isStreet ? 'unit-label street' : 'unit-label'
    el.textContent = u.name
    el.dataset.code = code
    labels.push(new Marker({ element: el }).setLngLat([lon, lat]).addTo(map))
    if (labels.length > 400) break
  }
  // Uncovered homes show from zoom 13: say so below it.
  $('#zoom-hint').hidden = !($('#show-gaps').checked && z < 13)
}
map.on('moveend', drawLabels)
/**
 * Runs `fn` once, when the map is next idle, or after 3 s should it never settle (a shorter wait had the
 * lists built in the middle of a slow machine's first draw).
 */
const afterIdle = (fn) => () => {
  let done = false
  const go = () => {
    if (!done) (done = true), fn()
  }
  map.once('idle', go)
  setTimeout(go, 3000)
}
/** Points the buildings' source at the current indicator's tiles once they would be drawn (see above). */
function buildingTiles() {
  const src = map.getSource('buildings')
  const url = sourceUrls.get('buildings')
  if (!src || !url || src.tiles?.[0] === url || map.getZoom() < GAPS_MINZOOM - 0.5) return
  src.setTiles([url])
}
map.on('zoomend', buildingTiles)

// Siting: where new facilities of the indicator's type cover the most uncovered residents, on a grid
// over the city (spacing chosen for a few thousand candidates), drawn as markers with their radius.
function sitingBody() {
  const d = state.defs.find((x) => x.code === state.indicator)
  if (d?.kind !== 'coverage' || !d.params?.facilityTypes) return null
  const b = map.getBounds()
  const street = $('#site-street').value
  // One 街道: candidates inside it only, on a grid sized to it.
  const tj = street
    ? state.units.get(street).bbox
    : (state.bounds ?? [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()])
  const w = (tj[2] - tj[0]) * 111320 * Math.cos((tj[1] * Math.PI) / 180),
    h = (tj[3] - tj[1]) * 110574
  const spacing = Math.max(50, Math.ceil(Math.sqrt((w * h) / 4000) / 50) * 50)
  return {
    indicator: d.code,
    count: Number($('#site-count').value) || 3,
    grid: street ? { spacing, streets: [street] } : { spacing },
    model: $('#model').value === 'network' ? 'network' : 'euclidean',
  }
}
/** The 社区 (with its 街道) a site falls in, by the units' bounding boxes (the smallest that holds it). */
function siteUnit(lon, lat) {
  let best = null
  for (const [, u] of state.units) {
    const b = u.bbox
    if (lon < b[0] || lon > b[2] || lat < b[1] || lat > b[3]) continue
    const area = (b[2] - b[0]) * (b[3] - b[1])
    if (!best || area < best.area) best = { u, area }
  }
  if (!best) return ''
  const parent = best.u.parentCode ? state.units.get(best.u.parentCode)?.name : null
  return parent ? `${parent} · ${best.u.name}` : best.u.name
}
async function runSiting() {
  const body = sitingBody()
  if (!body) {
    $('#site-result').textContent = t('siteNeedsCoverage')
    return
  }
  $('#site-result').textContent = t('computing')
  const r = await apiFetch(api(`/years/${state.year}/siting`), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const res = await r.json()
  if (!r.ok) {
    $('#site-result').textContent = res.error?.message ?? r.status
    return
  }
  const fc = {
    type: 'FeatureCollection',
    features: res.sites.map((s) => ({
      type: 'Feature',
      properties: { rank: s.rank },
      geometry: { type: 'Point', coordinates: [s.lon, s.lat] },
    })),
  }
  for (const id of ['sites-radius', 'sites']) if (map.getLayer(id)) map.removeLayer(id)
  if (map.getSource('sites')) map.removeSource('sites')
  map.addSource('sites', { type: 'geojson', data: fc })
  map.addLayer({
    id: 'sites-radius',
    type: 'circle',
    source: 'sites',
    paint: {
      'circle-radius': radiusPx(res.radius),
      'circle-color': '#f28c28',
      'circle-opacity': 0.15,
      'circle-stroke-color': '#f28c28',
      'circle-stroke-width': 1.5,
    },
  })
  map.addLayer({
    id: 'sites',
    type: 'circle',
    source: 'sites',
    paint: { 'circle-radius': 8, 'circle-color': '#f28c28', 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 },
  })
  $('#site-result').innerHTML =
    `<ol id="site-list">${res.sites.map((s) => `<li>${esc(siteUnit(s.lon, s.lat))} <small>${s.lon.toFixed(5)}, ${s.lat.toFixed(5)}</small> — ${t('residentsCovered')} ${s.newlyCoveredResidents}</li>`).join('')}</ol>
    <small>${t('optimum')} ${(res.solution.maxGapToOptimum * 100).toFixed(1)}% · ${esc(res.solution.method)}</small>`
  $('#site-csv').hidden = false
  window.__citycheck.siting = res
  legend()
  // Show where they are.
  if (res.sites.length) {
    const xs = res.sites.map((s) => s.lon)
    const ys = res.sites.map((s) => s.lat)
    map.fitBounds(
      [
        [Math.min(...xs), Math.min(...ys)],
        [Math.max(...xs), Math.max(...ys)],
      ],
      { padding: 120, maxZoom: 15, duration: 600 },
    )
  }
}
$('#site-run').onclick = runSiting
$('#site-csv').onclick = async () => {
  const r = await apiFetch(api(`/years/${state.year}/siting?format=csv`), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(sitingBody()),
  })
  // An error is shown, never saved as a .csv.
  if (!r.ok) {
    const e = await r.json().catch(() => null)
    $('#site-result').textContent = e?.error?.message ?? String(r.status)
    return
  }
  const a = document.createElement('a')
  a.href = URL.createObjectURL(await r.blob())
  a.download = `siting-${state.indicator}.csv`
  a.click()
}

map.on('click', 'units-fill', (e) => {
  // A facility in the walking model shows its service area (its own handler).
  if ($('#model').value === 'network' && map.queryRenderedFeatures(e.point, { layers: ['facilities'] }).length) return
  // A problem point above the unit opens the building instead (its own handler).
  if (map.getLayer('ledger') && map.queryRenderedFeatures(e.point, { layers: ['ledger'] }).length) return
  const f = e.features?.[0]
  if (f) showCard(f.properties.code)
})
map.on('mouseenter', 'units-fill', () => {
  map.getCanvas().style.cursor = 'pointer'
})
map.on('mouseleave', 'units-fill', () => {
  map.getCanvas().style.cursor = ''
})
/** Sites found for another indicator are not this one's: drop them. */
function clearSites() {
  for (const id of ['sites-radius', 'sites']) if (map.getLayer(id)) map.removeLayer(id)
  if (map.getSource('sites')) map.removeSource('sites')
  $('#site-result').textContent = ''
  $('#site-csv').hidden = true
  window.__citycheck.siting = null
  legend()
}
/** The facility types an indicator draws, and its radius. */
function facilityView(d) {
  const types = d?.params?.facilityTypes ?? (d?.params?.items ?? []).flatMap((i) => i.types)
  return { types, radius: d?.params?.radius && types.length ? d.params.radius : null }
}
/**
 * Another indicator, redrawn in place where it can be: the units recoloured from feature state, the facility
 * filter and radius changed, and only the buildings' source (their coverage flags) replaced. Layers that
 * exist for some indicators only (the 台账 points, walk-only homes, a radius) take the full rebuild.
 */
function switchIndicator(prev, next) {
  const a = state.defs.find((x) => x.code === prev)
  const b = state.defs.find((x) => x.code === next)
  const special = (d) => !d || d.kind === 'inspection_count' || (d.kind === 'coverage' && $('#show-walk-only').checked)
  const [fa, fb] = [facilityView(a), facilityView(b)]
  if (special(a) || special(b) || !map.getLayer('gaps')) return refresh()
  // The colours' request goes out first; the rest of the switch is done while it is in flight.
  state.classes = null
  window.__citycheck.colouring = classify()
  keepUrl()
  const filter = fb.types.length ? ['in', ['get', 'type'], ['literal', fb.types]] : ['boolean', true]
  map.setFilter('facilities', filter)
  // The radius layer comes and goes with the indicator (a 公园 reach has none); the rest stay.
  if (!fb.radius && map.getLayer('radius')) map.removeLayer('radius')
  else if (fb.radius && !map.getLayer('radius')) addRadius(filter, fb.radius)
  else if (fb.radius) {
    map.setFilter('radius', filter)
    map.setPaintProperty('radius', 'circle-radius', radiusPx(fb.radius))
  }
  // The buildings' tiles carry the indicator's coverage flags: that source alone gets new tile URLs —
  // at once where buildings are drawn, else when the map is zoomed to them (below zoom 13 the change
  // would only keep MapLibre's worker busy, and the switch waiting for it).
  sourceUrls.set('buildings', tiles('buildings'))
  buildingTiles()
  legend()
  problemsLater()
}
$('#indicator').onchange = () => {
  const prev = state.indicator
  state.indicator = $('#indicator').value
  clearSites()
  switchIndicator(prev, state.indicator)
}
$('#level').onchange = refresh
$('#model').onchange = () => {
  clearSites()
  refresh()
}
$('#show-walk-only').onchange = refresh
$('#mode').onchange = () => {
  keepUrl()
  classify()
  map.setPaintProperty('units-fill', 'fill-color', fillColour())
  legend()
}
$('#severity').onchange = loadProblems
$('#year').onchange = () => selectYear(Number($('#year').value))
for (const [box, ids] of [
  ['#show-gaps', ['gaps']],
  ['#show-facilities', ['facilities', 'radius']],
  ['#show-green', ['green']],
]) {
  $(box).onchange = () => {
    ids.forEach((id) => {
      if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', $(box).checked ? 'visible' : 'none')
    })
    legend()
  }
}
$('#show-gaps').addEventListener('change', drawLabels)
$('#problem-list').onclick = (e) => {
  const step = e.target.closest('button.step')
  if (step) {
    takeStep(step)
    return
  }
  const li = e.target.closest('li')
  if (!li) return
  if (li.dataset.level === 'building') {
    if (li.dataset.lon) map.flyTo({ center: [Number(li.dataset.lon), Number(li.dataset.lat)], zoom: 17, duration: 600 })
    showBuilding(li.dataset.unit)
  } else flyTo(li.dataset.unit)
}
/** A facility's walking service area: reached segments and homes, and the homes only a straight line reaches. */
async function serviceArea(lngLat) {
  const r = await apiFetch(
    api(
      `/years/${state.year}/indicators/${encodeURIComponent(state.indicator)}/service-area?lon=${lngLat.lng}&lat=${lngLat.lat}`,
    ),
  )
  if (!r.ok) return false
  const fc = await r.json()
  for (const id of ['area-segments', 'area-homes']) if (map.getLayer(id)) map.removeLayer(id)
  if (map.getSource('area')) map.removeSource('area')
  map.addSource('area', { type: 'geojson', data: fc })
  map.addLayer({
    id: 'area-segments',
    type: 'line',
    source: 'area',
    filter: ['==', ['get', 'kind'], 'segment'],
    paint: { 'line-color': '#1565c0', 'line-width': 4, 'line-opacity': 0.8 },
  })
  map.addLayer({
    id: 'area-homes',
    type: 'circle',
    source: 'area',
    filter: ['!=', ['get', 'kind'], 'segment'],
    paint: {
      'circle-radius': 3,
      'circle-color': ['match', ['get', 'kind'], 'home', '#1565c0', '#e07b00'],
      'circle-stroke-color': '#fff',
      'circle-stroke-width': 0.5,
    },
  })
  const card = $('#card')
  card.hidden = false
  card.innerHTML = `<h2 id="card-title">${t('serviceArea')} · ${esc(fc.facility.name ?? fc.facility.type)}</h2>
    <p>${fc.radius} m · ${t('homesReached')}: <strong>${fc.homesReached}</strong> · ${t('homesWalkOnly')}: <strong class="fail">${fc.homesWalkOnly}</strong></p>
    <p><small>${esc(fc.distanceModel)}</small></p>`
  return true
}
map.on('click', 'facilities', async (e) => {
  if ($('#model').value !== 'network') return
  e.preventDefault()
  await serviceArea(e.lngLat)
})
map.on('click', 'ledger', (e) => {
  const f = e.features?.[0]
  if (f) showBuilding(f.properties.code)
})
$('#search').onchange = () => {
  const q = $('#search').value.trim()
  const msg = $('#search-msg')
  msg.textContent = ''
  if (!q) return
  if (state.units.has(q)) return flyTo(q)
  const exact = [...state.units].filter(([, u]) => u.name === q)
  const hits = exact.length ? exact : [...state.units].filter(([, u]) => u.name.includes(q))
  if (hits.length === 1) return flyTo(hits[0][0])
  msg.textContent = hits.length ? t('sameName') : t('notFound')
}
$('#lang').onclick = () => {
  lang = lang === 'zh' ? 'en' : 'zh'
  localStorage.setItem('lang', lang)
  applyLang()
  refreshSessionLabels()
  // Same year, same indicator, same view: only the words change.
  selectYear(state.year, true)
}

map.on('load', async () => {
  const { years, year, pre } = await boot
  $('#year').innerHTML = years.map((y) => `<option>${y}</option>`).join('')
  await tianditu()
  if (params.get('level') === 'streets' || params.get('level') === 'communities')
    $('#level').value = params.get('level')
  if (params.get('model') === 'network' || params.get('model') === 'euclidean') $('#model').value = params.get('model')
  if (['status', 'value', 'target'].includes(params.get('colour'))) $('#mode').value = params.get('colour')
  if (year) {
    $('#year').value = year
    await selectYear(year, false, pre)
  }
  window.__citycheck.ready = true
})
