/**
 * The layer rules of ARCHITECTURE.md, checked on every `npm run lint` (and so in CI):
 *
 *   routes/ → src/ services → repositories → src/database/
 *   schemas/ imports nothing of ours (only TypeBox and Node's own modules)
 *   nothing in src/ imports plugins/ except src/app.ts, which assembles them
 *   no cycles
 *
 * A repository is `src/<domain>/repository.ts` or `src/<domain>/<name>-repository.ts`: the files that hold SQL.
 */
const REPOSITORY = '^src/[^/]+/(repository|[^/]+-repository)\\.ts$'
const OURS = '^(src|plugins|routes|schemas|scripts|bench|test|client)/'

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle makes load order matter and layers meaningless: split the shared part out.',
      from: {},
      to: { circular: true }
    },
    {
      name: 'schemas-import-nothing-of-ours',
      severity: 'error',
      comment: 'schemas/ is the contract: TypeBox schemas and constants, importable by every layer, importing none.',
      from: { path: '^schemas/' },
      to: { path: OURS, pathNot: '^schemas/' }
    },
    {
      name: 'schemas-only-typebox',
      severity: 'error',
      comment: 'schemas/ may use TypeBox (and Node built-ins such as node:http STATUS_CODES), no other package.',
      from: { path: '^schemas/' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'], pathNot: '^node_modules/@sinclair/typebox/' }
    },
    {
      name: 'src-not-to-plugins',
      severity: 'error',
      comment: 'Plugins wire src/ into Fastify; src/ must not depend on them. Only src/app.ts registers them.',
      from: { path: '^src/', pathNot: '^src/app\\.ts$' },
      to: { path: '^plugins/' }
    },
    {
      name: 'nothing-imports-routes',
      severity: 'error',
      comment: 'routes/ is autoloaded by src/app.ts; nothing imports a route module.',
      from: { path: '^(src|plugins|schemas)/' },
      to: { path: '^routes/' }
    },
    {
      name: 'routes-through-services',
      severity: 'error',
      comment: 'Routes are thin: they call services, never repositories, the database layer or plugins directly.',
      from: { path: '^routes/' },
      to: { path: [REPOSITORY, '^src/database/', '^plugins/'] }
    },
    {
      name: 'plugins-not-to-repositories',
      severity: 'error',
      comment: 'Plugins are infrastructure: business reads and writes go through a service in src/.',
      from: { path: '^plugins/' },
      to: { path: REPOSITORY }
    },
    {
      name: 'repositories-only-down',
      severity: 'error',
      comment: 'A repository holds SQL: it may use the database layer, schemas (types) and other repositories, ' +
        'never a service, the cache or HTTP errors.',
      from: { path: REPOSITORY },
      to: { path: '^src/', pathNot: [REPOSITORY, '^src/database/(types|errors)\\.ts$'] }
    },
    {
      name: 'database-knows-no-domain',
      severity: 'error',
      comment: 'src/database/ is the bottom layer: it imports only itself, the shared errors module and schemas/ constants.',
      from: { path: '^src/database/' },
      to: { path: OURS, pathNot: ['^src/database/', '^src/errors\\.ts$', '^schemas/'] }
    }
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|coverage|\\.tap)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json']
    },
    reporterOptions: { text: { highlightFocused: true } }
  }
}
