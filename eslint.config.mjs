// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import eslintConfigPrettier from 'eslint-config-prettier';

const pureCoreMessage =
  'libs/kdump-core must stay pure and seeded: no I/O, no framework, no ambient time/randomness/env. Inject these from the apps.';

const forbiddenCoreModules = [
  'fs',
  'node:fs',
  'fs/promises',
  'node:fs/promises',
  'http',
  'node:http',
  'https',
  'node:https',
  'http2',
  'node:http2',
  'net',
  'node:net',
  'dgram',
  'node:dgram',
  'dns',
  'node:dns',
  'tls',
  'node:tls',
  'os',
  'node:os',
  'child_process',
  'node:child_process',
  'cluster',
  'node:cluster',
  'worker_threads',
  'node:worker_threads',
  'process',
  'node:process',
  'perf_hooks',
  'node:perf_hooks',
  'timers',
  'node:timers',
  'timers/promises',
  'node:timers/promises',
  'bullmq',
  'ioredis',
  'redis',
  'prom-client',
  'express',
];

export default tseslint.config(
  {
    ignores: ['dist/', 'coverage/', 'node_modules/', 'apps/cli/bin/', '.ci/'],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mts', '**/*.cts'],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  {
    rules: {
      eqeqeq: 'error',
    },
  },
  {
    // The HTTP contract (libs/fleet-contract) is as pure as the core: types, constants, schemas.
    files: ['libs/kdump-core/**/*.ts', 'libs/fleet-contract/**/*.ts'],
    // Tests of the core may read example specs from disk; the core itself may not.
    ignores: ['libs/kdump-core/**/*.spec.ts', 'libs/fleet-contract/**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...forbiddenCoreModules.map((name) => ({ name, message: pureCoreMessage })),
            // Deterministic hashing (createHash) is fine; ambient randomness is not.
            ...['crypto', 'node:crypto'].map((name) => ({
              name,
              importNames: [
                'randomBytes',
                'randomUUID',
                'randomInt',
                'getRandomValues',
                'webcrypto',
              ],
              message: pureCoreMessage,
            })),
          ],
          patterns: [
            { group: ['@nestjs/*'], message: pureCoreMessage },
            {
              group: ['bullmq/*', 'ioredis/*', 'redis/*', 'prom-client/*'],
              message: pureCoreMessage,
            },
            { group: ['**/apps/**'], message: 'libs/kdump-core must not import from apps.' },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: pureCoreMessage },
        { name: 'setTimeout', message: pureCoreMessage },
        { name: 'setInterval', message: pureCoreMessage },
        { name: 'setImmediate', message: pureCoreMessage },
        { name: 'performance', message: pureCoreMessage },
        { name: 'require', message: pureCoreMessage },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: pureCoreMessage },
        { object: 'Date', property: 'now', message: pureCoreMessage },
        { object: 'process', property: 'env', message: pureCoreMessage },
        { object: 'process', property: 'hrtime', message: pureCoreMessage },
        { object: 'crypto', property: 'randomUUID', message: pureCoreMessage },
        { object: 'crypto', property: 'getRandomValues', message: pureCoreMessage },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: pureCoreMessage,
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  eslintConfigPrettier,
  {
    // eslint-config-prettier switches `curly` off; it is safe with the default "all" option
    // (see eslint-config-prettier "special rules"), so re-enable it after prettier.
    rules: {
      curly: ['error', 'all'],
    },
  },
);
