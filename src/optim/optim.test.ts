// Optimizers against numbers computed independently: three steps of PyTorch's SGD, Adam and AdamW
// on fixed inputs (src/optim/optim.fixture.json, written by scripts/optim-fixtures.py), on both
// backends. The gradients change from step to step, so a rule that keeps the wrong running
// average, counts steps wrongly or drops Adam's bias correction lands on different numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Adam, SGD, type AdamOptions, type Optimizer, type SGDOptions } from './index.js';
import { registerBackend, setBackend } from '../backends/index.js';
import { WasmBackend } from '../backends/wasm/index.js';
import { tensor } from '../tensor/tensor.js';
import { assertClose } from '../testing/helpers.js';

interface Fixture {
  param: number[];
  /** The gradient of each step. */
  grads: number[][];
  cases: Array<{ name: string; torch: string; optimizer: 'SGD' | 'Adam'; options: SGDOptions & AdamOptions; after: number[][] }>;
}

// The fixture stays in src/ (tsc does not copy JSON); this file runs from dist/optim/.
const fixture = JSON.parse(readFileSync(new URL('../../src/optim/optim.fixture.json', import.meta.url), 'utf8')) as Fixture;

// One thread: a 7-element update never splits across threads anyway; the wasm kernel runs its
// 4-lane vector loop on elements 0–3 and its scalar tail on 4–6.
registerBackend(new WasmBackend({ threads: 1 }));

/** float32 storage, float64 fixture: a few roundings of numbers of size ~2 per step. */
const TOL = 2e-6;

/**
 * Run the three steps of one case on a backend; returns the parameter after each step.
 * Each step's gradient reaches p.grad through backward, as in training: L = Σ p·g has ∂L/∂p = g.
 * A second parameter that never gets a gradient must be left alone.
 */
function run(backendName: string, c: Fixture['cases'][number]): number[][] {
  setBackend(backendName);
  try {
    const p = tensor(fixture.param, [fixture.param.length], { requiresGrad: true });
    const idle = tensor([1, 2, 3], [3], { requiresGrad: true });
    const opt: Optimizer = c.optimizer === 'SGD' ? new SGD([p, idle], c.options) : new Adam([p, idle], c.options);
    const after: number[][] = [];
    for (const g of fixture.grads) {
      opt.zeroGrad();
      p.mul(tensor(g, [g.length])).sum().backward();
      assertClose(p.grad!.data, g, 1e-7, `${c.name}: gradient set by backward`);
      opt.step();
      after.push(Array.from(p.data));
    }
    assert.equal(idle.grad, null);
    assert.deepEqual(Array.from(idle.data), [1, 2, 3], `${c.name}: a parameter without a gradient moved`);
    return after;
  } finally {
    setBackend('reference');
  }
}

for (const backendName of ['reference', 'wasm']) {
  for (const c of fixture.cases) {
    test(`${backendName}: ${c.optimizer} ${JSON.stringify(c.options)} matches PyTorch's ${c.torch} for three steps`, () => {
      const after = run(backendName, c);
      after.forEach((p, step) => {
        // NOTE: a step count gone negative would give √(negative) = NaN; check finiteness first for a clear message.
        assert.ok(p.every(Number.isFinite), `${backendName} ${c.name}: parameter after step ${step + 1} is not finite: ${p}`);
        assertClose(p, c.after[step], TOL, `${backendName} ${c.name}, parameter after step ${step + 1}`);
      });
    });
  }
}

test('the fixture covers every optimizer and option the tests claim to', () => {
  const names = fixture.cases.map((c) => c.name);
  assert.deepEqual(names, ['sgd', 'sgd-momentum', 'sgd-momentum-weight-decay', 'sgd-weight-decay', 'adam', 'adam-betas-eps', 'adamw']);
  assert.equal(fixture.param.length, 7);
  assert.equal(fixture.grads.length, 3);
  for (const c of fixture.cases) assert.equal(c.after.length, 3, `${c.name}: steps in the fixture`);
});
