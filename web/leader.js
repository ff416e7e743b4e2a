// The leader page, for a meeting-room wall (1920×1080) or a laptop (1366×768): the year's headline
// indicators with their 红/黄/正常 warning and the change from the year before, the city map coloured by
// the chosen one (the report's map figure), the 问题清单 by dimension and severity, and the units with the
// most severe problems — by code, with their parent, since two 社区 may share a name.
// Every server string is set as text. The URL carries year, indicator and language.
import { api, apiFetch, mountSession, refreshSessionLabels } from '/session.js'
import { el } from '/dom.js'

const T = {
  zh: {
    title: '城市体检 · 领导驾驶舱',
    year: '年度',
    map: '问题地图',
    work: '指标总表',
    head: '核心指标',
    mapH: '问题地图',
    dims: '各维度问题',
    worst: '问题最突出的单元',
    target: '目标',
    last: '上年',
    none: '本年度尚未计算指标',
    noMap: '本年度没有社区或街道边界，无法绘制地图',
    problems: '项严重问题',
    cols: ['维度', '严重', '较重', '一般', '合计'],
    caption: (n, l) => `${n}（按${l === 'street' ? '街道' : '社区'}）`,
    warn: { 红色: '红色预警', 黄色: '黄色预警', 正常: '正常' },
    dim: { 住房: '住房', '小区(社区)': '小区（社区）', 街区: '街区', 城区: '城区' },
    noData: '无数据',
  },
  en: {
    title: 'Urban health check · Leader view',
    year: 'Year',
    map: 'Problem map',
    work: 'Scorecard',
    head: 'Headline indicators',
    mapH: 'Problem map',
    dims: 'Problems by dimension',
    worst: 'Units with the most severe problems',
    target: 'Target',
    last: 'Last year',
    none: 'No indicators computed for this year yet',
    noMap: 'No 社区 or 街道 boundaries this year: no map to draw',
    problems: 'severe problems',
    cols: ['Dimension', 'Severe', 'Serious', 'Minor', 'All'],
    caption: (n, l) => `${n} (by ${l === 'street' ? 'street' : 'community'})`,
    warn: { 红色: 'red warning', 黄色: 'yellow warning', 正常: 'normal' },
    dim: { 住房: 'Housing', '小区(社区)': 'Residential area (community)', 街区: 'Block', 城区: 'City' },
    noData: 'no data',
  },
}
const HEADLINE = [
  'kindergarten_coverage',
  'primary_school_coverage',
  'elderly_station_coverage',
  'park_service_coverage',
  'park_per_capita',
  'life_circle_15',
  'complete_community',
  'jobs_housing_ratio',
  'fire_station_coverage',
]
const params = new URLSearchParams(location.search)
const state = {
  lang: params.get('lang') || localStorage.getItem('lang') || 'zh',
  year: Number(params.get('year')) || 0,
  indicator: params.get('indicator') || '',
}
const t = () => T[state.lang]
const zh = () => state.lang === 'zh'

const UNIT_EN = {
  'm²/人': 'm²/person',
  栋: 'buildings',
  套: 'dwellings',
  个: '',
  条: 'roads',
  '人/亿元': 'per 100 M yuan',
}
const unitText = (u) => (zh() ? u : (UNIT_EN[u] ?? u))
const fmt = (v, u) =>
  v == null
    ? '—'
    : `${Math.round(v * 10) / 10}${u === '%' ? '%' : u === 'ratio' || !unitText(u) ? '' : ` ${unitText(u)}`}`
const target = (x, u) =>
  !x ? '—' : x.direction === 'between' ? `${x.min}–${x.max}` : `${x.direction === '<=' ? '≤' : '≥'}${fmt(x.value, u)}`
const getJson = async (url) => {
  const r = await apiFetch(url)
  return r.ok ? r.json() : null
}

function keepUrl() {
  const q = new URLSearchParams()
  if (params.get('city')) q.set('city', params.get('city'))
  q.set('year', state.year)
  if (state.indicator) q.set('indicator', state.indicator)
  q.set('lang', state.lang)
  history.replaceState(null, '', `?${q}`)
}

function labels() {
  document.documentElement.lang = zh() ? 'zh-CN' : 'en'
  document.title = t().title
  for (const [id, k] of [
    ['title', 'title'],
    ['to-map', 'map'],
    ['to-work', 'work'],
    ['h-head', 'head'],
    ['h-map', 'mapH'],
    ['h-dims', 'dims'],
    ['h-worst', 'worst'],
  ])
    document.getElementById(id).textContent = t()[k]
  document.querySelector('#year-label span').textContent = t().year
  document.getElementById('lang').textContent = zh() ? 'English' : '中文'
}

let card = null
let problems = []
async function load() {
  const years = (await getJson(api('/years')))?.years ?? []
  if (!state.year) state.year = years[0] ?? new Date().getFullYear()
  const sel = document.getElementById('year')
  sel.replaceChildren(...years.map((y) => el('option', { value: y, selected: y === state.year }, y)))
  card = await getJson(api(`/years/${state.year}/scorecard`))
  problems = (await getJson(api(`/years/${state.year}/problems?limit=100000`)))?.problems ?? []
}

function drawTiles() {
  const rows = (card?.rows ?? []).filter((r) => HEADLINE.includes(r.code))
  rows.sort((a, b) => HEADLINE.indexOf(a.code) - HEADLINE.indexOf(b.code))
  const box = document.getElementById('tiles')
  if (!rows.length || rows.every((r) => r.value == null)) {
    box.replaceChildren(el('p', { class: 'none' }, t().none))
    return
  }
  if (!state.indicator || !rows.some((r) => r.code === state.indicator))
    state.indicator = (rows.find((r) => r.warning === '红色') ?? rows[0]).code
  box.replaceChildren(
    ...rows.map((r) => {
      const change =
        r.change == null || Math.abs(r.change) < 1e-9
          ? null
          : el(
              'span',
              { class: r.change > 0 === (r.target?.direction !== '<=') ? 'up' : 'down' },
              `${r.change > 0 ? '▲' : '▼'} ${fmt(Math.abs(r.change), r.unit)}`,
            )
      return el(
        'button',
        {
          type: 'button',
          class: `tile w-${r.warning ?? 'none'}${r.code === state.indicator ? ' on' : ''}`,
          'data-code': r.code,
          title: r.warning ? t().warn[r.warning] : t().noData,
          on: {
            click: () => {
              state.indicator = r.code
              keepUrl()
              drawTiles()
              drawMap()
            },
          },
        },
        el('div', { class: 'n' }, zh() ? r.zh : r.en),
        el('div', { class: 'v' }, fmt(r.value, r.unit)),
        el(
          'div',
          { class: 't' },
          `${t().target} ${target(r.target, r.unit)} · ${t().last} ${fmt(r.previous, r.unit)} `,
          change,
        ),
      )
    }),
  )
}

function drawMap() {
  const img = document.getElementById('map')
  const cap = document.getElementById('map-caption')
  const row = card?.rows?.find((r) => r.code === state.indicator)
  if (!row) {
    img.removeAttribute('src')
    cap.textContent = t().noMap
    return
  }
  // By 社区 first; a year without a 社区 layer falls back to 街道 (onerror below).
  const level = 'community'
  const url = api(
    `/years/${state.year}/maps/${encodeURIComponent(state.indicator)}.png?level=${level}&width=1400&height=1000&lang=${state.lang}`,
  )
  img.onerror = () => {
    // No 社区 layer this year: try the 街道, then say there is nothing to draw.
    if (img.dataset.level !== 'street') {
      img.dataset.level = 'street'
      img.src = url.replace('level=community', 'level=street')
      cap.textContent = t().caption(zh() ? row.zh : row.en, 'street')
    } else cap.textContent = t().noMap
  }
  img.onload = () => {
    document.body.dataset.map = state.indicator
  }
  img.dataset.level = level
  img.alt = zh() ? row.zh : row.en
  img.src = url
  cap.textContent = t().caption(zh() ? row.zh : row.en, level)
}

function drawDimensions() {
  const dims = ['住房', '小区(社区)', '街区', '城区']
  const count = (d, s) => problems.filter((p) => p.dimension === d && (!s || p.severity === s)).length
  const tbl = document.getElementById('dims')
  tbl.replaceChildren(
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        t().cols.map((c) => el('th', {}, c)),
      ),
    ),
    el(
      'tbody',
      {},
      dims.map((d) =>
        el(
          'tr',
          { 'data-dimension': d },
          el('td', {}, t().dim[d]),
          ...['严重', '较重', '一般', ''].map((s) =>
            el('td', { class: `num${s === '严重' ? ' sev' : ''}` }, count(d, s)),
          ),
        ),
      ),
    ),
  )
}

function drawWorst() {
  // By code, not name: two 社区 may share a name. Shown with the 街道 they belong to.
  const byUnit = new Map()
  for (const p of problems) {
    if (p.severity !== '严重' || (p.level !== 'community' && p.level !== 'street')) continue
    const k = `${p.level}:${p.unitCode}`
    const u = byUnit.get(k) ?? { name: p.unitName, code: p.unitCode, parent: p.parent?.name ?? null, n: 0 }
    u.n++
    byUnit.set(k, u)
  }
  const list = [...byUnit.values()].sort((a, b) => b.n - a.n).slice(0, 10)
  document
    .getElementById('worst')
    .replaceChildren(
      ...list.map((u) =>
        el(
          'li',
          { 'data-code': u.code },
          u.parent ? `${u.parent} · ` : '',
          u.name,
          ' ',
          el('small', {}, u.code),
          ' ',
          el('span', { class: 'sev' }, u.n),
          ` ${t().problems}`,
        ),
      ),
    )
}

async function render(reload = true) {
  labels()
  if (reload) await load()
  keepUrl()
  drawTiles()
  drawMap()
  drawDimensions()
  drawWorst()
  document.body.dataset.ready = `${state.year}:${state.lang}`
}

document.getElementById('year').addEventListener('change', (e) => {
  state.year = Number(e.target.value)
  render()
})
document.getElementById('lang').addEventListener('click', () => {
  state.lang = zh() ? 'en' : 'zh'
  localStorage.setItem('lang', state.lang)
  refreshSessionLabels()
  render(false)
})
await mountSession(document.getElementById('nav'), () => render())
render()
