// zerograd export / import: a model's weights to and from safetensors, named and laid out as
// PyTorch's state_dict() of the same nn.Sequential, so they move between zerograd and PyTorch.
import type { Command } from 'commander';
import { Option } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import * as zg from '../node.js';
import { META_KEYS, modelFromSafetensors, modelToSafetensors } from '../io/safetensors.js';
import { MNIST_INPUT, UserError, checkWritable, loadModelFile, warn } from './common.js';
import { buildFromFlags, type ModelOptions } from './train.js';

export interface ExportOptions {
  model: string;
  safetensors?: string;
  json: boolean;
}

export function exportCommand(o: ExportOptions): void {
  if (!o.safetensors) throw new UserError('export: say what to write: --safetensors OUT.safetensors');
  checkWritable('--safetensors', o.safetensors);
  const saved = loadModelFile(o.model);
  const bytes = modelToSafetensors(saved.model, saved.inputShape, saved.classes, saved.meta);
  zg.writeFileAtomic(o.safetensors, bytes);
  const tensors = saved.model.namedParameters().length;
  if (o.json) console.log(JSON.stringify({ safetensors: o.safetensors, tensors, bytes: bytes.length }));
  else console.log(`wrote ${o.safetensors}: ${tensors} tensors, ${bytes.length.toLocaleString('en-US')} bytes (names and layouts of PyTorch's state_dict())`);
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
  return parts.join(' ');
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
  try {
    saved = modelFromSafetensors(readFileSync(o.safetensors), o.safetensors, arch);
  } catch (e) {
    throw new UserError((e as Error).message);
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
    .description('write a model\'s weights as safetensors, named as PyTorch\'s state_dict() of the same nn.Sequential')
    .requiredOption('--model <file>', 'model file')
    .option('--safetensors <file>', 'write the weights and the architecture (in the metadata) here')
    .option('--json', 'print JSON', false)
    .action((o: ExportOptions) => exportCommand(o));

  shapeOptions(program.command('import')
    .description('build a model file from safetensors weights (written by export, or by PyTorch for --arch)')
    .requiredOption('--safetensors <file>', 'safetensors file')
    .requiredOption('--out <file>', 'model file to write')
    .addOption(new Option('--arch <arch>', 'the architecture the weights are for (default: the one in the file\'s metadata)').choices(['mlp', 'dnn', 'cnn']))
    .option('--json', 'print JSON', false))
    .action((o: ImportOptions) => importCommand(o));
}
