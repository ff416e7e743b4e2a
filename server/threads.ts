// Worker threads that run TypeScript as the server does (Node cannot start a `.ts` worker by itself).
// Used for the walking network (network/build-worker.ts) and for converting a large upload's features
// (import/convert-worker.ts). The module is bundled by esbuild (tsx's own compiler) into one plain
// ES module under node_modules/.cache, so that bare imports still resolve, and the thread loads that:
// with tsx's loader registered in the thread instead, each of its ~40 modules was resolved through
// the loader's hooks thread and compiled on its own, ~0.5 s of the thread's CPU at every start (a
// CPU profile of the 1M cold run) while both cores were busy reading the city. Where the bundle
// cannot be made (esbuild's binary missing for the platform, no writable cache), the thread registers
// tsx and imports the module.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { buildSync } from 'esbuild'

function resolved(specifier: string): string {
  try {
    return import.meta.resolve(specifier)
  } catch {
    return specifier
  }
}

const TSX_API = JSON.stringify(resolved('tsx/esm/api'))

/** The folder of node_modules/.cache/citycheck-workers beside the packages the bundles import. */
function cacheDir(): string {
  const esbuild = fileURLToPath(resolved('esbuild'))
  const at = esbuild.lastIndexOf(`${path.sep}node_modules${path.sep}`)
  return path.join(esbuild.slice(0, at), 'node_modules', '.cache', 'citycheck-workers')
}

const bundles = new Map<string, string | null>()
const sha1 = (s: string) => crypto.createHash('sha1').update(s).digest('hex')

/** The inputs of a bundle as they were when it was made: each file's size and modification time. */
type Manifest = { output: string; inputs: [string, number, number][] }

const stamp = (file: string): [string, number, number] => {
  const st = fs.statSync(file)
  return [file, st.size, st.mtimeMs]
}

/** The bundle a manifest names, if every input it lists is as it was then. */
function unchanged(manifest: string): string | null {
  try {
    const m = JSON.parse(fs.readFileSync(manifest, 'utf8')) as Manifest
    const same = m.inputs.every(([f, size, mtime]) => {
      const [, s, t] = stamp(f)
      return s === size && t === mtime
    })
    return same && fs.existsSync(m.output) ? m.output : null
  } catch {
    return null
  }
}

/** Writes through a temporary name, then renames: another process may be starting the same worker. */
function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`
  fs.writeFileSync(tmp, text)
  fs.renameSync(tmp, file)
}

/**
 * The module bundled (packages left as imports), under a name from its content, or null if that
 * fails. A manifest beside it lists the source files it was made from with their sizes and times: a
 * new process whose sources are all as listed takes the bundle without bundling again (esbuild's
 * synchronous build held the thread ~0.1 s); any other is bundled again, so a changed source is never
 * run stale.
 */
export function bundled(module: URL): string | null {
  if (bundles.has(module.href)) return bundles.get(module.href)!
  let file: string | null = null
  try {
    const entry = fileURLToPath(module)
    const dir = cacheDir()
    const base = path.basename(entry).replace(/\.ts$/, '')
    const manifest = path.join(dir, `${base}-${sha1(entry).slice(0, 16)}.json`)
    file = unchanged(manifest)
    if (!file) {
      const cwd = path.dirname(entry)
      const r = buildSync({
        entryPoints: [entry],
        absWorkingDir: cwd,
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        packages: 'external',
        write: false,
        metafile: true,
        logLevel: 'silent',
      })
      const out = r.outputFiles[0].text
      file = path.join(dir, `${base}-${sha1(out).slice(0, 16)}.mjs`)
      fs.mkdirSync(dir, { recursive: true })
      if (!fs.existsSync(file)) writeAtomic(file, out)
      const inputs = Object.keys(r.metafile.inputs).map((f) => stamp(path.resolve(cwd, f)))
      writeAtomic(manifest, JSON.stringify({ output: file, inputs } satisfies Manifest))
    }
  } catch {
    file = null
  }
  bundles.set(module.href, file)
  return file
}

/** A worker thread running the TypeScript module at `module`. */
export function tsWorker(module: URL): Worker {
  const file = module.pathname.endsWith('.ts') ? bundled(module) : null
  const w = file
    ? new Worker(pathToFileURL(file))
    : new Worker(
        `import(${TSX_API}).then((tsx) => { tsx.register(); return import(${JSON.stringify(module.href)}) })`,
        { eval: true },
      )
  // Its callers listen for failure and fall back to their own thread; a second error must not go uncaught.
  w.on('error', () => {})
  return w
}
