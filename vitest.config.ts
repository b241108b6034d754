import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // SWC (instead of esbuild) so Nest decorators + emitDecoratorMetadata work in tests.
  plugins: [
    swc.vite({
      module: { type: 'es6' },
      jsc: {
        target: 'es2022',
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
      },
    }),
  ],
  test: {
    exclude: ['**/node_modules/**', 'dist/**', 'coverage/**'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 60000,
    hookTimeout: 60000,
    coverage: {
      provider: 'v8',
      include: ['libs/**/src/**/*.ts', 'apps/**/src/**/*.ts'],
      exclude: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
      reportsDirectory: 'coverage',
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'libs/**/*.spec.ts',
            'apps/**/*.spec.ts',
            'test/**/*.spec.ts',
            'lab/**/*.spec.ts',
          ],
          exclude: ['**/node_modules/**', 'dist/**', 'coverage/**', '**/*.e2e-spec.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        // End-to-end: the built apps as processes against a real Redis (the global
        // setup finds it). One file at a time, after the unit tests, so the
        // timing-sensitive ones (a worker killed mid-run) have the CPUs to themselves.
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/**/*.e2e-spec.ts'],
          globalSetup: ['test/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 180000,
          hookTimeout: 120000,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
