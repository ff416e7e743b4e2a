// Data management page: layers per year, version history with restore, and upload with progress
// and the validation report. 中文 by default; English with the switch (kept in localStorage).
import { api, apiFetch, mountSession, refreshSessionLabels, session, signIn } from '/session.js'
const T = {
  zh: {
    title: '城市体检 · 基础数据管理',
    map: '问题地图',
    leader: '领导驾驶舱',
    docs: 'API 文档',
    layers: '图层',
    year: '体检年度',
    layer: '图层',
    count: '要素数',
    version: '版本',
    file: '文件',
    uploader: '上传者',
    updated: '更新时间',
    upload: '上传图层',
    crs: '坐标系（可选）',
    encoding: '编码（可选）',
    fields: '字段映射 JSON（可选）',
    types: '设施类型映射 JSON（可选）',
    gpkgLayer: '图层名（GeoPackage 等，可选）',
    onInvalid: '无效几何',
    reject: '拒绝',
    repair: '修复并警告',
    token: '上传令牌',
    submit: '上传',
    history: '版本历史',
    restore: '恢复此版本',
    current: '当前',
    ok: '上传成功',
    failed: '上传失败',
    features: '个要素',
    warnings: '警告',
    feature: '要素',
    field: '字段',
    reason: '原因',
    none: '暂无数据',
    uploading: '正在上传…',
    processing: '正在校验和入库…',
    queued: '文件较大，已排队后台导入',
    stage: '阶段',
    rows: '行',
  },
  en: {
    title: 'Urban health check · Base data',
    map: 'Problem map',
    leader: 'Leader view',
    docs: 'API docs',
    layers: 'Layers',
    year: 'Year',
    layer: 'Layer',
    count: 'Features',
    version: 'Version',
    file: 'File',
    uploader: 'Uploader',
    updated: 'Updated',
    upload: 'Upload a layer',
    crs: 'CRS (optional)',
    encoding: 'Encoding (optional)',
    fields: 'Field mapping JSON (optional)',
    types: 'Facility type mapping JSON (optional)',
    gpkgLayer: 'Layer name (GeoPackage etc., optional)',
    onInvalid: 'Invalid geometry',
    reject: 'Reject',
    repair: 'Repair with warning',
    token: 'Upload token',
    submit: 'Upload',
    history: 'Version history',
    restore: 'Restore this version',
    current: 'current',
    ok: 'Uploaded',
    failed: 'Upload failed',
    features: 'features',
    warnings: 'Warnings',
    feature: 'Feature',
    field: 'Field',
    reason: 'Reason',
    none: 'No data yet',
    uploading: 'Uploading…',
    processing: 'Validating and loading…',
    queued: 'Large file: queued for a background import',
    stage: 'stage',
    rows: 'rows',
  },
}
let lang = localStorage.getItem('lang') || 'zh'
const t = (k) => T[lang][k] ?? k
const $ = (s) => document.querySelector(s)
const esc = (s) =>
  String(s ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c])
// Messages are "中文 / English": show the half for the current language.
const half = (m) => {
  const i = String(m).indexOf(' / ')
  return i < 0 ? m : lang === 'zh' ? m.slice(0, i) : m.slice(i + 3)
}

function applyLang() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en'
  document.querySelectorAll('[data-i18n]').forEach((el) => {
    el.textContent = t(el.dataset.i18n)
  })
  $('#lang').textContent = lang === 'zh' ? 'English' : '中文'
}

let defs = []
async function init() {
  await mountSession($('header nav'), () => init())
  defs = (await (await fetch('/api/layers')).json()).layers
  $('#upload [name=layer]').innerHTML = defs
    .map((d) => `<option value="${esc(d.layer)}">${esc(d.zh)} · ${esc(d.en)}</option>`)
    .join('')
  const years = (await (await apiFetch(api('/years'))).json()).years ?? []
  const now = new Date().getFullYear()
  const all = [...new Set([...years, now, now - 1])].sort((a, b) => b - a)
  $('#year').innerHTML = all.map((y) => `<option>${y}</option>`).join('')
  // Open on the latest year that has data (the calendar year is usually still empty).
  $('#year').value = String(years[0] ?? all[0])
  $('#upload [name=year]').value = years[0] ?? all[0]
  await showLayers()
}

async function showLayers() {
  const year = $('#year').value
  const { layers = [] } = await (await apiFetch(api(`/years/${year}/layers`))).json()
  $('#layers tbody').innerHTML = layers
    .map(
      (l) => `<tr>
    <td>${esc(lang === 'zh' ? l.zh : l.en)}</td><td>${l.featureCount || '—'}</td><td>${l.version ?? '—'}</td>
    <td>${esc(l.fileName ?? '')}</td><td>${esc(l.crs ?? '')}</td><td>${esc(l.uploader ?? '')}</td>
    <td>${l.updatedAt ? new Date(l.updatedAt).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en') : ''}</td>
    <td>${l.version ? `<button data-history="${esc(l.layer)}">${t('history')}</button>` : ''}</td></tr>`,
    )
    .join('')
}

async function showVersions(layer) {
  const year = $('#year').value
  const { versions } = await (await apiFetch(api(`/years/${year}/layers/${layer}/versions`))).json()
  const box = $('#versions')
  box.hidden = false
  // Numbered per layer (v1 = the first upload of this layer in this year); the upload id is what the API takes.
  box.innerHTML = `<h3>${t('history')} · ${esc(layer)}</h3><table><thead><tr><th>${t('version')}</th><th>${t('file')}</th>
    <th>${t('count')}</th><th>${t('uploader')}</th><th>${t('updated')}</th><th></th></tr></thead><tbody>${versions
      .map(
        (v) => `<tr>
    <td>${esc(v.label)} <small>#${v.version}</small></td><td>${esc(v.file_name)}</td><td>${v.feature_count}</td><td>${esc(v.uploader)}</td>
    <td>${new Date(v.created_at).toLocaleString()}</td>
    <td>${v.current ? t('current') : v.restorable ? `<button data-restore="${layer}:${v.version}">${t('restore')}</button>` : ''}</td></tr>`,
      )
      .join('')}</tbody></table>`
}

function issuesTable(issues) {
  return `<table class="issues"><thead><tr><th>${t('feature')}</th><th>${t('field')}</th><th>${t('reason')}</th></tr></thead><tbody>${issues
    .map(
      (i) => `<tr><td>${esc(i.feature ?? '')}</td><td>${esc(i.field ?? '')}</td><td>${esc(half(i.message))}</td></tr>`,
    )
    .join('')}</tbody></table>`
}

function showImported(r, f) {
  $('#result').innerHTML =
    `<p class="ok">${t('ok')}: ${r.featureCount} ${t('features')} · ${esc(r.format)} · ${esc(r.crs)} · ${esc(r.encoding)} · ${r.durationMs} ms</p>` +
    (r.warnings.length ? `<p class="warn">${t('warnings')}</p>${issuesTable(r.warnings)}` : '')
  $('#year').value = f.year.value
  return showLayers()
}
function showFailed(status, e) {
  $('#result').innerHTML =
    `<p class="err">${t('failed')} (${esc(status)} ${esc(e.code)}): ${esc(half(e.message ?? ''))}</p>` +
    (e.issues ? issuesTable(e.issues) : '')
}

// A queued upload: poll its job, showing the stage and rows, until it ends.
async function follow(statusUrl, f) {
  const bar = $('#progress')
  bar.hidden = false
  for (;;) {
    const j = await (await apiFetch(statusUrl)).json()
    const rows = j.rows != null ? ` · ${j.rows}${j.total ? ` / ${j.total}` : ''} ${t('rows')}` : ''
    $('#result').innerHTML = `<p>${t('queued')} · ${t('stage')}: ${esc(j.stage ?? j.state)}${esc(rows)}</p>`
    if (j.total) bar.value = j.rows / j.total
    if (j.state === 'succeeded') {
      bar.hidden = true
      return showImported(j.result, f)
    }
    if (j.state === 'failed') {
      bar.hidden = true
      return showFailed('job', j.error ?? {})
    }
    await new Promise((r) => setTimeout(r, 700))
  }
}

async function submit(ev) {
  ev.preventDefault()
  const f = ev.target
  if (!session.token && !(await signIn())) return
  const body = new FormData()
  for (const k of ['crs', 'encoding', 'fields', 'types', 'gpkgLayer', 'onInvalid'])
    if (f[k].value) body.append(k, f[k].value)
  body.append('file', f.file.files[0])
  const xhr = new XMLHttpRequest()
  const bar = $('#progress')
  bar.hidden = false
  bar.value = 0
  $('#result').innerHTML = `<p>${t('uploading')}</p>`
  xhr.upload.onprogress = (e) => {
    if (e.lengthComputable) bar.value = e.loaded / e.total
  }
  xhr.upload.onload = () => {
    $('#result').innerHTML = `<p>${t('processing')}</p>`
    bar.removeAttribute('value')
  }
  xhr.onload = async () => {
    bar.hidden = true
    let r = {}
    try {
      r = JSON.parse(xhr.responseText || '{}')
    } catch {
      /* not JSON: shown by status */
    }
    if (xhr.status === 201) await showImported(r, f)
    else if (xhr.status === 202) await follow(r.status, f)
    else if (xhr.status === 401 && (await signIn())) submit(ev)
    else showFailed(xhr.status, r.error ?? {})
  }
  xhr.open('POST', api(`/years/${f.year.value}/layers/${f.layer.value}`))
  xhr.setRequestHeader('Authorization', `Bearer ${session.token}`)
  xhr.send(body)
}

document.addEventListener('click', async (e) => {
  const h = e.target.dataset?.history
  if (h) return showVersions(h)
  const r = e.target.dataset?.restore
  if (r) {
    const [layer, version] = r.split(':')
    const res = await apiFetch(api(`/years/${$('#year').value}/layers/${layer}/versions/${version}/restore`), {
      method: 'POST',
    })
    if (!res.ok) alert(half((await res.json()).error.message))
    await showLayers()
    await showVersions(layer)
  }
})
$('#lang').onclick = () => {
  lang = lang === 'zh' ? 'en' : 'zh'
  localStorage.setItem('lang', lang)
  applyLang()
  refreshSessionLabels()
  showLayers()
}
$('#year').onchange = showLayers
$('#upload').onsubmit = submit
applyLang()
init()
