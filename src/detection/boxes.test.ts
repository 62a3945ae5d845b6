import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boxArea, clipBox, decodeBox, dilateBox, encodeBox, intersection, iou, nms, type Box } from './boxes.js';

test('boxes are half-open: width is x2 − x1, and boxes that touch do not overlap', () => {
  assert.equal(boxArea([0, 0, 10, 5]), 50);
  assert.equal(boxArea([3, 3, 3, 9]), 0, 'zero width');
  assert.equal(boxArea([5, 5, 2, 9]), 0, 'inverted');
  // [0,10) and [10,20) share no column.
  assert.equal(intersection([0, 0, 10, 10], [10, 0, 20, 10]), 0);
  assert.equal(iou([0, 0, 10, 10], [10, 0, 20, 10]), 0, 'touching');
  // One shared column: [0,11) and [10,20).
  assert.equal(intersection([0, 0, 11, 10], [10, 0, 20, 10]), 10);
});

test('IoU: disjoint, nested, identical, partial', () => {
  assert.equal(iou([0, 0, 4, 4], [10, 10, 14, 14]), 0, 'disjoint');
  assert.equal(iou([0, 0, 10, 10], [0, 0, 10, 10]), 1, 'identical');
  assert.equal(iou([0, 0, 10, 10], [2, 2, 7, 7]), 25 / 100, 'nested: inner area over outer area');
  // 2×4 overlap of two 4×4 boxes: 8 / (16 + 16 − 8).
  assert.equal(iou([0, 0, 4, 4], [2, 0, 6, 4]), 8 / 24);
  assert.equal(iou([0, 0, 4, 4], [2, 0, 6, 4]), iou([2, 0, 6, 4], [0, 0, 4, 4]), 'symmetric');
  assert.equal(iou([1, 1, 1, 1], [1, 1, 1, 1]), 0, 'two empty boxes');
});

test('clip and dilate stay on the canvas', () => {
  assert.deepEqual(clipBox([-5, 3, 140, 128], 128, 128), [0, 3, 128, 128]);
  assert.deepEqual(dilateBox([1, 10, 20, 30], 2, 21, 100), [0, 8, 21, 32]);
});

test('box encode/decode round trip and the paper\'s targets', () => {
  const p: Box = [10, 20, 30, 60];   // centre (20, 40), 20 × 40
  const g: Box = [15, 10, 55, 50];   // centre (35, 30), 40 × 40
  const t = encodeBox(p, g);
  assert.deepEqual(t.map((v) => +v.toFixed(12)), [15 / 20, -10 / 40, +Math.log(2).toFixed(12), 0]);
  const back = decodeBox(p, t);
  back.forEach((v, i) => assert.ok(Math.abs(v - g[i]) < 1e-9, `coordinate ${i}: ${v} vs ${g[i]}`));
  assert.deepEqual(decodeBox(p, [0, 0, 0, 0]), p, 'zero offsets leave the box');
  assert.throws(() => encodeBox([0, 0, 0, 5], g), /positive width and height/);
});

test('NMS keeps the best box of each cluster, in score order', () => {
  const boxes: Box[] = [[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60], [0, 0, 10, 9], [20, 0, 30, 10]];
  const scores = [0.8, 0.9, 0.5, 0.7, 0.6];
  // 1 beats 0 and 3 (IoU > 0.3 with it); 2 and 4 overlap nothing.
  assert.deepEqual(nms(boxes, scores, 0.3), [1, 4, 2]);
  assert.deepEqual(nms(boxes, scores, 0.3, 2), [1, 4], 'maxKeep');
  // A threshold above every overlap keeps all.
  assert.deepEqual(nms(boxes, scores, 0.99).sort(), [0, 1, 2, 3, 4]);
  // Equal scores: the earlier index wins.
  assert.deepEqual(nms([[0, 0, 10, 10], [0, 0, 10, 10]], [0.5, 0.5], 0.3), [0]);
  assert.throws(() => nms(boxes, [1, 2], 0.3), /5 boxes but 2 scores/);
});
