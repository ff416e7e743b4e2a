// Upload tokens kept in the database (only their SHA-256):
//   npm run token -- create <name>     prints a new token once
//   npm run token -- revoke <name>
//   npm run token -- list
import { loadConfig } from '../server/config.ts'
import { openDatabase } from '../server/db/engine.ts'
import { createToken, revokeToken } from '../server/auth/tokens.ts'

const [cmd, name] = process.argv.slice(2)
const config = loadConfig()
const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir })
try {
  if (cmd === 'create' && name) console.log(await createToken(db.knex, name))
  else if (cmd === 'revoke' && name) console.log(`revoked ${await revokeToken(db.knex, name)} token(s)`)
  else if (cmd === 'list') console.table(await db.knex('api_tokens').select('name', 'created_at', 'revoked_at').orderBy('id'))
  else { console.error('usage: npm run token -- create|revoke <name> | list'); process.exitCode = 2 }
} finally {
  await db.close()
}
