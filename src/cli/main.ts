// The zerograd command line: train, eval, predict, summary.
import { Command, CommanderError, Option } from 'commander';
import { basename } from 'node:path';
import * as zg from '../node.js';
import { readImage } from '../data/image-file.js';
import { augmentList, finiteNumber, fraction, intList, nonNegativeInt, openFraction, positiveInt, positiveNumber } from './options.js';
import { useBackend } from '../backends/wasm/node.js';
import { EXPERIMENTS, findExperiment } from '../experiments/index.js';
import { page } from '../experiments/report.js';
import { DEFAULT_MAX_UPLOAD, serve } from './serve.js';
import { parseSize } from './serve-guard.js';
import { mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { MNIST_INPUT, UserError, checkWritable, classNamesOf, loadData, loadImageClassifier, loadModelFile, loadTestSet, pct, warn } from './common.js';
import { buildFromFlags, train, type ModelOptions, type TrainOptions } from './train.js';
import { detectEval, detectImages, detectTrain, type DetectTrainOptions } from './detect.js';
import { addTabularCommands } from './tabular.js';
import { addExportCommands } from './export.js';

const ARCHS = ['mlp', 'dnn', 'cnn', 'lenet5', 'vgg', 'resnet'];
const archOption = () => new Option('--model <arch>', 'network: mlp (one hidden layer), dnn (several), cnn, lenet5, vgg (3×3 conv blocks), resnet (residual blocks, batch norm)').choices(ARCHS).default('cnn');
const D = zg.DEFAULT_CONFIG;
const modelShapeOptions = (c: Command): Command => c
  .addOption(new Option('--activation <fn>', 'activation function').choices(['relu', 'sigmoid', 'tanh']).default(D.activation))
  .option('--hidden <sizes>', `hidden layer sizes, comma-separated (${Object.entries(zg.DEFAULT_HIDDEN).map(([a, h]) => `${a}: ${h.join(',') || 'none'}`).join('; ')})`, intList('--hidden'))
  .option('--kernels <n>', 'cnn: number of convolution kernels (feature maps)', positiveInt('--kernels'), D.kernels)
  .option('--kernel-size <n>', 'cnn: kernel size', positiveInt('--kernel-size'), D.kernelSize)
  .addOption(new Option('--pool <kind>', 'cnn, lenet5: pooling').choices(['max', 'avg']).default(D.pool))
  .option('--dropout <p>', 'dropout probability before the dense layers', fraction('--dropout'), D.dropout)
  .option('--batch-norm', 'vgg: batch normalization after each convolution (resnet always has it)');

function evalCommand(o: { model: string; dataDir?: string; json: boolean }): void {
  const saved = loadImageClassifier(o.model);
  const names = classNamesOf(saved);
  const e = zg.evaluate(saved.model, loadTestSet(o.dataDir, saved), 1000, saved.classes);
  if (o.json) {
    console.log(JSON.stringify({ accuracy: e.accuracy, loss: e.loss, count: e.count, perClass: e.perClass, confusion: e.confusion, ...(names ? { classNames: names } : {}) }));
    return;
  }
  console.log(`${basename(o.model)}: test accuracy ${pct(e.accuracy)} on ${e.count} images, loss ${e.loss.toFixed(4)}`);
  if (names) {
    // Named classes: one line each (a name is too long for the digits' one-line form).
    const w = Math.max(...names.map((n) => n.length));
    console.log('per class:');
    e.perClass.forEach((a, c) => console.log(`  ${names[c].padEnd(w)}  ${pct(a).padStart(7)} of ${e.confusion[c].reduce((x, y) => x + y, 0)}`));
  } else {
    console.log('per class: ' + e.perClass.map((a, c) => `${c}: ${pct(a)}`).join('  '));
  }
  // Columns wide enough for the names (cut to 12 characters), else for the counts.
  const label = (c: number): string => (names ? names[c].slice(0, 12) : String(c));
  const w = Math.max(6, ...e.confusion.map((_, c) => label(c).length + 1));
  console.log('confusion matrix (rows: actual, columns: predicted)');
  console.log(' '.repeat(w) + e.confusion.map((_, c) => label(c).padStart(w)).join(''));
  e.confusion.forEach((row, c) => console.log(label(c).padStart(w) + row.map((v) => String(v).padStart(w)).join('')));
}

function predictCommand(images: string[], o: { model: string; top: number; json: boolean }): void {
  const saved = loadImageClassifier(o.model);
  const [C, H, W] = saved.inputShape;
  // A model trained on a folder of pictures prepares a photo as its training pictures were
  // (pictureToInput, in colour or not); an MNIST model finds and frames the digit.
  const picture = saved.meta.preprocess === 'resize';
  const names = classNamesOf(saved);
  if (!picture && C !== 1) throw new UserError(`${o.model}: predict supports grayscale models (1 input channel), this one has ${C}`);
  // Each file on its own: a bad one gets its own line (and an `error` field in JSON), the rest are
  // still classified, and the exit code says at the end that something was wrong.
  const results = images.map((path) => {
    let img;
    try {
      img = readImage(path);
    } catch (e) {
      return { image: path, error: (e as Error).message };
    }
    let x: zg.Tensor;
    if (picture) {
      // The same bytes and the same scaling to [0,1] as a training batch.
      x = new zg.ImageDataset(zg.pictureToInput(img.rgba, img.width, img.height, C, H), new Uint8Array(1), 1, H, W, C).batch([0]).x;
    } else {
      const framed = zg.frameDigit(img.gray, img.width, img.height, H);
      // No digit (blank paper, lines, noise): say so instead of a confident guess.
      if (framed === null) return { image: path, prediction: null, found: false, top: [] };
      x = zg.tensor(framed, [1, 1, H, W]);
    }
    const probs = zg.predictProbabilities(saved.model, x).toArray();
    const ranked = probs.map((p, c) => ({ class: c, ...(names ? { name: names[c] } : {}), probability: p })).sort((a, b) => b.probability - a.probability);
    return { image: path, prediction: ranked[0].class as number | null, ...(names ? { name: names[ranked[0].class] } : {}), found: true, top: ranked.slice(0, o.top) };
  });
  if (results.some((r) => 'error' in r || !r.found)) process.exitCode = 1;
  if (o.json) {
    console.log(JSON.stringify(results));
    return;
  }
  for (const r of results) {
    if ('error' in r) {
      process.stderr.write(`zerograd: error: ${r.error}\n`);
      continue;
    }
    if (!r.found) {
      console.log(`${r.image}: no digit found`);
      continue;
    }
    const label = (c: number): string => (names ? names[c].padEnd(Math.max(...names.map((n) => n.length))) : String(c));
    console.log(`${r.image}: ${names ? names[r.prediction!] : r.prediction}`);
    for (const t of r.top) console.log(`  ${label(t.class)}  ${(100 * t.probability).toFixed(1).padStart(5)}%`);
  }
}

function summaryCommand(o: ModelOptions & { file?: string; arch?: zg.Arch; json: boolean }): void {
  let model: zg.Module;
  let inputShape = MNIST_INPUT;
  if (o.file) {
    const saved = loadModelFile(o.file);
    model = saved.model;
    inputShape = saved.inputShape;
  } else if (o.arch) {
    model = buildFromFlags({ ...o, model: o.arch }).model;
  } else {
    throw new UserError(`summary: give --model FILE (a saved model) or --arch ${ARCHS.join('|')}`);
  }
  const rows = zg.summarize(model, inputShape, { nested: true });
  if (o.json) {
    const top = rows.filter((r) => r.depth === 0);
    console.log(JSON.stringify({ inputShape, layers: rows, parameters: model.parameterCount(), macs: top.reduce((n, r) => n + r.macs, 0), backend: zg.backend().name }));
    return;
  }
  console.log(`backend: ${zg.backend().name} (${zg.backend().threads} thread${zg.backend().threads > 1 ? 's' : ''})`);
  console.log(zg.formatSummary(rows, inputShape));
}

/** --backend and --threads, on every command that computes. */
const backendOptions = (c: Command): Command => c
  .addOption(new Option('--backend <name>', 'compute backend (default: ZEROGRAD_BACKEND, else the fastest available)').choices(['auto', 'wasm', 'reference']))
  .option('--threads <n>', 'threads for the wasm backend (default: ZEROGRAD_THREADS, else all cores)', positiveInt('--threads'));

/**
 * The thread count to use: --threads, else ZEROGRAD_THREADS, at most one per core. More threads than
 * cores only wait on each other (--threads 64 on 2 cores trained at 197 img/s instead of ~15,000),
 * so asking for more is capped with a warning; the benchmark, which calls useBackend itself, can
 * still oversubscribe on purpose.
 */
export function threadCount(flag: number | undefined, env: string | undefined, cores = availableParallelism()): number | undefined {
  let threads = flag;
  let source = `--threads ${flag}`;
  if (threads === undefined && env !== undefined) {
    threads = Number(env);
    source = `ZEROGRAD_THREADS=${env}`;
    if (!/^\s*\d+\s*$/.test(env) || threads < 1) throw new UserError(`ZEROGRAD_THREADS: expected a positive integer, got '${env}'`);
  }
  if (threads === undefined || threads <= cores) return threads;
  warn(`${source} is more than the ${cores} core${cores > 1 ? 's' : ''} of this machine; using ${cores} (threads beyond one per core only wait on each other)`);
  return cores;
}

async function selectBackend(o: { backend?: string; threads?: number }): Promise<void> {
  const threads = threadCount(o.threads, process.env.ZEROGRAD_THREADS);
  try {
    await useBackend({ backend: o.backend, threads });
  } catch (e) {
    throw new UserError((e as Error).message);
  }
}

function experimentCommand(name: string | undefined, o: { list: boolean; quick: boolean; out: string; seed: number; dataDir?: string; json: boolean }): void {
  if (o.list || !name) {
    if (!name && !o.list) throw new UserError(`experiment: name one of ${EXPERIMENTS.map((e) => e.name).join(', ')} (or --list)`);
    for (const e of EXPERIMENTS) console.log(`${e.name.padEnd(16)} ${e.title}`);
    return;
  }
  let exp;
  try {
    exp = findExperiment(name);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  // The output folder is made and checked before the experiment runs, not after its minutes.
  try {
    mkdirSync(o.out, { recursive: true });
  } catch (e) {
    throw new UserError(`--out ${o.out}: cannot create the folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); expected a writable folder`);
  }
  const html = join(o.out, `${exp.name}.html`);
  const json = join(o.out, `${exp.name}.json`);
  checkWritable('--out', html);
  const data = loadData(o.dataDir);
  if (!o.json) console.log(`experiment ${exp.name}${o.quick ? ' (quick)' : ''}: ${exp.title}`);
  const start = performance.now();
  const r = exp.run({ quick: o.quick, data, seed: o.seed });
  const seconds = (performance.now() - start) / 1000;
  const intro = `${exp.question}<br><span class="note">zerograd experiment ${exp.name}${o.quick ? ' --quick' : ''} --seed ${o.seed} · backend ${zg.backend().name} · ${seconds.toFixed(1)}s · ${new Date().toISOString().slice(0, 10)}</span>`;
  zg.writeFileAtomic(html, page(exp.title, intro, [{ heading: 'Summary', html: `<ul>${r.summary.map((s) => `<li>${s.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</li>`).join('')}</ul>` }, ...r.sections]));
  const result = { experiment: exp.name, quick: o.quick, seed: o.seed, seconds, summary: r.summary, numbers: r.numbers, report: html };
  zg.writeFileAtomic(json, JSON.stringify(result, null, 2));
  if (o.json) {
    console.log(JSON.stringify(result));
    return;
  }
  for (const line of r.summary) console.log('  ' + line);
  console.log(`report: ${html}\nnumbers: ${json}`);
}

/** The version in zerograd's package.json, two folders up from this module (src/cli or dist/cli). */
function packageVersion(): string {
  return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
}

export function makeProgram(): Command {
  const program = new Command('zerograd')
    .description('Deep learning built from zero: train, inspect and use neural networks on MNIST.')
    .version(packageVersion(), '--version', 'print the version of zerograd')
    // Commander's own errors (unknown option, bad value, missing argument) as one line, like ours.
    .configureOutput({ outputError: (str, write) => write(`zerograd: ${str.trim()} (run with --help for usage)\n`) });

  backendOptions(modelShapeOptions(program.command('train')
    .description('train a network on MNIST (or any MNIST-format data) and save it')
    .addOption(archOption())
    .option('--epochs <n>', 'passes over the training set', positiveInt('--epochs'), D.epochs)
    .option('--batch-size <n>', 'images per gradient step', positiveInt('--batch-size'), 100)
    .option('--lr <x>', `learning rate (default: ${Object.entries(zg.DEFAULT_LR).map(([k, v]) => `${k} ${v}`).join(', ')})`, positiveNumber('--lr'))
    .addOption(new Option('--optimizer <name>', 'optimizer').choices(['sgd', 'momentum', 'adam']).default(D.optimizer))
    .addOption(new Option('--schedule <kind>', 'learning-rate schedule over the epochs').choices(['none', 'step', 'cosine']).default(D.schedule))
    .option('--seed <n>', 'random seed (weights, shuffling, dropout)', nonNegativeInt('--seed'), 1)
    .option('--limit <n>', 'train on the first N training images', positiveInt('--limit'))
    .option('--data-dir <dir>', 'the four MNIST-format IDX files, or a folder of pictures: DIR/train/CLASS/*.png|jpg with DIR/test/CLASS/*, ' +
      'or DIR/CLASS/* (default: the MNIST that ships with zerograd)')
    .option('--image-size <n>', 'picture folders: resize the pictures to N×N (default 28, the built-in models\' input)', positiveInt('--image-size'))
    .option('--val-split <f>', 'hold out this fraction of the training images (seeded, per class) and report accuracy on it, not on the test set; ' +
      `a single picture folder's test split (default ${zg.DEFAULT_VAL_SPLIT})`, openFraction('--val-split'))
    .option('--augment <list>', 'move each training example as it is drawn: crop[=PAD] (pad, crop back), shift[=PIXELS], flip (left-right: ' +
      'not for digits), comma-separated, e.g. crop,flip', augmentList('--augment'))
    .option('--out <file>', 'where to save the model (default: <arch>.zg)')
    .option('--checkpoint <file>', 'save a checkpoint to resume from (model, optimizer, random state, position) at each epoch\'s end')
    .option('--checkpoint-every <n>', 'save the checkpoint every N optimizer steps instead', positiveInt('--checkpoint-every'))
    .option('--resume <file>', 'continue the run a checkpoint was saved from, to its end (its flags come from the checkpoint)')
    .option('--no-progress', 'plain progress lines even on a terminal')
    .option('--json', 'print the results as one JSON object on the last line', false)))
    .hook('preAction', (_, cmd) => selectBackend(cmd.opts()))
    .action(async (o: TrainOptions, cmd: Command) => train(o, (key) => cmd.getOptionValueSource(key) === 'cli'));

  backendOptions(program.command('eval'))
    .description('test accuracy, per-class accuracy and confusion matrix of a saved model')
    .requiredOption('--model <file>', 'model file')
    .option('--data-dir <dir>', 'folder with MNIST-format IDX files, or the picture folder the model was trained on')
    .option('--json', 'print JSON', false)
    .hook('preAction', (_, cmd) => selectBackend(cmd.opts()))
    .action((o) => evalCommand(o));

  backendOptions(program.command('predict'))
    .description('classify PNG or JPEG images (digits, or the classes of a model trained on a picture folder)')
    .argument('<images...>', 'image files')
    .requiredOption('--model <file>', 'model file')
    .option('--top <k>', 'how many classes to show', positiveInt('--top'), 3)
    .option('--json', 'print JSON', false)
    .hook('preAction', (_, cmd) => selectBackend(cmd.opts()))
    .action((images: string[], o) => predictCommand(images, o));

  backendOptions(modelShapeOptions(program.command('summary')
    .description('layers, output shapes and parameter counts of a model file or a built-in architecture')
    .option('--model <file>', 'model file')
    .addOption(new Option('--arch <arch>', 'built-in architecture').choices(ARCHS))
    .option('--json', 'print JSON', false)))
    .hook('preAction', (_, cmd) => selectBackend(cmd.opts()))
    .action((o) => summaryCommand({ ...o, file: o.model, model: o.arch ?? 'cnn' }));

  backendOptions(program.command('detect-train'))
    .description('R-CNN: build the MNIST-Det canvases, train every stage (selective search, CNN, SVMs, box regression) and save the detector')
    .addOption(new Option('--variant <name>', 'canvases with clutter and noise, or clean ones').choices(['cluttered', 'clean']).default('cluttered'))
    .addOption(new Option('--scorer <name>', 'what scores a region: per-class SVMs or the fine-tuned softmax').choices(['svm', 'softmax']).default('svm'))
    .addOption(new Option('--split <name>', 'full: 500 training, 50 validation, 200 test canvases; smoke: 60, 20, 20').choices(['full', 'smoke']).default('full'))
    .option('--seed <n>', 'random seed (canvases, weights, sampling)', nonNegativeInt('--seed'), 1)
    .option('--out <file>', 'where to save the detector', 'rcnn.zg')
    .option('--data-dir <dir>', 'folder with MNIST-format IDX files (default: the MNIST that ships with zerograd)')
    .option('--no-progress', 'plain progress lines even on a terminal')
    .option('--json', 'print the results as one JSON object on the last line', false)
    .hook('preAction', (_, cmd) => selectBackend(cmd.opts()))
    .action((o: DetectTrainOptions) => detectTrain(o));

  backendOptions(program.command('detect-eval'))
    .description('per-class average precision and mAP of a saved detector on its MNIST-Det test canvases')
    .requiredOption('--model <file>', 'detector file (from detect-train)')
    .option('--data-dir <dir>', 'folder with MNIST-format IDX files')
    .option('--json', 'print JSON', false)
    .hook('preAction', (_, cmd) => selectBackend(cmd.opts()))
    .action((o) => detectEval(o));

  backendOptions(program.command('detect'))
    .description('find and name the digits in PNG or JPEG pictures')
    .argument('<images...>', 'image files')
    .requiredOption('--model <file>', 'detector file (from detect-train)')
    .option('--out <dir>', 'write a copy of each picture with the detections drawn on it into this folder')
    .option('--threshold <x>', 'report detections scoring above this (default: chosen on the validation canvases)', finiteNumber('--threshold'))
    .option('--scale <x>', 'resize the picture by this factor first (default: so its ink is about 32 px tall)', positiveNumber('--scale'))
    .addOption(new Option('--scorer <name>', 'per-class SVMs or the fine-tuned softmax (default: the one it was trained with)').choices(['svm', 'softmax']))
    .option('--json', 'print JSON', false)
    .hook('preAction', (_, cmd) => selectBackend(cmd.opts()))
    .action((images: string[], o) => detectImages(images, o));

  program.command('serve')
    .description('the explainer: a local web page that shows a network think and learn')
    .option('--model <file>', 'model file to show')
    .option('--detector <file>', 'detector file (from detect-train) for the detection view')
    .option('--port <n>', 'port (0: any free port)', nonNegativeInt('--port'), 8080)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--data-dir <dir>', 'folder with MNIST-format IDX files')
    .option('--max-upload <size>', `largest model file the page may upload (bytes, or e.g. 64MB); default ${DEFAULT_MAX_UPLOAD / 1024 / 1024}MB`)
    .action(async (o: { model?: string; detector?: string; port: number; host: string; dataDir?: string; maxUpload?: string }) => {
      let s;
      try {
        const maxUpload = o.maxUpload === undefined ? undefined : parseSize(o.maxUpload, '--max-upload');
        s = await serve({ model: o.model, detector: o.detector, port: o.port, host: o.host, dataDir: o.dataDir, maxUpload });
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      console.log(`zerograd explainer: ${s.url}${o.model ? ` (model ${o.model})` : ''}${o.detector ? ` (detector ${o.detector})` : ''}`);
      if (o.host !== '127.0.0.1' && o.host !== 'localhost') console.log(`note: listening on ${o.host}, reachable from other machines`);
      await new Promise(() => {}); // serve until interrupted
    });

  backendOptions(program.command('experiment'))
    .description('run an experiment that shows why a part of a network is there; writes an HTML report and a JSON file')
    .argument('[name]', 'experiment name (see --list)')
    .option('--list', 'list the experiments', false)
    .option('--quick', 'a small version that runs in under a minute', false)
    .option('--out <dir>', 'where to write NAME.html and NAME.json', 'zerograd-experiments')
    .option('--seed <n>', 'random seed', nonNegativeInt('--seed'), 1)
    .option('--data-dir <dir>', 'folder with MNIST-format IDX files')
    .option('--json', 'print the results as JSON', false)
    .hook('preAction', (_, cmd) => selectBackend(cmd.opts()))
    .action((name: string | undefined, o) => experimentCommand(name, o));

  addExportCommands(program, modelShapeOptions);

  addTabularCommands(program, (c) => backendOptions(c).hook('preAction', (_, cmd) => selectBackend(cmd.opts())));

  return program;
}

export async function main(argv: string[]): Promise<void> {
  // `zerograd eval … | head -1`: the reader closing the pipe early is not an error; stop quietly,
  // as Unix tools do, instead of dying on an unhandled EPIPE with a stack trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  const program = makeProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode;
      return;
    }
    if (e instanceof UserError || (e instanceof Error && !process.env.ZEROGRAD_DEBUG)) {
      // Known user errors print one line; anything else also prints one line unless debugging.
      process.stderr.write(`zerograd: error: ${(e as Error).message.replace(/\s*\n\s*/g, ' ')}\n`);
      process.exitCode = 1;
      return;
    }
    throw e;
  }
}
