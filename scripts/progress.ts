// A one-line progress bar on stderr (redrawn in place on a terminal, one line per stage otherwise).
import type { OnProgress } from '../server/import/pipeline.ts'

const LABEL: Record<string, string> = {
  read: '读取 read',
  normalise: '坐标与字段 normalise',
  write: '写入 write',
  validate: '校验 validate',
  index: '索引 index',
  done: '完成 done',
}

export function progressBar(name: string): OnProgress {
  const tty = process.stderr.isTTY
  let last = ''
  const t0 = Date.now()
  return (stage, done, total) => {
    const pct = total ? Math.min(1, (done ?? 0) / total) : stage === 'done' ? 1 : 0
    const width = 30
    const bar = '█'.repeat(Math.round(pct * width)) + '░'.repeat(width - Math.round(pct * width))
    const line = `${name} ${bar} ${(pct * 100).toFixed(0).padStart(3)}% ${LABEL[stage]}${total ? ` ${done ?? 0}/${total}` : ''} ${((Date.now() - t0) / 1000).toFixed(1)}s`
    if (tty) process.stderr.write(`\r${line}${stage === 'done' ? '\n' : ''}`)
    else if (stage !== last) process.stderr.write(line + '\n')
    last = stage
  }
}
