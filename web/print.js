// A print layout for a map figure: the report's figure (title, legend, scale bar, north arrow, source)
// drawn at 150 dpi for an A4 or A3 landscape sheet, and @page set to match, so the print is the PNG.
import { api, apiFetch } from '/session.js'

const params = new URLSearchParams(location.search)
const lang = params.get('lang') === 'en' ? 'en' : 'zh'
const T = {
  zh: { title: '城市体检 · 打印专题图', size: '纸张', print: '打印', A4: 'A4 横向', A3: 'A3 横向' },
  en: {
    title: 'Urban health check · Print a map',
    size: 'Paper',
    print: 'Print',
    A4: 'A4 landscape',
    A3: 'A3 landscape',
  },
}[lang]
// Landscape sheets in mm, and their pixels at 150 dpi (less 10 mm margins).
const SHEETS = { A4: [297, 210], A3: [420, 297] }
const $ = (s) => document.querySelector(s)

document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en'
document.title = T.title
$('#l-size').textContent = T.size
$('#print').textContent = T.print
for (const o of $('#size').options) o.textContent = T[o.value]
$('#size').value = SHEETS[params.get('size')] ? params.get('size') : 'A4'

async function draw() {
  const size = $('#size').value
  const [wmm, hmm] = SHEETS[size]
  const px = (mm) => Math.round(((mm - 20) / 25.4) * 150)
  const q = new URLSearchParams({
    level: params.get('level') === 'street' ? 'street' : 'community',
    width: String(px(wmm)),
    height: String(px(hmm)),
    lang,
  })
  if (params.get('unit')) q.set('unit', params.get('unit'))
  const url = api(
    `/years/${Number(params.get('year'))}/maps/${encodeURIComponent(params.get('indicator') ?? '')}.png?${q}`,
  )
  // With the token where reading is closed: fetched, then shown from a blob.
  const r = await apiFetch(url)
  const img = $('#figure')
  if (!r.ok) {
    const e = await r.json().catch(() => null)
    img.replaceWith(Object.assign(document.createElement('p'), { textContent: e?.error?.message ?? String(r.status) }))
    return
  }
  const blob = URL.createObjectURL(await r.blob())
  img.onload = () => {
    document.body.dataset.ready = size
  }
  img.src = blob
  $('#download').href = blob
  $('#download').download = `${params.get('indicator')}-${size}.png`
  $('#page-size').textContent = `@page { size: ${size} landscape; margin: 10mm; }`
  const p = new URLSearchParams(location.search)
  p.set('size', size)
  history.replaceState(null, '', `?${p}`)
}
$('#size').addEventListener('change', draw)
$('#print').addEventListener('click', () => window.print())
draw()
