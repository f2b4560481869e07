// Copies what tsc does not emit (the SQL migrations) next to the compiled code,
// so dist/ runs the same relative paths as the TypeScript sources.
import { cp } from 'node:fs/promises'

await cp('migrations', 'dist/migrations', { recursive: true })
