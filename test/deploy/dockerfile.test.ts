import { readFile } from 'node:fs/promises'
import type { Test } from 'tap'
import { EnvSchema } from '../../src/config.js'
import { runAlone } from '../support/test-file.js'

interface Instruction { keyword: string, args: string }
interface Stage { name: string | undefined, from: string, instructions: Instruction[] }

const ROOT = new URL('../../', import.meta.url)
const text = await readFile(new URL('Dockerfile', ROOT), 'utf8')
const dockerignore = (await readFile(new URL('.dockerignore', ROOT), 'utf8')).split('\n').map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'))
const packageJson = JSON.parse(await readFile(new URL('package.json', ROOT), 'utf8')) as { scripts: Record<string, string> }
const nvmrc = (await readFile(new URL('.nvmrc', ROOT), 'utf8')).trim()
const tsconfigBuild = JSON.parse(await readFile(new URL('tsconfig.build.json', ROOT), 'utf8')) as { include: string[] }

/** Stages and their instructions; continuation lines joined, comments dropped. */
function parseDockerfile (source: string): Stage[] {
  const stages: Stage[] = []
  const lines = source.replace(/\\\n/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'))
  for (const line of lines) {
    const [keyword = '', ...rest] = line.split(/\s+/)
    const args = rest.join(' ')
    if (keyword.toUpperCase() === 'FROM') {
      const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args)
      stages.push({ from: match?.[1] ?? args, name: match?.[2], instructions: [] })
    } else {
      stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args })
    }
  }
  return stages
}

const stages = parseDockerfile(text)
const build = stages[0]
const runtime = stages.at(-1)
const all = (stage: Stage | undefined, keyword: string) => stage?.instructions.filter((i) => i.keyword === keyword).map((i) => i.args) ?? []

/** The tests of this file: run in its group's process (test/groups/members.ts), or alone by runAlone below. */
export default async function dockerfileTests (t: Test): Promise<void> {
  t.test('the image is built in one stage and runs from another', async (t) => {
    t.ok(stages.length >= 2, 'multi-stage')
    t.ok(build?.name !== undefined && build.name !== runtime?.name)
    t.ok(all(build, 'RUN').some((run) => /^npm ci$/.test(run)), 'build stage installs every dependency, dev ones included')
    t.ok(all(build, 'RUN').some((run) => /npm run build/.test(run)), 'build stage compiles')
    t.ok(all(runtime, 'RUN').some((run) => /npm ci --omit=dev/.test(run)), 'runtime installs production dependencies only')
    t.ok(all(runtime, 'COPY').some((copy) => copy.startsWith(`--from=${build?.name ?? '?'} `) && copy.includes('/app/dist')),
      'runtime takes the compiled dist/ from the build stage')
  })

  t.test('every stage runs the Node version of .nvmrc on Debian slim', async (t) => {
    // ARG lines before the first FROM are outside any stage, so the parser above does not see them.
    const defaults = [...text.matchAll(/^ARG\s+NODE_VERSION=(\S+)\s*$/gm)].map((match) => match[1])
    t.same(defaults, [nvmrc], `one ARG NODE_VERSION, defaulting to .nvmrc's ${nvmrc}`)
    t.match(nvmrc, /^\d+\.\d+\.\d+$/, '.nvmrc names an exact version')
    // eslint-disable-next-line no-template-curly-in-string -- Docker's ${…}, expanded by the build, not by JavaScript
    for (const stage of stages) t.equal(stage.from, 'node:${NODE_VERSION}-bookworm-slim', `${stage.name ?? '?'} is built FROM the pinned version`)
  })

  t.test('the build stage copies every directory the build compiles', async (t) => {
    const copied = all(build, 'COPY').flatMap((copy) => copy.split(/\s+/).slice(0, -1))
    for (const dir of tsconfigBuild.include) t.ok(copied.includes(dir), `${dir}/ is copied into the build stage`)
    for (const file of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'migrations']) {
      t.ok(copied.includes(file), `${file} is copied`)
      t.notOk(dockerignore.includes(file), `${file} is not excluded by .dockerignore`)
    }
  })

  t.test('the build context leaves out local state and secrets', async (t) => {
    for (const entry of ['node_modules', 'dist', '.git', '.env', '.data']) t.ok(dockerignore.includes(entry), `${entry} is ignored`)
  })

  t.test('the container runs as a non-root user in production mode', async (t) => {
    const user = all(runtime, 'USER').at(-1)
    t.ok(user !== undefined, 'runtime stage sets USER')
    t.notMatch(user, /^(root|0)(:|$)/)
    t.match(user, /^\d+(:\d+)?$/, 'numeric, so Kubernetes runAsNonRoot can verify it')
    t.ok(all(runtime, 'ENV').some((env) => /^NODE_ENV=production$/.test(env)))
  })

  t.test('the container listens where the app listens by default', async (t) => {
    t.same(all(runtime, 'EXPOSE'), [String(EnvSchema.properties.PORT.default)])
  })

  t.test('the container starts what npm start starts, without npm', async (t) => {
    const cmd = JSON.parse(all(runtime, 'CMD').at(-1) ?? 'null') as unknown
    t.ok(Array.isArray(cmd), 'exec form, so node is PID 1 and receives SIGTERM itself')
    t.same(cmd, packageJson.scripts.start?.split(' '))
  })
}

await runAlone(import.meta.url, dockerfileTests)
