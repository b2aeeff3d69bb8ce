// Tests are compiled by tsc into build/test (see tsconfig.json) and run as native ES modules.
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/build/test'],
  testMatch: ['**/*.test.js'],
  transform: {},
  testTimeout: 120000,
  // Scan tests spawn the CLI, which uses every core; running test files one at a time keeps timings sane.
  maxWorkers: 1,
  // Skipped tests listed with the reason (no GDAL, no Vulkan device…) after the summary.
  reporters: ['default', '<rootDir>/scripts/jest.skips.mjs'],
};
