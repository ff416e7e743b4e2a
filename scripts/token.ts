// Tokens kept in the database (only their SHA-256):
//   npm run token -- create <name> --role uploader [--city 320100 --city 320200]   prints a new token once
//   npm run token -- create 市水务局 --role reporter --department 市水务局      a department's reporter
//   npm run token -- revoke <name>
//   npm run token -- list
// Roles: admin, uploader, reporter, inspector, reviewer, viewer (GET /api/roles lists their rights).
// Without --city the token reaches every city.
import { parseArgs } from 'node:util'
import { loadConfig } from '../server/config.ts'
import { openDatabase } from '../server/db/engine.ts'
import { AppError } from '../server/errors.ts'
import { checkTokenSpec, createToken, listTokens, revokeToken } from '../server/auth/tokens.ts'

const {
  values: o,
  positionals: [cmd, name],
} = parseArgs({
  allowPositionals: true,
  options: {
    role: { type: 'string', default: 'uploader' },
    city: { type: 'string', multiple: true },
    department: { type: 'string' },
  },
})
const config = loadConfig()
const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir })
try {
  if (cmd === 'create' && name) {
    const spec = checkTokenSpec({ name, role: o.role, cities: o.city ?? [], department: o.department })
    for (const c of spec.cities ?? [])
      if (!(await db.knex('cities').where({ code: c }).first())) throw new AppError('CC_CITY_UNKNOWN', { city: c })
    console.log(await createToken(db.knex, spec))
  } else if (cmd === 'revoke' && name) console.log(`revoked ${await revokeToken(db.knex, name)} token(s)`)
  else if (cmd === 'list')
    console.table((await listTokens(db.knex)).map((t) => ({ ...t, cities: t.cities?.join(',') ?? '(all)' })))
  else {
    console.error('usage: npm run token -- create <name> --role <role> [--city <code>…] | revoke <name> | list')
    process.exitCode = 2
  }
} catch (e) {
  console.error(e instanceof AppError ? `${e.code}: ${e.message}` : e)
  process.exitCode = 1
} finally {
  await db.close()
}
