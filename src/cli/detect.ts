// zerograd detect-train, detect-eval, detect: R-CNN from the command line.
import cliProgress from 'cli-progress';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { PNG } from 'pngjs';
import * as zg from '../node.js';
import { writeFileAtomic } from '../io/node.js';
import { mnistDet, type SplitName, type Variant } from '../detection/mnist-det.js';
import { evaluateRcnn, detectPrepared, proposeAll, defaultPropose, pretrainDigits, RECIPES, trainRcnn, type RcnnEvaluation } from '../detection/rcnn.js';
import { proposalStats } from '../detection/selective-search.js';
import { decodeRcnn, encodeRcnn } from '../detection/model.js';
import { prepareImage, toPictureBox } from '../detection/image.js';
import { annotate } from '../detection/annotate.js';
import { formatApTable } from '../detection/evaluate.js';
import type { Scorer } from '../detection/detect.js';
import { readImage } from '../data/image-file.js';
import { UserError, checkWritable, formatSeconds, loadData } from './common.js';

export interface DetectTrainOptions {
  variant: Variant;
  scorer: Scorer;
  split: SplitName;
  seed: number;
  out: string;
  dataDir?: string;
  json: boolean;
  progress: boolean;
}

/** A bar per stage on a terminal; a line per finished stage otherwise; nothing with --json. */
function stageDisplay(o: { json: boolean; progress: boolean }) {
  const tty = o.progress && process.stdout.isTTY && !o.json;
  let bar: cliProgress.SingleBar | null = null;
  let current = '';
  let started = 0;
  const finish = (): void => {
    bar?.stop();
    bar = null;
    if (current && !o.json) console.log(`  ${current.padEnd(12)} ${formatSeconds((performance.now() - started) / 1000)}`);
  };
  return {
    stage(name: string): void {
      finish();
      current = name;
      started = performance.now();
    },
    progress(name: string, done: number, total: number): void {
      if (!tty || name !== current) return;
      if (!bar) {
        bar = new cliProgress.SingleBar({ format: `  ${name.padEnd(12)} [{bar}] {value}/{total} | ETA {eta_formatted}`, hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
        bar.start(total, 0);
      }
      if (done % Math.max(1, Math.floor(total / 200)) === 0 || done === total) bar.update(done);
    },
    finish,
  };
}

function apLines(e: RcnnEvaluation): string[] {
  return [
    formatApTable(e.table),
    `mAP@0.5 ${e.mAP50.toFixed(3)} (without box regression ${e.mAP50NoRegression.toFixed(3)})   mAP@0.7 ${e.mAP70.toFixed(3)} (without ${e.mAP70NoRegression.toFixed(3)})`,
    `scorer ${e.scorer}; mAP@0.5 with SVMs ${e.mAP50Svm.toFixed(3)}, with the fine-tuned softmax ${e.mAP50Softmax.toFixed(3)}`,
  ];
}

export function detectTrain(o: DetectTrainOptions): void {
  checkWritable('--out', o.out);
  const t0 = performance.now();
  const show = stageDisplay(o);
  if (!o.json) console.log(`R-CNN on MNIST-Det (${o.variant}, ${o.split} split, seed ${o.seed}), backend ${zg.backend().name} (${zg.backend().threads} threads)`);
  show.stage('dataset');
  const mnist = loadData(o.dataDir);
  const t = performance.now();
  const splits = mnistDet(mnist.train, mnist.test, { split: o.split, variant: o.variant, seed: o.seed });
  const datasetSeconds = (performance.now() - t) / 1000;
  const run = trainRcnn(splits, pretrainDigits(mnist.train, o.split), {
    seed: o.seed, finetuneIterations: RECIPES[o.split].finetuneIterations,
    onStage: (s) => show.stage(s), onProgress: (s, d, n) => show.progress(s, d, n),
  });
  show.stage('evaluate');
  const te = performance.now();
  const ev = evaluateRcnn(run.rcnn, splits.test, run.proposals.test, o.scorer);
  const stats = proposalStats(run.proposals.test, splits.test.map((c) => c.boxes));
  const stageSeconds = { dataset: datasetSeconds, ...run.stageSeconds, evaluate: (performance.now() - te) / 1000 };
  show.finish();
  const seconds = (performance.now() - t0) / 1000;
  const result = {
    mAP50: ev.mAP50, mAP70: ev.mAP70, mAP50NoRegression: ev.mAP50NoRegression, mAP70NoRegression: ev.mAP70NoRegression,
    mAP50Svm: ev.mAP50Svm, mAP50Softmax: ev.mAP50Softmax,
    proposalRecall50: stats.recall50, proposalRecall70: stats.recall70, meanBestOverlap: stats.meanBestOverlap, proposalsPerImage: stats.proposalsPerImage,
    scorer: o.scorer, variant: o.variant, split: o.split, seed: o.seed, svmC: run.rcnn.svmC, threshold: run.rcnn.threshold[o.scorer],
    ap: ev.table.classes.map((c) => c.ap), seconds, stageSeconds, out: o.out,
  };
  const made = { dataset: 'MNIST-Det', ...result };
  writeFileAtomic(o.out, encodeRcnn(run.rcnn, o.scorer, made));
  if (o.json) {
    console.log(JSON.stringify(result));
    return;
  }
  for (const line of apLines(ev)) console.log(line);
  console.log(`proposals: ${stats.proposalsPerImage.toFixed(1)} per image, recall ${stats.recall50.toFixed(3)} at IoU 0.5, ${stats.recall70.toFixed(3)} at 0.7`);
  console.log(`saved ${o.out} (${formatSeconds(seconds)} in all)`);
}

function loadDetector(path: string) {
  if (!existsSync(path)) throw new UserError(`model file not found: ${path}`);
  try {
    return decodeRcnn(readFileSync(path), path);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
}

export function detectEval(o: { model: string; dataDir?: string; json: boolean }): void {
  const { rcnn, scorer, made } = loadDetector(o.model);
  const mnist = loadData(o.dataDir);
  const split = (made.split === 'smoke' ? 'smoke' : 'full') as SplitName;
  const variant = (made.variant === 'clean' ? 'clean' : 'cluttered') as Variant;
  const seed = typeof made.seed === 'number' ? made.seed : 1;
  const { test } = mnistDet(mnist.train, mnist.test, { split, variant, seed });
  const ev = evaluateRcnn(rcnn, test, proposeAll(test, defaultPropose), scorer);
  if (o.json) {
    const { table, ...rest } = ev;
    console.log(JSON.stringify({ ...rest, perClass: table.classes, canvases: test.length, split, variant, seed }));
    return;
  }
  console.log(`${basename(o.model)} on the ${test.length} MNIST-Det test canvases (${variant}, ${split} split, seed ${seed}):`);
  for (const line of apLines(ev)) console.log(line);
}

export interface DetectOptions {
  model: string;
  out?: string;
  json: boolean;
  threshold?: number;
  scale?: number;
  scorer?: Scorer;
}

export function detectImages(images: string[], o: DetectOptions): void {
  const { rcnn, scorer: savedScorer } = loadDetector(o.model);
  const scorer = o.scorer ?? savedScorer;
  const threshold = o.threshold ?? rcnn.threshold[scorer];
  if (o.out) {
    if (existsSync(o.out) && !statSync(o.out).isDirectory()) throw new UserError(`--out ${o.out}: is a file; expected a folder for the annotated images`);
    mkdirSync(o.out, { recursive: true });
  }
  const results = images.map((path) => {
    try {
      const img = readImage(path);
      const p = prepareImage(img.gray, img.width, img.height, { scale: o.scale });
      const dets = detectPrepared(rcnn, p.image, p.width, p.height, { scorer, threshold })
        .map((d) => ({ label: d.label, score: +d.score.toFixed(4), box: toPictureBox(d.box, p, img.width, img.height) }));
      if (o.out) {
        const png = new PNG({ width: img.width, height: img.height });
        png.data.set(annotate(img.gray, img.width, img.height, dets));
        const target = join(o.out, `${basename(path, extname(path))}.detections.png`);
        writeFileAtomic(target, PNG.sync.write(png));
      }
      return { image: path, detections: dets, scale: +p.scale.toFixed(4) };
    } catch (e) {
      return { image: path, error: (e as Error).message };
    }
  });
  if (results.some((r) => 'error' in r)) process.exitCode = 1;
  if (o.json) {
    console.log(JSON.stringify(results.map((r) => ('error' in r ? r : { image: r.image, detections: r.detections }))));
    return;
  }
  for (const r of results) {
    if ('error' in r) {
      process.stderr.write(`zerograd: error: ${r.error}\n`);
      continue;
    }
    console.log(`${r.image}: ${r.detections.length} digit${r.detections.length === 1 ? '' : 's'} (scale ${r.scale})`);
    for (const d of r.detections) console.log(`  ${d.label}  ${d.score.toFixed(3).padStart(7)}  [${d.box.join(', ')})`);
  }
}
