// A model's layers with their output shapes and parameter counts (browser-safe).
import type { Module } from './module.js';
import { Sequential } from './layers.js';
import { noGrad } from '../autograd/engine.js';
import { zeros } from '../tensor/tensor.js';
import { formatShape } from '../tensor/shape.js';

export interface LayerRow {
  index: number;
  type: string;
  /** Output shape of one example (batch axis dropped). */
  outputShape: number[];
  parameters: number;
  description: string;
}

/** Walk the layers of a Sequential with one zero example to find each output shape. */
export function summarize(model: Module, inputShape: number[]): LayerRow[] {
  const layers = model instanceof Sequential ? model.layers : [model];
  const rows: LayerRow[] = [];
  noGrad(() => {
    let x = zeros([1, ...inputShape]);
    layers.forEach((l, i) => {
      x = l.forward(x);
      rows.push({ index: i, type: l.toSpec().type, outputShape: x.shape.slice(1), parameters: l.parameterCount(), description: l.describe() });
    });
  });
  return rows;
}

/** The summary as a text table. */
export function formatSummary(rows: LayerRow[], inputShape: number[]): string {
  const lines = [
    `${'#'.padEnd(3)} ${'layer'.padEnd(10)} ${'output shape'.padEnd(14)} ${'params'.padStart(10)}  what it does`,
    `${''.padEnd(3)} ${'input'.padEnd(10)} ${formatShape(inputShape).padEnd(14)} ${''.padStart(10)}`,
  ];
  for (const r of rows) {
    lines.push(`${String(r.index).padEnd(3)} ${r.type.padEnd(10)} ${formatShape(r.outputShape).padEnd(14)} ${r.parameters.toLocaleString('en-US').padStart(10)}  ${r.description}`);
  }
  const total = rows.reduce((n, r) => n + r.parameters, 0);
  lines.push(`total parameters: ${total.toLocaleString('en-US')}`);
  return lines.join('\n');
}
