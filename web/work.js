// The 城检办's work page: the scorecard (with its XLSX and the DOCX report draft), department entry
// (部门填报), review with each department's progress, the 整改 list, and last year's 成效.
// Every string from the server is set as text (never as HTML): names, comments and evidence are user input.
import { api, apiFetch, mountSession, refreshSessionLabels } from '/session.js'
import { el } from '/dom.js'

const T = {
  zh: {
    title: '城市体检 · 指标总表与填报整改',
    map: '问题地图',
    leader: '领导驾驶舱',
    tabs: { scorecard: '指标总表', figures: '部门填报', review: '审核与进度', rectify: '整改', effect: '上年整改成效' },
    year: '年度',
    level: '层级',
    levels: { city: '全市', district: '区县', street: '街道', community: '社区' },
    xlsx: '导出 XLSX',
    docx: '下载体检报告初稿（DOCX）',
    cols: ['指标', '单元', '单位', '现状值', '目标值', '评价', '预警', '上年值', '获取方式', '责任单位'],
    summary: (s) => [
      `指标 ${s.indicators} 项`,
      `达标 ${s.met}`,
      `未达标 ${s.missed}`,
      `无标准 ${s.noTarget}`,
      `无数据 ${s.noData}`,
      `红色预警 ${s.red}`,
      `黄色预警 ${s.yellow}`,
    ],
    department: '填报单位',
    template: '下载填报模板',
    upload: '按模板导入',
    submitAll: '导入后提交审核',
    fcols: ['指标', '单元', '数值', '样本量', '数据来源', '统计时点', '状态', ''],
    save: '保存',
    submit: '提交',
    status: { draft: '草稿', submitted: '已提交', accepted: '已通过', returned: '已退回', missing: '未填报' },
    pcols: ['填报单位', '指标', '应填', '未填', '草稿', '待审核', '已退回', '已通过', '截止日期', '逾期'],
    pending: '待审核的数据',
    rcols: ['指标', '单元', '数值', '数据来源', '统计时点', '填报人', ''],
    accept: '通过',
    ret: '退回',
    reason: '退回原因：',
    assignee: '责任单位',
    all: '全部',
    xcols: ['问题', '单元', '严重程度', '状态', '责任单位', '期限', '佐证', ''],
    start: '开始整改',
    ask: '申请销号',
    close: '销号',
    reopen: '退回整改',
    evidence: '整改佐证（说明）：',
    overdue: '逾期',
    ecols: ['指标', '单元', '责任单位', '上年值', '今年值', '成效'],
    eSummary: (e) => `上年已销号 ${e.closedLastYear} 项，其中未改善 ${e.notImproved.length} 项`,
    yes: '是',
    saved: '已保存',
    none: '暂无',
  },
  en: {
    title: 'Urban health check · scorecard, figures and fixes',
    map: 'Problem map',
    leader: 'Leader screen',
    tabs: {
      scorecard: 'Scorecard',
      figures: 'Department figures',
      review: 'Review and progress',
      rectify: 'Fixes',
      effect: "Last year's fixes",
    },
    year: 'Year',
    level: 'Level',
    levels: { city: 'City', district: 'District', street: 'Street', community: 'Community' },
    xlsx: 'Export XLSX',
    docx: 'Download the report draft (DOCX)',
    cols: [
      'Indicator',
      'Unit',
      'Measure',
      'Value',
      'Target',
      'Evaluation',
      'Warning',
      'Last year',
      'Obtained by',
      'Department',
    ],
    summary: (s) => [
      `${s.indicators} indicators`,
      `met ${s.met}`,
      `missed ${s.missed}`,
      `no target ${s.noTarget}`,
      `no data ${s.noData}`,
      `red ${s.red}`,
      `yellow ${s.yellow}`,
    ],
    department: 'Department',
    template: 'Download the template',
    upload: 'Import a filled template',
    submitAll: 'Submit for review after import',
    fcols: ['Indicator', 'Unit', 'Value', 'Sample', 'Source', 'Reference date', 'Status', ''],
    save: 'Save',
    submit: 'Submit',
    status: {
      draft: 'draft',
      submitted: 'submitted',
      accepted: 'accepted',
      returned: 'returned',
      missing: 'not reported',
    },
    pcols: [
      'Department',
      'Indicators',
      'Owed',
      'Missing',
      'Drafts',
      'To review',
      'Returned',
      'Accepted',
      'Deadline',
      'Late',
    ],
    pending: 'Figures to review',
    rcols: ['Indicator', 'Unit', 'Value', 'Source', 'Reference date', 'Entered by', ''],
    accept: 'Accept',
    ret: 'Return',
    reason: 'Why is it returned?',
    assignee: 'Assigned to',
    all: 'all',
    xcols: ['Problem', 'Unit', 'Severity', 'Status', 'Assigned to', 'Deadline', 'Evidence', ''],
    start: 'Start work',
    ask: 'Ask to close',
    close: 'Close',
    reopen: 'Send back',
    evidence: 'Evidence of the fix:',
    overdue: 'overdue',
    ecols: ['Indicator', 'Unit', 'Department', 'Last year', 'This year', 'Outcome'],
    eSummary: (e) => `${e.closedLastYear} problems closed last year; ${e.notImproved.length} did not improve`,
    yes: 'yes',
    saved: 'Saved',
    none: 'none',
  },
}
const EVAL_EN = { 达标: 'meets target', 未达标: 'misses target', 无标准: 'no target', 无数据: 'no data' }
const WARN_EN = { 红色: 'red', 黄色: 'yellow', 正常: 'normal' }
const OBT_EN = { 空间计算: 'computed', 体检采集: 'inspected', 部门填报: 'reported', 问卷调查: 'survey' }
const STATUS_EN = { 待整改: 'to fix', 整改中: 'in progress', 申请销号: 'closure requested', 已销号: 'closed' }
const SEV_EN = { 严重: 'serious', 较重: 'considerable', 一般: 'minor' }

const params = new URLSearchParams(location.search)
const state = {
  lang: params.get('lang') || localStorage.getItem('lang') || 'zh',
  tab: params.get('tab') || 'scorecard',
  level: params.get('level') || 'city',
  department: params.get('department') || '',
  assignee: params.get('assignee') || '',
  year: Number(params.get('year')) || 0,
}
const t = () => T[state.lang]
const zh = () => state.lang === 'zh'

const num = (v, u) => (v == null ? '—' : `${Math.round(v * 100) / 100}${u === '%' ? '%' : ''}`)
const target = (x) =>
  !x ? '—' : x.direction === 'between' ? `${x.min}–${x.max}` : `${x.direction === '<=' ? '≤' : '≥'}${x.value}`
const table = (cols, rows) =>
  el(
    'table',
    {},
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        cols.map((c) => el('th', {}, c)),
      ),
    ),
    el('tbody', {}, rows),
  )
function say(m) {
  const p = document.getElementById('msg')
  p.textContent = m
  clearTimeout(say.t)
  say.t = setTimeout(() => (p.textContent = ''), 4000)
}
/** A JSON call; a coded error is shown in the page's language half. */
async function call(url, opts = {}) {
  const r = await apiFetch(url, opts)
  const body = r.headers.get('content-type')?.includes('json') ? await r.json() : null
  if (!r.ok) {
    const m = body?.error?.message ?? `${r.status}`
    say(zh() ? m.split(' / ')[0] : (m.split(' / ')[1] ?? m))
    throw new Error(m)
  }
  return body
}
const send = (method, url, body) =>
  call(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

function keepUrl() {
  const q = new URLSearchParams()
  for (const k of ['lang', 'tab', 'level', 'department', 'assignee']) if (state[k]) q.set(k, state[k])
  if (state.year) q.set('year', state.year)
  if (params.get('city')) q.set('city', params.get('city'))
  history.replaceState(null, '', `?${q}`)
}

async function scorecardTab(root) {
  const card = await call(api(`/years/${state.year}/scorecard?level=${state.level}`))
  const levelSel = el(
    'select',
    { id: 'level', on: { change: (e) => ((state.level = e.target.value), render()) } },
    Object.entries(t().levels).map(([k, v]) => el('option', { value: k, selected: k === state.level }, v)),
  )
  root.append(
    el(
      'div',
      { class: 'bar' },
      el('label', {}, t().level, ' ', levelSel),
      el('a', { href: api(`/years/${state.year}/scorecard?level=${state.level}&format=xlsx`), id: 'xlsx' }, t().xlsx),
      el('a', { href: api(`/years/${state.year}/report.docx`), id: 'docx' }, t().docx),
    ),
    el(
      'p',
      { class: 'summary' },
      t()
        .summary(card.summary)
        .map((s) => el('span', {}, s)),
    ),
    table(
      t().cols,
      card.rows.map((r) =>
        el(
          'tr',
          { 'data-code': r.code },
          el('td', {}, zh() ? r.zh : r.en),
          el('td', {}, r.unitName),
          el('td', {}, r.unit),
          el('td', { class: 'num' }, num(r.value, r.unit)),
          el('td', { class: 'num' }, target(r.target)),
          el(
            'td',
            {},
            zh() ? r.evaluation : EVAL_EN[r.evaluation],
            r.noData ? el('div', { class: 'muted' }, zh() ? r.noData.zh : r.noData.en) : null,
          ),
          el(
            'td',
            {},
            r.warning ? el('span', { class: `w-${r.warning}` }, zh() ? r.warning : WARN_EN[r.warning]) : '—',
          ),
          el('td', { class: 'num' }, num(r.previous, r.unit)),
          el('td', {}, zh() ? r.obtained : OBT_EN[r.obtained]),
          el('td', {}, r.department),
        ),
      ),
    ),
  )
}

async function figuresTab(root) {
  const all = (await call(api(`/years/${state.year}/figures/tasks`))).tasks
  if (!state.department) state.department = all[0]?.department ?? ''
  const task = all.find((x) => x.department === state.department)
  const sel = el(
    'select',
    { id: 'department', on: { change: (e) => ((state.department = e.target.value), render()) } },
    all.map((x) => el('option', { value: x.department, selected: x.department === state.department }, x.department)),
  )
  const file = el('input', { type: 'file', accept: '.xlsx', id: 'template-file' })
  const submitAll = el('input', { type: 'checkbox', id: 'submit-all', checked: true })
  const upload = el(
    'button',
    {
      type: 'button',
      on: {
        click: async () => {
          if (!file.files[0]) return
          const fd = new FormData()
          fd.append('submit', submitAll.checked ? 'true' : 'false')
          fd.append('file', file.files[0])
          const r = await call(api(`/years/${state.year}/figures/import`), { method: 'POST', body: fd })
          say(`${t().saved}: ${r.rows}`)
          render()
        },
      },
    },
    t().upload,
  )
  root.append(
    el(
      'div',
      { class: 'bar' },
      el('label', {}, t().department, ' ', sel),
      el(
        'a',
        { href: api(`/years/${state.year}/figures/template?department=${encodeURIComponent(state.department)}`) },
        t().template,
      ),
      file,
      el('label', {}, submitAll, ' ', t().submitAll),
      upload,
    ),
  )
  if (!task) return root.append(el('p', {}, t().none))
  const rows = []
  for (const i of task.indicators)
    for (const u of i.units) {
      const f = u.figure
      const value = el('input', { class: 'value', value: f?.value ?? '', 'aria-label': `${i.zh} ${u.name}` })
      const sample = i.obtained === '问卷调查' ? el('input', { class: 'value', value: f?.sampleSize ?? '' }) : null
      const source = el('input', { class: 'text', value: f?.source ?? '' })
      const asOf = el('input', { class: 'value', value: f?.asOf ?? '', placeholder: `${state.year}年末` })
      const status = f?.status ?? 'missing'
      const go = (submit) => async () => {
        await send('PUT', api(`/years/${state.year}/figures`), {
          indicator: i.code,
          level: u.level,
          unit: u.code,
          value: value.value,
          sampleSize: sample?.value || null,
          source: source.value || null,
          asOf: asOf.value || null,
          submit,
        })
        say(t().saved)
        render()
      }
      rows.push(
        el(
          'tr',
          { 'data-code': i.code, 'data-unit': u.code },
          el('td', {}, zh() ? i.zh : i.en, el('div', { class: 'muted' }, i.unit)),
          el('td', {}, u.name),
          el('td', {}, value),
          el('td', {}, sample ?? '—'),
          el('td', {}, source),
          el('td', {}, asOf),
          el(
            'td',
            {},
            el('span', { class: `badge ${status}` }, t().status[status]),
            f?.comment ? el('div', { class: 'muted comment' }, f.comment) : null,
          ),
          el(
            'td',
            {},
            el('button', { type: 'button', class: 'save', on: { click: go(false) } }, t().save),
            ' ',
            el('button', { type: 'button', class: 'submit', on: { click: go(true) } }, t().submit),
          ),
        ),
      )
    }
  root.append(table(t().fcols, rows))
}

async function reviewTab(root) {
  const prog = (await call(api(`/years/${state.year}/figures/progress`))).departments
  root.append(
    table(
      t().pcols,
      prog.map((d) =>
        el(
          'tr',
          {},
          el('td', {}, d.department),
          ...[d.indicators, d.owed, d.missing, d.draft, d.submitted, d.returned, d.accepted].map((n) =>
            el('td', { class: 'num' }, n),
          ),
          el('td', {}, d.deadline ?? '—'),
          el('td', {}, d.late ? el('span', { class: 'badge overdue' }, t().yes) : ''),
        ),
      ),
    ),
  )
  const system = new Map((await call(api(`/years/${state.year}/system`))).entries.map((e) => [e.code, e]))
  const pending = (await call(api(`/years/${state.year}/figures?status=submitted`))).figures
  // Unit names from the tasks (a figure carries only its unit's code).
  const names = new Map()
  for (const task of (await call(api(`/years/${state.year}/figures/tasks`))).tasks)
    for (const i of task.indicators) for (const u of i.units) names.set(`${u.level}|${u.code}`, u.name)
  root.append(el('h2', {}, t().pending, ` (${pending.length})`))
  const decide = (f, action) => async () => {
    const comment = action === 'return' ? prompt(t().reason) : undefined
    if (action === 'return' && !comment) return
    await send('POST', api(`/years/${state.year}/figures/review`), {
      indicator: f.indicator,
      level: f.level,
      unit: f.unit,
      action,
      ...(comment ? { comment } : {}),
    })
    render()
  }
  root.append(
    table(
      t().rcols,
      pending.map((f) =>
        el(
          'tr',
          { 'data-code': f.indicator },
          el('td', {}, (zh() ? system.get(f.indicator)?.zh : system.get(f.indicator)?.en) ?? f.indicator),
          el('td', {}, names.get(`${f.level}|${f.unit}`) ?? f.unit, el('div', { class: 'muted' }, f.unit)),
          el('td', { class: 'num' }, num(f.value, system.get(f.indicator)?.unit)),
          el('td', {}, f.source ?? ''),
          el('td', {}, f.asOf ?? ''),
          el('td', {}, f.updatedBy),
          el(
            'td',
            {},
            el('button', { type: 'button', class: 'accept', on: { click: decide(f, 'accept') } }, t().accept),
            ' ',
            el('button', { type: 'button', class: 'return', on: { click: decide(f, 'return') } }, t().ret),
          ),
        ),
      ),
    ),
  )
}

async function rectifyTab(root) {
  const q = new URLSearchParams({ limit: '500' })
  if (state.assignee) q.set('assignee', state.assignee)
  const all = (await call(api(`/years/${state.year}/problems?${q}`))).problems.filter(
    (p) => state.assignee || p.assignee,
  )
  const departments = [
    ...new Set((await call(api(`/years/${state.year}/figures/tasks`))).tasks.map((x) => x.department)),
  ]
  for (const p of all) if (p.assignee && !departments.includes(p.assignee)) departments.push(p.assignee)
  const sel = el(
    'select',
    { id: 'assignee', on: { change: (e) => ((state.assignee = e.target.value), render()) } },
    el('option', { value: '' }, t().all),
    departments.map((d) => el('option', { value: d, selected: d === state.assignee }, d)),
  )
  root.append(el('div', { class: 'bar' }, el('label', {}, t().assignee, ' ', sel)))
  const id = (p) => encodeURIComponent(p.id)
  const step = (p, status, how) => async () => {
    const body = { status }
    if (status === '申请销号') {
      const ev = prompt(t().evidence)
      if (!ev) return
      body.evidence = ev
    }
    if (how === 'rectify') await send('POST', api(`/years/${state.year}/problems/${id(p)}/rectify`), body)
    else await send('PATCH', api(`/years/${state.year}/problems/${id(p)}`), body)
    render()
  }
  const btn = (label, cls, f) => el('button', { type: 'button', class: cls, on: { click: f } }, label)
  root.append(
    table(
      t().xcols,
      all.map((p) =>
        el(
          'tr',
          { 'data-id': p.id },
          el('td', {}, zh() ? p.indicatorZh : p.indicatorEn),
          el('td', {}, p.unitName, p.parent ? el('div', { class: 'muted' }, p.parent.name) : null),
          el('td', {}, zh() ? p.severity : SEV_EN[p.severity]),
          el('td', {}, el('span', { class: `badge ${p.status}` }, zh() ? p.status : STATUS_EN[p.status])),
          el('td', {}, p.assignee ?? '—'),
          el('td', {}, p.deadline ?? '—', p.overdue ? el('span', { class: 'badge overdue' }, ` ${t().overdue}`) : null),
          el('td', {}, p.evidence ?? ''),
          el(
            'td',
            {},
            p.status === '待整改' ? btn(t().start, 'start', step(p, '整改中', 'rectify')) : null,
            p.status === '整改中' ? btn(t().ask, 'ask', step(p, '申请销号', 'rectify')) : null,
            p.status === '申请销号' ? btn(t().close, 'close', step(p, '已销号', 'review')) : null,
            p.status === '申请销号' ? btn(t().reopen, 'reopen', step(p, '整改中', 'review')) : null,
          ),
        ),
      ),
    ),
  )
}

async function effectTab(root) {
  const e = await call(api(`/years/${state.year}/effect`))
  root.append(el('p', { class: 'summary' }, t().eSummary(e)))
  root.append(
    table(
      t().ecols,
      e.items.map((i) =>
        el(
          'tr',
          { 'data-verdict': i.verdict },
          el('td', {}, i.indicatorZh),
          el('td', {}, i.unitCode),
          el('td', {}, i.assignee ?? '—'),
          el('td', { class: 'num' }, num(i.before)),
          el('td', { class: 'num' }, num(i.now)),
          el('td', {}, zh() ? i.verdict : i.verdictEn),
        ),
      ),
    ),
  )
}

const TABS = { scorecard: scorecardTab, figures: figuresTab, review: reviewTab, rectify: rectifyTab, effect: effectTab }

async function render() {
  document.documentElement.lang = zh() ? 'zh-CN' : 'en'
  document.title = t().title
  document.getElementById('title').textContent = t().title
  document.getElementById('to-map').textContent = t().map
  document.getElementById('to-leader').textContent = t().leader
  document.getElementById('lang').textContent = zh() ? 'English' : '中文'
  for (const b of document.querySelectorAll('#tabs button')) {
    b.textContent = t().tabs[b.dataset.tab]
    b.classList.toggle('on', b.dataset.tab === state.tab)
  }
  if (!state.year) state.year = (await call(api('/years'))).years?.[0]
  keepUrl()
  for (const id of Object.keys(TABS)) document.getElementById(id).hidden = id !== state.tab
  const root = document.getElementById(state.tab)
  const fresh = el('section', { id: state.tab })
  try {
    await TABS[state.tab](fresh)
  } finally {
    root.replaceWith(fresh)
    // Tests and scripts wait for this: which tab is drawn, in which language.
    document.body.dataset.ready = `${state.tab}:${state.lang}`
  }
}

for (const b of document.querySelectorAll('#tabs button'))
  b.addEventListener('click', () => {
    state.tab = b.dataset.tab
    render()
  })
document.getElementById('lang').addEventListener('click', () => {
  state.lang = zh() ? 'en' : 'zh'
  localStorage.setItem('lang', state.lang)
  document.documentElement.lang = zh() ? 'zh-CN' : 'en'
  refreshSessionLabels()
  render()
})
await mountSession(document.getElementById('nav'), () => render())
render()
