// The leader page: the city's headline indicators in large type and the 社区 with the most severe problems.
import { api, apiFetch, mountSession, refreshSessionLabels } from '/session.js'
const T = {
  zh: {
    title: '城市体检 · 领导驾驶舱',
    map: '问题地图',
    head: '核心指标',
    worst: '问题最突出的单元',
    target: '目标',
    none: '尚未计算指标',
    problems: '项严重问题',
  },
  en: {
    title: 'Urban health check · Leader view',
    map: 'Problem map',
    head: 'Headline indicators',
    worst: 'Units with the most severe problems',
    target: 'Target',
    none: 'No indicators computed yet',
    problems: 'severe problems',
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
let lang = localStorage.getItem('lang') || 'zh'
const esc = (s) =>
  String(s ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c])
const fmt = (v, u) =>
  esc(v == null ? '—' : `${Math.round(v * 10) / 10}${u === '%' ? '%' : u === 'ratio' ? '' : ' ' + u}`)
async function render() {
  const t = T[lang]
  document.getElementById('title').textContent = t.title
  document.title = t.title
  document.getElementById('to-map').textContent = t.map
  document.getElementById('h-head').textContent = t.head
  document.getElementById('h-worst').textContent = t.worst
  document.getElementById('lang').textContent = lang === 'zh' ? 'English' : '中文'
  const years = (await (await apiFetch(api('/years'))).json()).years ?? []
  const year = Number(new URLSearchParams(location.search).get('year')) || years[0]
  const s = await (await apiFetch(api(`/years/${year}/indicators`))).json()
  if (!s.run) {
    document.getElementById('tiles').innerHTML = `<p>${t.none}</p>`
    return
  }
  const items = HEADLINE.map((c) => s.indicators.find((i) => i.code === c)).filter(Boolean)
  document.getElementById('tiles').innerHTML = items
    .map(
      (i) => `<div class="tile ${esc(i.status)}"><div class="n">${esc(lang === 'zh' ? i.zh : i.en)}</div>
    <div class="v">${fmt(i.value, i.unit)}</div><div class="t">${t.target} ${i.target ? (i.target.direction === 'between' ? `${i.target.min}–${i.target.max}` : fmt(i.target.value, i.unit)) : '—'}</div></div>`,
    )
    .join('')
  const p =
    (
      await (
        await apiFetch(api(`/years/${year}/problems?severity=${encodeURIComponent('严重')}&level=community`))
      ).json()
    ).problems ?? []
  // By code, not name: two 社区 may share a name.
  const byUnit = new Map()
  for (const x of p) {
    const u = byUnit.get(x.unitCode) ?? { name: x.unitName, n: 0 }
    u.n++
    byUnit.set(x.unitCode, u)
  }
  document.getElementById('worst').innerHTML = [...byUnit]
    .sort((a, b) => b[1].n - a[1].n)
    .slice(0, 12)
    .map(
      ([code, u]) =>
        `<li>${esc(u.name)} <small>${esc(code)}</small> <span class="sev">${u.n}</span> ${t.problems}</li>`,
    )
    .join('')
}
document.getElementById('lang').onclick = () => {
  lang = lang === 'zh' ? 'en' : 'zh'
  localStorage.setItem('lang', lang)
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en'
  refreshSessionLabels()
  render()
}
await mountSession(document.getElementById('nav'), () => render())
render()
