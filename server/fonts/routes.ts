// The pages' fallback font: /fonts/faces.css (two @font-face rules, see faces.ts), the common subset it
// names (content-addressed, so cached for good) and the whole font (served as a file, in app.ts).
import type { FastifyPluginAsync } from 'fastify'
import { facesCss, fontFaces } from './faces.ts'

export function fontRoutes(webDir: string): FastifyPluginAsync {
  return async (app) => {
    app.get('/fonts/faces.css', { schema: { hide: true } }, async (_req, reply) => {
      const css = await facesCss(webDir)
      return reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(css)
    })
    app.get('/fonts/subset/:name', { schema: { hide: true } }, async (req, reply) => {
      const f = await fontFaces(webDir).catch(() => null)
      if (!f || (req.params as { name: string }).name !== f.subsetName) return reply.code(404).send()
      return reply.type('font/otf').header('cache-control', 'public, max-age=31536000, immutable').send(f.subset)
    })
  }
}
