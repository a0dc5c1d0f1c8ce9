// One linter for the whole workspace: typescript-eslint's recommended rules, and the house rule that a
// file is named after its one exported concept in kebab-case (style rule 2).
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import unicorn from 'eslint-plugin-unicorn'

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/.turbo/**', '.demo/**', '**/test-results/**', '**/playwright-report/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: { unicorn },
    rules: {
      'unicorn/filename-case': ['error', { case: 'kebabCase' }],
      // TypeScript itself reports undefined names in .ts files; the few .mjs scripts run on Node.
      'no-undef': 'off',
      // A variable a closure reads before its one assignment (a shutdown handle the app asks about) stays `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // The house convention: a leading underscore marks a value left unused on purpose (a rest
      // destructuring that drops members, an express error handler's fourth parameter).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
        },
      ],
    },
  },
)
