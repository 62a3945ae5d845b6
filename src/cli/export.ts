// zerograd export / import: a model's weights to and from safetensors, named and laid out as
// PyTorch's state_dict() of the same nn.Sequential, so they move between zerograd and PyTorch; a
// PyTorch folder (model.py + the weights) to continue training there; an ONNX graph for serving.
import type { Command } from 'commander';
import { Option } from 'commander';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import * as zg from '../node.js';
import { META_KEYS, decodeSafetensors, modelFromSafetensors, modelToSafetensors } from '../io/safetensors.js';
import { pytorchModelSource } from '../io/pytorch.js';
import { MNIST_INPUT, UserError, checkWritable, classNamesOf, loadImageClassifier, loadModelFile, pct, warn } from './common.js';
import { buildFromFlags, type ModelOptions } from './train.js';

export interface ExportOptions {
  model: string;
  safetensors?: string;
  pytorch?: string;
  onnx?: string;
  json: boolean;
}

/** The files of a PyTorch export, in its folder. */
export const PYTORCH_FILES = { code: 'model.py', weights: 'model.safetensors' } as const;

/**
 * Check, before any work, that --pytorch DIR can take the export: a folder (written into) or a
 * new name in an existing folder (created once the export is ready).
 */
function checkPytorchDir(dir: string): void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new UserError(`--pytorch ${dir}: is a file; expected a folder (made if missing) to write ${PYTORCH_FILES.code} and ${PYTORCH_FILES.weights} in`);
    checkWritable('--pytorch', join(dir, PYTORCH_FILES.code));
  } else {
    checkWritable('--pytorch', dir);
  }
}

/** What the model is, in a line for model.py's docstring: 'cnn, test accuracy 99.22%'. */
function describeModel(meta: Record<string, unknown>): string {
  const what = typeof meta.arch === 'string' ? meta.arch : 'network';
  return typeof meta.testAccuracy === 'number' ? `${what}, test accuracy ${pct(meta.testAccuracy)}` : what;
}

/** The version in zerograd's package.json (src/cli or dist/cli, two folders down), for the ONNX producer field. */
function packageVersion(): string {
  return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
}

export async function exportCommand(o: ExportOptions): Promise<void> {
  if (!o.safetensors && !o.pytorch && !o.onnx) {
    throw new UserError('export: say what to write: --safetensors OUT.safetensors, --pytorch DIR (model.py and the weights) or --onnx OUT.onnx (one or more)');
  }
  if (o.safetensors) checkWritable('--safetensors', o.safetensors);
  if (o.pytorch) checkPytorchDir(o.pytorch);
  if (o.onnx) checkWritable('--onnx', o.onnx);
  // PyTorch and ONNX get an image classifier's input and output; safetensors holds any model's weights.
  const saved = o.pytorch || o.onnx ? loadImageClassifier(o.model) : loadModelFile(o.model);
  const { model, inputShape, classes, meta } = saved;
  // Everything is built before anything is written, so an unsupported layer leaves no partial export.
  const bytes = modelToSafetensors(model, inputShape, classes, meta);
  let source: string | undefined;
  let onnx: { output: string; bytes: Uint8Array } | undefined;
  try {
    if (o.pytorch) source = pytorchModelSource({ spec: model.toSpec(), inputShape, classes, description: describeModel(meta), weights: PYTORCH_FILES.weights, classNames: classNamesOf(saved) });
    // Loaded only here: protobufjs is needed by this one command.
    if (o.onnx) onnx = (await import('../io/onnx.js')).modelToOnnx(model, inputShape, classes, meta, packageVersion());
  } catch (e) {
    throw new UserError(`${o.model}: ${(e as Error).message}`);
  }
  const tensors = model.namedParameters().length;
  const result: Record<string, unknown> = { tensors };
  if (o.safetensors) {
    zg.writeFileAtomic(o.safetensors, bytes);
    Object.assign(result, { safetensors: o.safetensors, bytes: bytes.length });
    if (!o.json) console.log(`wrote ${o.safetensors}: ${tensors} tensors, ${bytes.length.toLocaleString('en-US')} bytes (names and layouts of PyTorch's state_dict())`);
  }
  if (o.pytorch && source !== undefined) {
    if (!existsSync(o.pytorch)) mkdirSync(o.pytorch);
    zg.writeFileAtomic(join(o.pytorch, PYTORCH_FILES.weights), bytes);
    zg.writeFileAtomic(join(o.pytorch, PYTORCH_FILES.code), source);
    result.pytorch = o.pytorch;
    if (!o.json) console.log(`wrote ${join(o.pytorch, PYTORCH_FILES.code)} and ${PYTORCH_FILES.weights}: in PyTorch, \`from model import load; net = load()\` (run from ${resolve(o.pytorch)})`);
  }
  if (o.onnx && onnx) {
    zg.writeFileAtomic(o.onnx, onnx.bytes);
    Object.assign(result, { onnx: o.onnx, onnxBytes: onnx.bytes.length, input: 'pixels', output: onnx.output });
    if (!o.json) console.log(`wrote ${o.onnx}: ONNX opset 13, input 'pixels' float32 (N,${inputShape.join(',')}) in [0,1], output '${onnx.output}' (N,${classes})`);
  }
  if (o.json) console.log(JSON.stringify(result));
}

export interface ImportOptions extends Omit<ModelOptions, 'model'> {
  safetensors: string;
  out: string;
  arch?: zg.Arch;
  json: boolean;
}

/** The flags that describe the architecture, for messages: '--arch mlp --hidden 100'. */
function archLabel(o: ImportOptions): string {
  const parts = [`--arch ${o.arch}`];
  if (o.hidden) parts.push(`--hidden ${o.hidden.join(',')}`);
  if (o.arch === 'cnn') parts.push(`--kernels ${o.kernels} --kernel-size ${o.kernelSize}`);
  if (o.batchNorm) parts.push('--batch-norm');
  return parts.join(' ');
}

function hasRunningStatistics(bytes: Uint8Array): boolean {
  try {
    return decodeSafetensors(bytes).tensors.some((t) => t.name.endsWith('running_mean'));
  } catch {
    return false;
  }
}

export function importCommand(o: ImportOptions): void {
  if (!existsSync(o.safetensors)) throw new UserError(`--safetensors ${o.safetensors}: file not found`);
  checkWritable('--out', o.out);
  let arch;
  if (o.arch) {
    const { model } = buildFromFlags({ ...o, model: o.arch });
    arch = { model, label: archLabel(o), inputShape: MNIST_INPUT, classes: 10 };
  }
  let saved: ReturnType<typeof modelFromSafetensors>;
  const bytes = readFileSync(o.safetensors);
  try {
    saved = modelFromSafetensors(bytes, o.safetensors, arch);
  } catch (e) {
    // Weights of a vgg trained with --batch-norm have running statistics a plain vgg has no place for.
    const hint = o.arch === 'vgg' && !o.batchNorm && hasRunningStatistics(bytes) ? ' (the file has batch-norm running statistics: add --batch-norm)' : '';
    throw new UserError((e as Error).message + hint);
  }
  const meta = { ...saved.meta, arch: o.arch ?? saved.meta.arch ?? 'imported', importedFrom: basename(o.safetensors) };
  const fileSpec = saved.metadata[META_KEYS.spec];
  if (arch && fileSpec !== undefined && fileSpec !== JSON.stringify(arch.model.toSpec())) {
    warn(`${o.safetensors}: its metadata describes a different architecture than ${arch.label}; the weights fit, and ${arch.label} is used`);
  }
  zg.saveModel(o.out, saved.model, saved.inputShape, saved.classes, meta);
  const parameters = saved.model.parameterCount();
  if (o.json) console.log(JSON.stringify({ out: o.out, parameters, inputShape: saved.inputShape, classes: saved.classes }));
  else console.log(`wrote ${o.out}: ${parameters.toLocaleString('en-US')} parameters from ${o.safetensors}`);
}

/** Add `export` and `import` to the program; `shapeOptions` adds the train command's shape flags. */
export function addExportCommands(program: Command, shapeOptions: (c: Command) => Command): void {
  program.command('export')
    .description('write a model for other tools: safetensors weights (PyTorch\'s state_dict() names), a PyTorch model.py, an ONNX graph')
    .requiredOption('--model <file>', 'model file')
    .option('--safetensors <file>', 'write the weights and the architecture (in the metadata) here')
    .option('--pytorch <dir>', `write ${PYTORCH_FILES.code} (the nn.Sequential and load()) and ${PYTORCH_FILES.weights} into this folder`)
    .option('--onnx <file>', 'write an ONNX graph (opset 13): input \'pixels\' (N,C,H,W) in [0,1], output \'logits\'')
    .option('--json', 'print JSON', false)
    .action((o: ExportOptions) => exportCommand(o));

  shapeOptions(program.command('import')
    .description('build a model file from safetensors weights (written by export, or by PyTorch for --arch)')
    .requiredOption('--safetensors <file>', 'safetensors file')
    .requiredOption('--out <file>', 'model file to write')
    .addOption(new Option('--arch <arch>', 'the architecture the weights are for (default: the one in the file\'s metadata)').choices(['mlp', 'dnn', 'cnn', 'lenet5', 'vgg', 'resnet']))
    .option('--json', 'print JSON', false))
    .action((o: ImportOptions) => importCommand(o));
}
