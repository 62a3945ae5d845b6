// Mutation testing (`npm run mutate`, not part of `npm test`): Stryker plants small bugs
// ("mutants": `+` → `-`, `<` → `<=`, a statement removed, ...) in the code that holds the math,
// and counts how many the fast unit tests catch. A mutant that survives is a change to the code
// that no test notices. Reports land in reports/ (gitignored): index.html to browse, mutation.json
// for scripts/mutation-summary.mjs.
// @ts-check
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: ['src/ops/**/*.ts', 'src/optim/**/*.ts', 'src/autograd/**/*.ts', 'src/losses/**/*.ts', '!src/**/*.test.ts'],

  // The tests are node:test files compiled to dist/. Stryker writes every mutant into the source
  // at once behind a switch, tsc compiles that once, and the tap runner starts `node` on one
  // test file per run with the active mutant in an environment variable (node:test prints TAP).
  testRunner: 'tap',
  buildCommand: 'tsc -p tsconfig.json',
  tap: {
    // Only the fast unit tests (about 15 s together): the engine and gradient checks, ops (values,
    // gradients, graph, bad input), layers, losses, optimizers and schedules.
    // Not parity (40 s of wasm kernels, which are not mutated), training, CLI or browser tests.
    testFiles: [
      'dist/autograd/engine.test.js', 'dist/autograd/gradcheck.test.js',
      'dist/ops/ops.test.js', 'dist/ops/conv.test.js', 'dist/ops/graph.test.js', 'dist/ops/validation.test.js',
      'dist/nn/layers.test.js', 'dist/losses/losses.test.js', 'dist/optim/optim.test.js', 'dist/optim/schedules.test.js',
    ],
    nodeArgs: ['--test-reporter=tap', '-r', '{{hookFile}}', '{{testFile}}'],
  },
  // The first run records which test files reach each mutant; each mutant then runs only those,
  // and stops at the first failure.
  coverageAnalysis: 'perTest',

  // Two cores. The machine is shared, so allow a slow run 10 s before calling it a timeout.
  concurrency: 2,
  timeoutMS: 10000,
  // Off by default: results are per test file here, so a rerun cannot tell which mutants a changed
  // test might now kill. `npm run mutate -- --incremental` reuses the last run's results for
  // unchanged code (quick reruns while working on the source, not for the numbers to quote).
  incremental: false,
  incrementalFile: 'reports/mutation/incremental.json',

  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, reportTests: false, reportMutants: false },
  // Not needed in the sandbox copy: run artifacts. dist/ is copied (npm run mutate compiles it
  // first) so that the report holds the test files; the sandbox's build then overwrites it.
  ignorePatterns: ['/artifacts', '/tmp', '/zerograd-experiments', '/bench/results', '*.zg'],
  tempDirName: '.stryker-tmp',
};
