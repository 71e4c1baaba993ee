import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run the TypeScript sources: each workspace package's entry points map to its src/ (the
// same mapping as the `@fedtune/source` export condition that tsconfig.json type-checks with;
// installed packages resolve to dist/ instead).
const src = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url));
const alias = [
  { find: /^@fedtune\/shared\/cli$/, replacement: src('shared/src/cli/index.ts') },
  { find: /^@fedtune\/(shared|client|coordinator|sim|native-blas)$/, replacement: src('$1/src/index.ts') },
];

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Two cores: tfjs work is CPU-bound, so more forks only thrash.
    pool: 'forks',
    maxWorkers: 2,
  },
});
