// What every page shares: the signed-in token (kept for this browser session only, sent with every
// API request and tile), the chosen city (?city= in the URL, else the last one chosen, else the
// only one), and the header widgets for both. A page with one city never shows a city picker.
const KEY_TOKEN = 'citycheck-token'
const KEY_CITY = 'citycheck-city'
const params = new URLSearchParams(location.search)

const L = {
  zh: {
    signIn: '登录',
    signOut: '退出',
    token: '令牌',
    prompt: '请输入令牌（由管理员发放）',
    city: '城市',
    bad: '令牌无效或无权访问',
    need: '此操作需要登录',
  },
  en: {
    signIn: 'Sign in',
    signOut: 'Sign out',
    token: 'Token',
    prompt: 'Enter your token (from your administrator)',
    city: 'City',
    bad: 'Invalid token or no access',
    need: 'This needs you to sign in',
  },
}
const lang = () => (document.documentElement.lang === 'en' ? 'en' : 'zh')
const tr = (k) => L[lang()][k]

export const session = {
  get token() {
    return sessionStorage.getItem(KEY_TOKEN) || ''
  },
  set token(v) {
    if (v) sessionStorage.setItem(KEY_TOKEN, v)
    else sessionStorage.removeItem(KEY_TOKEN)
  },
  city: params.get('city') || sessionStorage.getItem(KEY_CITY) || '',
  cities: [],
}

const authHeaders = () => (session.token ? { Authorization: `Bearer ${session.token}` } : {})

/** The API path of the chosen city (the default city while none is chosen). */
export function api(path) {
  return session.city ? `/api/cities/${session.city}${path}` : `/api${path}`
}

/** The tile path of the chosen city. */
export function tilePath(path) {
  return session.city ? `/tiles/${session.city}${path}` : `/tiles${path}`
}

/** fetch with the token; a 401 opens the sign-in dialog and retries once signed in. */
export async function apiFetch(url, opts = {}) {
  const r = await fetch(url, { ...opts, headers: { ...(opts.headers || {}), ...authHeaders() } })
  if (r.status === 401 && !opts.noPrompt && (await signIn(tr('need'))))
    return apiFetch(url, { ...opts, noPrompt: true })
  return r
}

/** MapLibre's transformRequest: tiles carry the token too, so closed reading works in the browser. */
export function transformRequest(url) {
  if (session.token && (url.startsWith(`${location.origin}/tiles/`) || url.startsWith(`${location.origin}/api/`)))
    return { url, headers: authHeaders() }
  return { url }
}

/**
 * Asks for a token; resolves true when one was given and the server accepts it. Requests refused
 * together (a page's first replies are asked for at once) share one dialog and all retry after it.
 */
let asking = null
export function signIn(reason = '') {
  asking ??= ask(reason).finally(() => {
    asking = null
  })
  return asking
}
function ask(reason) {
  return new Promise((resolve) => {
    const dlg = document.createElement('dialog')
    dlg.className = 'signin'
    dlg.innerHTML = `<form method="dialog"><p class="reason"></p><label><span></span> <input name="token" type="password" autocomplete="off" required></label>
      <p class="err" hidden></p><button value="ok"></button> <button value="cancel" formnovalidate></button></form>`
    // Text only, never HTML: the reason may echo a server message.
    dlg.querySelector('.reason').textContent = reason || tr('prompt')
    dlg.querySelector('label span').textContent = tr('token')
    const [ok, cancel] = dlg.querySelectorAll('button')
    ok.textContent = tr('signIn')
    cancel.textContent = '×'
    document.body.append(dlg)
    dlg.addEventListener('close', async () => {
      const v = dlg.querySelector('input').value.trim()
      dlg.remove()
      if (dlg.returnValue !== 'ok' || !v) return resolve(false)
      const check = await fetch('/api/cities', { headers: { Authorization: `Bearer ${v}` } })
      if (!check.ok) {
        alert(tr('bad'))
        return resolve(false)
      }
      session.token = v
      renderAuth()
      resolve(true)
    })
    dlg.showModal()
  })
}

let authBox = null
function renderAuth() {
  if (!authBox) return
  authBox.replaceChildren()
  const b = document.createElement('button')
  b.type = 'button'
  b.id = 'signin'
  b.textContent = session.token ? tr('signOut') : tr('signIn')
  b.onclick = async () => {
    if (session.token) {
      session.token = ''
      renderAuth()
      location.reload()
    } else if (await signIn()) location.reload()
  }
  authBox.append(b)
}

/**
 * Puts the sign-in button and (with several cities) the city picker into `nav`, and settles the
 * city. Resolves to the list of cities.
 */
export async function mountSession(nav, onCity) {
  authBox = document.createElement('span')
  authBox.className = 'auth'
  nav.append(authBox)
  renderAuth()
  const r = await apiFetch('/api/cities')
  session.cities = r.ok ? (await r.json()).cities : []
  if (!session.cities.some((c) => c.code === session.city)) session.city = session.cities[0]?.code ?? ''
  if (session.city) sessionStorage.setItem(KEY_CITY, session.city)
  if (session.cities.length > 1) {
    const label = document.createElement('label')
    label.className = 'city'
    const span = document.createElement('span')
    span.textContent = tr('city') + ' '
    const sel = document.createElement('select')
    sel.id = 'city'
    for (const c of session.cities) {
      const o = document.createElement('option')
      o.value = c.code
      o.textContent = `${c.name} ${c.code}`
      sel.append(o)
    }
    sel.value = session.city
    sel.onchange = () => {
      session.city = sel.value
      sessionStorage.setItem(KEY_CITY, session.city)
      const u = new URL(location.href)
      u.searchParams.set('city', session.city)
      history.replaceState(null, '', u)
      onCity?.(session.city)
    }
    label.append(span, sel)
    nav.prepend(label)
  }
  return session.cities
}

export function refreshSessionLabels() {
  renderAuth()
}
