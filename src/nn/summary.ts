// A model's layers with their output shapes, parameter counts and multiply-adds (browser-safe).
import type { Module } from './module.js';
import { Conv2d, Linear, Sequential } from './layers.js';
import { BatchNorm1d, BatchNorm2d, Residual } from './blocks.js';
import { noGrad } from '../autograd/engine.js';
import { zeros, type Tensor } from '../tensor/tensor.js';
import { formatShape, sizeOf } from '../tensor/shape.js';

export interface LayerRow {
  /** Position of the top-level layer this row belongs to. */
  index: number;
  /** Dotted path, as in stateDict() names: "3", "3.body.0", "3.shortcut.1". */
  name: string;
  /** 0 for a top-level layer, 1 for a layer inside it (a residual block's body), … */
  depth: number;
  type: string;
  /** Output shape of one example (batch axis dropped). */
  outputShape: number[];
  parameters: number;
  /** Multiply-adds for one example, the layers inside included. */
  macs: number;
  description: string;
}

export interface SummaryOptions {
  /** Also list the layers inside blocks (a Residual's body and shortcut, a nested Sequential), indented (default false). */
  nested?: boolean;
}

/**
 * Multiply-adds one example costs in a layer with no layers inside:
 *   Conv2d  OC·OH·OW · C·KH·KW   (each output value is a dot product over a C×KH×KW patch)
 *   Linear  OUT · IN
 *   BatchNorm  one per value (at inference it folds into y = a·x + b)
 * Activations, pooling and additions do no multiply-adds and count 0.
 */
function leafMacs(l: Module, x: Tensor, y: Tensor): number {
  const perExample = (t: Tensor) => sizeOf(t.shape) / t.shape[0];
  if (l instanceof Conv2d) return perExample(y) * l.inChannels * l.kernelSize * l.kernelSize;
  if (l instanceof Linear) return (perExample(y) / l.outFeatures) * l.outFeatures * l.inFeatures;
  if (l instanceof BatchNorm1d || l instanceof BatchNorm2d) return perExample(x);
  return 0;
}

/** The layers inside a block, with their names relative to it; a Sequential body is listed layer by layer. */
function parts(l: Module): Array<{ name: string; module: Module; input: 'chain' | 'block' }> {
  if (l instanceof Sequential) return l.layers.map((m, j) => ({ name: String(j), module: m, input: 'chain' }));
  if (!(l instanceof Residual)) return [];
  const branch = (name: string, m: Module) => (m instanceof Sequential
    ? m.layers.map((c, j) => ({ name: `${name}.${j}`, module: c, input: (j === 0 ? 'block' : 'chain') as 'chain' | 'block' }))
    : [{ name, module: m, input: 'block' as const }]);
  return [...branch('body', l.body), ...(l.shortcut ? branch('shortcut', l.shortcut) : [])];
}

/**
 * Walk the layers of a Sequential with one zero example to find each output shape, parameter
 * count and multiply-adds; with `nested`, the layers inside residual blocks get rows of their own.
 */
export function summarize(model: Module, inputShape: number[], options: SummaryOptions = {}): LayerRow[] {
  const layers = model instanceof Sequential ? model.layers : [model];
  const rows: LayerRow[] = [];
  /** Run l on x, adding its row (and, nested, its parts' rows after it); returns the output and the multiply-adds. */
  const visit = (l: Module, x: Tensor, name: string, depth: number, index: number): { y: Tensor; macs: number } => {
    const row: LayerRow = { index, name, depth, type: l.toSpec().type, outputShape: [], parameters: l.parameterCount(), macs: 0, description: l.describe() };
    if (depth === 0 || options.nested) rows.push(row);
    let macs = 0;
    let y: Tensor;
    const inside = parts(l);
    if (inside.length === 0) {
      y = l.forward(x);
      macs = leafMacs(l, x, y);
    } else {
      // A chain feeds each part the previous part's output; a block's branches each start from x.
      let h = x;
      for (const p of inside) {
        const r = visit(p.module, p.input === 'block' ? x : h, `${name}.${p.name}`, depth + 1, index);
        h = r.y;
        macs += r.macs;
      }
      y = l instanceof Sequential ? h : l.forward(x);
    }
    row.outputShape = y.shape.slice(1);
    row.macs = macs;
    return { y, macs };
  };
  noGrad(() => {
    let x = zeros([1, ...inputShape]);
    layers.forEach((l, i) => {
      x = visit(l, x, String(i), 0, i).y;
    });
  });
  return rows;
}

/** A count as people read it: 1,234 below ten thousand, else 12.3K, 4.56M, 1.23G. */
function short(n: number): string {
  if (n < 10_000) return n.toLocaleString('en-US');
  const [v, unit] = n < 1e6 ? [n / 1e3, 'K'] : n < 1e9 ? [n / 1e6, 'M'] : [n / 1e9, 'G'];
  return `${v.toPrecision(3)}${unit}`;
}

/** The summary as a text table; the layers inside blocks are indented under them. */
export function formatSummary(rows: LayerRow[], inputShape: number[]): string {
  const label = (r: LayerRow) => `${'  '.repeat(r.depth)}${r.depth > 0 ? r.name.slice(r.name.indexOf('.') + 1) + ' ' : ''}${r.type}`;
  const width = Math.max(10, ...rows.map((r) => label(r).length));
  const lines = [
    `${'#'.padEnd(3)} ${'layer'.padEnd(width)} ${'output shape'.padEnd(14)} ${'params'.padStart(10)} ${'MACs'.padStart(8)}  what it does`,
    `${''.padEnd(3)} ${'input'.padEnd(width)} ${formatShape(inputShape).padEnd(14)} ${''.padStart(10)} ${''.padStart(8)}`,
  ];
  for (const r of rows) {
    lines.push(`${(r.depth === 0 ? String(r.index) : '').padEnd(3)} ${label(r).padEnd(width)} ${formatShape(r.outputShape).padEnd(14)} ` +
      `${r.parameters.toLocaleString('en-US').padStart(10)} ${short(r.macs).padStart(8)}  ${r.description}`);
  }
  const top = rows.filter((r) => r.depth === 0);
  const total = top.reduce((n, r) => n + r.parameters, 0);
  const macs = top.reduce((n, r) => n + r.macs, 0);
  lines.push(`total parameters: ${total.toLocaleString('en-US')}; multiply-adds per example: ${macs.toLocaleString('en-US')} (${short(macs)})`);
  return lines.join('\n');
}
