import { INDICATORS } from '../server/indicators/registry.ts'
for (const d of INDICATORS) console.log(d.code, '|', d.kind, '|', d.source)
