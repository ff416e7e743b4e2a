// The inspector's field page (入户采集), built for a phone: sign in, find the building by tapping the
// map, by GPS or by its code (a 小区 by its code), tick what was found, add a note and photos, save.
// Every save is a new record; the building's earlier records are listed below the form.
import { Map as MapLibre, NavigationControl } from '/vendor/maplibre-gl/maplibre-gl.mjs'
import { api, apiFetch, mountSession, refreshSessionLabels, signIn, tilePath, transformRequest } from '/session.js'

const T = {
  zh: {
    title: '城市体检 · 入户采集',
    year: '年度',
    target: '对象',
    building: '楼栋',
    area: '小区',
    codeHint: '楼栋编码',
    areaHint: '小区代码',
    find: '查找',
    gps: '定位',
    tapHint: '点击地图上的楼栋，或输入编码、使用定位',
    dwellings: '涉及套数（非成套住宅）',
    note: '备注',
    photos: '照片（最多 6 张）',
    save: '保存记录',
    saving: '保存中…',
    saved: '已保存，第 {n} 条记录',
    history: '历次检查',
    none: '无问题',
    notFound: '未找到',
    gpsFailed: '无法定位',
    tooMany: '照片最多 6 张',
    by: '检查人',
  },
  en: {
    title: 'Urban health check · Field inspection',
    year: 'Year',
    target: 'Inspecting',
    building: 'Building',
    area: '小区 (estate)',
    codeHint: 'Building code',
    areaHint: '小区 code',
    find: 'Find',
    gps: 'Locate me',
    tapHint: 'Tap a building on the map, or enter its code, or use your location',
    dwellings: 'Dwellings concerned (non-self-contained)',
    note: 'Note',
    photos: 'Photos (up to 6)',
    save: 'Save record',
    saving: 'Saving…',
    saved: 'Saved: record {n}',
    history: 'Earlier inspections',
    none: 'nothing found',
    notFound: 'Not found',
    gpsFailed: 'Location unavailable',
    tooMany: 'At most 6 photos',
    by: 'Inspector',
  },
}
const params = new URLSearchParams(location.search)
let lang = params.get('lang') || localStorage.getItem('lang') || 'zh'
const t = (k) => T[lang][k] ?? k
const $ = (s) => document.querySelector(s)
const esc = (s) =>
  String(s ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  )
const state = { year: null, vocab: null, unit: null, target: 'building', gps: null }

function applyLang() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en'
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n)
  $('#code').placeholder = t(state.target === 'area' ? 'areaHint' : 'codeHint')
  $('#lang').textContent = lang === 'zh' ? 'English' : '中文'
  document.title = t('title')
  if (state.vocab) renderItems()
  if (state.unit) $('#unit-title').textContent = `${t(state.target)} ${state.unit.name ?? ''} ${state.unit.code}`
}

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
  transformRequest,
})
map.addControl(new NavigationControl({ showCompass: false }))
window.__citycheck = { map, ready: false }

function layers() {
  for (const id of ['b-fill', 'b-line', 'b-picked']) if (map.getLayer(id)) map.removeLayer(id)
  if (map.getSource('buildings')) map.removeSource('buildings')
  map.addSource('buildings', {
    type: 'vector',
    tiles: [`${location.origin}${tilePath(`/${state.year}/buildings/{z}/{x}/{y}.pbf`)}`],
    maxzoom: 16,
  })
  map.addLayer({
    id: 'b-fill',
    type: 'fill',
    source: 'buildings',
    'source-layer': 'buildings',
    paint: { 'fill-color': '#9aa5b1', 'fill-opacity': 0.7 },
  })
  map.addLayer({
    id: 'b-picked',
    type: 'line',
    source: 'buildings',
    'source-layer': 'buildings',
    filter: ['==', ['get', 'code'], ''],
    paint: { 'line-color': '#d64541', 'line-width': 3 },
  })
}

function renderItems() {
  // Re-rendered on a language switch: what was ticked stays ticked.
  const ticked = new Set([...document.querySelectorAll('input[name=finding]:checked')].map((b) => b.value))
  const mine = state.vocab.indicators.filter((i) => i.target === state.target)
  $('#items').innerHTML = mine
    .map((ind) => {
      const items = state.vocab.items.filter((it) => it.indicator === ind.code)
      return `<fieldset data-indicator="${esc(ind.code)}"><legend>${esc(lang === 'zh' ? ind.zh : ind.en)}</legend>${items
        .map(
          (it) =>
            `<label><input type="checkbox" name="finding" value="${esc(it.code)}"${ticked.has(it.code) ? ' checked' : ''}> <span>${esc(lang === 'zh' ? it.zh : it.en)}</span> <span class="sev sev-${esc(it.severity)}">${esc(it.severity)}</span></label>`,
        )
        .join('')}</fieldset>`
    })
    .join('')
  $('#items').onchange = () => {
    $('#dwellings-row').hidden = !document.querySelector('input[value^="housing_non_self_contained."]:checked')
  }
}

async function history() {
  const r = await apiFetch(
    api(`/years/${state.year}/inspections?target=${state.target}&unit=${encodeURIComponent(state.unit.code)}`),
  )
  const recs = r.ok ? (await r.json()).records : []
  const label = new Map(state.vocab.items.map((i) => [i.code, lang === 'zh' ? i.zh : i.en]))
  $('#history').innerHTML = recs
    .map(
      (x) =>
        `<li><time>${esc(String(x.inspectedAt).slice(0, 10))}</time> ${t('by')}: ${esc(x.inspector)} — ${
          x.findings.length
            ? esc(x.findings.map((f) => label.get(f) ?? f).join(lang === 'zh' ? '、' : '; '))
            : t('none')
        }${x.note ? ` <small>${esc(x.note)}</small>` : ''}${x.photos.length ? ` 📷${x.photos.length}` : ''}</li>`,
    )
    .join('')
}

async function pick(code) {
  const path =
    state.target === 'building'
      ? `/years/${state.year}/buildings/${encodeURIComponent(code)}`
      : `/years/${state.year}/inspections?target=area&unit=${encodeURIComponent(code)}`
  const r = await apiFetch(api(path))
  if (!r.ok) {
    $('#hint').textContent = `${t('notFound')}: ${code}`
    $('#record').hidden = true
    return
  }
  const body = await r.json()
  state.unit = state.target === 'building' ? { code, ...body.building, units: body.units } : { code }
  $('#unit-title').textContent = `${t(state.target)} ${state.unit.name ?? ''} ${state.unit.code}`
  const u = state.unit.units
  $('#unit-info').textContent = [state.unit.address, u?.area?.name, u?.community?.name, u?.street?.name]
    .filter(Boolean)
    .join(' · ')
  if (state.target === 'building' && map.getLayer('b-picked')) map.setFilter('b-picked', ['==', ['get', 'code'], code])
  if (state.target === 'building' && state.unit.lon != null)
    map.easeTo({ center: [state.unit.lon, state.unit.lat], zoom: Math.max(map.getZoom(), 16), duration: 300 })
  $('#record').hidden = false
  $('#status').textContent = ''
  for (const box of document.querySelectorAll('input[name=finding]')) box.checked = false
  $('#note').value = ''
  $('#photos').value = ''
  await history()
}

async function pickAt(lon, lat) {
  const r = await apiFetch(api(`/years/${state.year}/buildings/at?lon=${lon}&lat=${lat}`))
  if (!r.ok) {
    $('#hint').textContent = `${t('notFound')}`
    return
  }
  const b = await r.json()
  $('#code').value = b.code
  await pick(b.code)
}

async function save(e) {
  e.preventDefault()
  const files = [...$('#photos').files]
  if (files.length > 6) {
    $('#status').textContent = t('tooMany')
    $('#status').className = 'error'
    return
  }
  const form = new FormData()
  form.set('target', state.target)
  form.set('unit', state.unit.code)
  form.set(
    'findings',
    JSON.stringify([...document.querySelectorAll('input[name=finding]:checked')].map((b) => b.value)),
  )
  if ($('#note').value.trim()) form.set('note', $('#note').value.trim())
  if (!$('#dwellings-row').hidden && $('#dwellings').value) form.set('dwellings', $('#dwellings').value)
  if (state.gps) {
    form.set('lon', String(state.gps[0]))
    form.set('lat', String(state.gps[1]))
  }
  for (const f of files) form.append('photo', f, f.name)
  $('#save').disabled = true
  $('#status').textContent = t('saving')
  $('#status').className = ''
  try {
    let r = await apiFetch(api(`/years/${state.year}/inspections`), { method: 'POST', body: form })
    if (r.status === 403 && (await signIn('')))
      r = await apiFetch(api(`/years/${state.year}/inspections`), { method: 'POST', body: form })
    const body = await r.json()
    if (!r.ok) {
      $('#status').textContent = body.error?.message ?? String(r.status)
      $('#status').className = 'error'
      return
    }
    $('#status').textContent = t('saved').replace('{n}', body.id)
    $('#status').className = 'ok'
    await history()
  } finally {
    $('#save').disabled = false
  }
}

$('#by-code').onclick = () => {
  const code = $('#code').value.trim()
  if (code) pick(code)
}
$('#code').onkeydown = (e) => {
  if (e.key === 'Enter') $('#by-code').click()
}
$('#by-gps').onclick = () => {
  if (!navigator.geolocation) {
    $('#hint').textContent = t('gpsFailed')
    return
  }
  navigator.geolocation.getCurrentPosition(
    (p) => {
      state.gps = [p.coords.longitude, p.coords.latitude]
      if (state.target === 'building') pickAt(...state.gps)
    },
    () => {
      $('#hint').textContent = t('gpsFailed')
    },
    { enableHighAccuracy: true, timeout: 10000 },
  )
}
$('#target').onchange = () => {
  state.target = $('#target').value
  $('#record').hidden = true
  applyLang()
}
$('#record').onsubmit = save
$('#year').onchange = () => start(Number($('#year').value))
$('#lang').onclick = () => {
  lang = lang === 'zh' ? 'en' : 'zh'
  localStorage.setItem('lang', lang)
  applyLang()
  refreshSessionLabels()
}
map.on('click', (e) => {
  if (state.target === 'building' && state.year) pickAt(e.lngLat.lng, e.lngLat.lat)
})

async function start(year) {
  state.year = year
  state.vocab = await (await apiFetch(api(`/years/${year}/inspections/vocabulary`))).json()
  renderItems()
  layers()
  const tj = await apiFetch(tilePath(`/${year}/tilejson.json`))
  if (tj.ok) {
    const b = (await tj.json()).bounds
    map.fitBounds(
      [
        [b[0], b[1]],
        [b[2], b[3]],
      ],
      { padding: 10, duration: 0 },
    )
  }
}

applyLang()
map.on('load', async () => {
  await mountSession($('header nav'), () => location.reload())
  const years = (await (await apiFetch(api('/years'))).json()).years ?? []
  $('#year').innerHTML = years.map((y) => `<option>${y}</option>`).join('')
  const year = Number(params.get('year')) || years[0]
  if (year) {
    $('#year').value = year
    await start(year)
  }
  window.__citycheck.ready = true
})
