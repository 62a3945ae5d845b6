// What each stage of R-CNN adds: mAP on the MNIST-Det test canvases after each step of the pipeline.
import type { Experiment } from './common.js';
import { barChart, table } from './report.js';
import { mnistDet } from '../detection/mnist-det.js';
import { collectRegions } from '../detection/regions.js';
import { trainRcnn, detectRegions, pretrainDigits, RECIPES } from '../detection/rcnn.js';
import { windowFeatures } from '../detection/network.js';
import { evaluateDetections } from '../detection/evaluate.js';
import { DIGITS, type Detection } from '../detection/detect.js';

export const detection: Experiment = {
  name: 'detection',
  title: 'R-CNN, one stage at a time',
  question: 'R-CNN finds digits in four steps: class-agnostic proposals, a CNN score per proposal and class, box regression, and non-maximum suppression. Each row adds one step and measures mAP (mean average precision over the 10 digits) on the test canvases: proposals alone know where things are but not what they are; scores name them; box regression moves the boxes onto the digits, which counts at a strict IoU of 0.7; NMS removes the many near-duplicate boxes that each digit collects, every one of which counted as a false positive.',
  run(ctx) {
    const mnist = ctx.data;
    const split = ctx.quick ? 'smoke' : 'full';
    const splits = mnistDet(mnist.train, mnist.test, { split, seed: ctx.seed });
    const run = trainRcnn(splits, pretrainDigits(mnist.train, split), { seed: ctx.seed, finetuneIterations: RECIPES[split].finetuneIterations });
    const { net, heads } = run.rcnn;
    const test = splits.test;
    const regions = collectRegions(test, run.proposals.test, false);
    const f = windowFeatures(net, regions.windows, { fc: true, pool: true, probs: true });
    const gt = test.map((c) => ({ boxes: c.boxes, labels: c.labels }));
    const map = (dets: Detection[][], iou: number) => evaluateDetections(dets, gt, { iouThreshold: iou, classes: DIGITS }).mAP ?? 0;
    // Proposals only: every proposal offered as every digit, ranked by selective search's own order.
    const proposalsOnly = run.proposals.test.map((boxes) => boxes.flatMap((box, i) =>
      Array.from({ length: DIGITS }, (_, label) => ({ label, score: 1 - i / boxes.length, box }))));
    const rows: Array<[string, Detection[][]]> = [
      ['proposals only', proposalsOnly],
      ['+ CNN scores (SVMs)', detectRegions(heads, test, regions, f, 'svm', false, false)],
      ['+ box regression', detectRegions(heads, test, regions, f, 'svm', true, false)],
      ['+ NMS (full R-CNN)', detectRegions(heads, test, regions, f, 'svm', true, 0.3)],
      // The same with NMS but without regression: what regression adds once duplicates are gone.
      ['full R-CNN without box regression', detectRegions(heads, test, regions, f, 'svm', false, 0.3)],
    ];
    const numbers: Record<string, { mAP50: number; mAP70: number }> = {};
    for (const [name, dets] of rows) numbers[name] = { mAP50: map(dets, 0.5), mAP70: map(dets, 0.7) };
    return {
      summary: rows.map(([name]) => `${name.padEnd(22)} mAP@0.5 ${numbers[name].mAP50.toFixed(3)}   mAP@0.7 ${numbers[name].mAP70.toFixed(3)}`),
      numbers: { ...numbers, canvases: test.length, stageSeconds: run.stageSeconds },
      sections: [{
        heading: 'mAP after each stage',
        html: barChart('mAP@0.5 after each stage', rows.map(([name]) => ({ label: name, value: numbers[name].mAP50 })))
          + table(['pipeline', 'mAP@0.5', 'mAP@0.7'], rows.map(([name]) => [name, numbers[name].mAP50.toFixed(3), numbers[name].mAP70.toFixed(3)])),
      }],
    };
  },
};
