// DOM building for the pages: elements whose children are nodes or text — a string always becomes a text
// node, never markup, so anything a user typed reaches the page as text.

/** An element with attributes (`on`: event handlers, `class`), and children as nodes or text. */
export function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue
    if (k === 'on') for (const [ev, f] of Object.entries(v)) e.addEventListener(ev, f)
    else if (k === 'class') e.className = v
    else e.setAttribute(k, v === true ? '' : String(v))
  }
  for (const c of kids.flat()) if (c != null) e.append(c instanceof Node ? c : document.createTextNode(String(c)))
  return e
}
