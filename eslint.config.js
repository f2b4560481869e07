import neostandard, { plugins } from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.tap/**'] }),
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
