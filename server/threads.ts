// Worker threads that run TypeScript as the server does (Node cannot start a `.ts` worker by itself).
// Used for the walking network (network/build-worker.ts) and for converting a large upload's features
// (import/convert-worker.ts). The module is bundled by esbuild (tsx's own compiler) into one plain
// ES module under node_modules/.cache, so that bare imports still resolve, and the thread loads that:
// with tsx's loader registered in the thread instead, each of its ~40 modules was resolved through
// the loader's hooks thread and compiled on its own, ~0.5 s of the thread's CPU at every start (a
// CPU profile of the 1M cold run) while both cores were busy reading the city. Where the bundle
// cannot be made (no esbuild, no writable cache), the thread registers tsx and imports the module.
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

/**
 * The module bundled (packages left as imports), written once under a name from its content: bundled
 * again at each first use in a process, so a changed source is never run stale. Null if that fails.
 */
export function bundled(module: URL): string | null {
  if (bundles.has(module.href)) return bundles.get(module.href)!
  let file: string | null = null
  try {
    const out = buildSync({
      entryPoints: [fileURLToPath(module)],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      write: false,
      logLevel: 'silent',
    }).outputFiles[0].text
    const dir = cacheDir()
    const name = `${path.basename(module.pathname).replace(/\.ts$/, '')}-${crypto.createHash('sha1').update(out).digest('hex').slice(0, 16)}.mjs`
    file = path.join(dir, name)
    if (!fs.existsSync(file)) {
      fs.mkdirSync(dir, { recursive: true })
      // (written under a temporary name, then renamed: another process may be starting the same worker)
      const tmp = `${file}.${process.pid}.tmp`
      fs.writeFileSync(tmp, out)
      fs.renameSync(tmp, file)
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
