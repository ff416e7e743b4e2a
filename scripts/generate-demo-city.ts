// npm run demo:generate [-- outDir [cols rows]]: writes the demo city's GeoJSON layers.
import path from 'node:path'
import { generateCity } from '../server/demo/generate.ts'

const out = path.resolve(process.argv[2] ?? path.join(import.meta.dirname, '../geodata/demo-city'))
const cols = process.argv[3] ? Number(process.argv[3]) : undefined
const rows = process.argv[4] ? Number(process.argv[4]) : undefined
const t = Date.now()
const counts = generateCity(out, { cols, rows })
console.log(`demo city → ${out} (${Date.now() - t} ms)`, counts)
