// Worker threads from TypeScript modules: bundled once per content into plain ES modules.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import { bundled, tsWorker } from './threads.ts'

describe('worker threads', () => {
  it('run a TypeScript module bundled under a name from its content, its imports resolved', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-threads-'))
    try {
      const dep = path.join(dir, 'dep.ts')
      const main = path.join(dir, 'main.ts')
      fs.writeFileSync(dep, 'export const twice = (n: number): number => 2 * n\n')
      fs.writeFileSync(
        main,
        "import { parentPort } from 'node:worker_threads'\nimport { twice } from './dep.ts'\nparentPort!.on('message', (n: number) => parentPort!.postMessage(twice(n)))\n",
      )
      const file = bundled(pathToFileURL(main))
      expect(file).toMatch(/node_modules[/\\].cache[/\\]citycheck-workers[/\\]main-[0-9a-f]{16}\.mjs$/)
      const w = tsWorker(pathToFileURL(main))
      try {
        w.postMessage(21)
        const [answer] = await once(w, 'message')
        expect(answer).toBe(42)
      } finally {
        await w.terminate()
      }
      // Asked again with its sources as they were (as a new process would be), the same bundle.
      expect(bundled(new URL(`${pathToFileURL(main).href}?same`))).toBe(file)
      // Another source is another bundle (the first is not run stale); the same source, the same file.
      fs.writeFileSync(dep, 'export const twice = (n: number): number => n + n + 0\n')
      const next = bundled(new URL(`${pathToFileURL(main).href}?again`))
      expect(next).not.toBe(file)
      expect(fs.existsSync(next!)).toBe(true)
      // (the test's own bundles and manifest go: the cache is the project's)
      for (const f of fs.readdirSync(path.dirname(file!)))
        if (/^main-[0-9a-f]{16}\.(mjs|json)$/.test(f)) fs.rmSync(path.join(path.dirname(file!), f))
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
