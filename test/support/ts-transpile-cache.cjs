'use strict'
/**
 * The TypeScript transpiler of the test runs (tsconfig.json "ts-node": { "transpiler": … }): exactly the transpile
 * ts-node's transpile-only mode does by default (its own createTsTranspileModule, same compiler options, same
 * module format), with each output kept on disk by a hash of everything that decides it (TypeScript's version,
 * the compiler options, the module format, the file name and its text).
 *
 * Why: tap runs every test file in a process of its own, and each process transpiled the same ~150 source files
 * again: about 1.5 s of CPU per test file, most of a small file's cost. A cached output is byte for byte the
 * output TypeScript gives, so the code that runs and the source maps coverage is mapped through do not change
 * (an SWC transpile was measured too: as fast, but its source maps moved the coverage figures).
 * Output with diagnostics is never cached, so a syntax error is reported every time.
 */
const { createHash } = require('node:crypto')
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs')
const { dirname, join } = require('node:path')

const TS_NODE_DIST = dirname(require.resolve('@isaacs/ts-node-temp-fork-for-pr-2009'))
const { createTsTranspileModule } = require(join(TS_NODE_DIST, 'ts-transpile-module.js'))

/** Bump to drop every cached output (a change of this file's way of transpiling). */
const CACHE_FORMAT = 1
const CACHE_DIR = join(__dirname, '..', '..', 'node_modules', '.cache', 'ts-transpile')

exports.create = function create ({ service, nodeModuleEmitKind }) {
  const ts = require(service.projectLocalResolveHelper(service.options.compiler ?? 'typescript', true))
  const compilerOptions = service.config.options
  const transpile = createTsTranspileModule(ts, { compilerOptions, reportDiagnostics: true, transformers: undefined })
  // ts-node's own call: the format a package.json "type" would give (ESM for its nodeesm emit, else CommonJS).
  const packageJsonType = nodeModuleEmitKind === 'nodeesm' ? 'module' : 'commonjs'
  const settings = JSON.stringify([CACHE_FORMAT, ts.version, compilerOptions, packageJsonType])
  mkdirSync(CACHE_DIR, { recursive: true })
  return {
    transpile (input, { fileName }) {
      const key = createHash('sha256').update(settings).update('\0').update(fileName).update('\0').update(input).digest('hex')
      const file = join(CACHE_DIR, `${key}.json`)
      try {
        return JSON.parse(readFileSync(file, 'utf8'))
      } catch {}
      const result = transpile(input, { fileName }, packageJsonType)
      if (result.diagnostics === undefined || result.diagnostics.length === 0) {
        // Written beside and renamed into place: test processes run in parallel, and rename is atomic.
        const partial = `${file}.${process.pid}`
        try {
          writeFileSync(partial, JSON.stringify({ outputText: result.outputText, sourceMapText: result.sourceMapText }))
          renameSync(partial, file)
        } catch {}
      }
      return result
    }
  }
}
