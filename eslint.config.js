import neostandard, { plugins } from 'neostandard'

export default [
  // client/schema.ts is generated (npm run generate:client) and checked against openapi.json by a test, not styled.
  ...neostandard({ ts: true, ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.tap/**', 'client/dist/**', 'client/schema.ts'] }),
  {
    files: ['**/*.ts'],
    plugins: { '@typescript-eslint': plugins['typescript-eslint'].plugin },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      // TypeBox's idiom names a schema and its Static type alike (`const User` / `type User`); TypeScript keeps them apart.
      '@typescript-eslint/no-redeclare': 'off'
    }
  }
]
