// The detection view's worker: selective search and R-CNN on one picture, off the page's thread.
// The CNN on ~150 warped windows takes from a few tenths of a second to over a second on a slow
// machine (reference backend); here it never blocks the page's drawing or input. It runs the wasm
// backend on one thread when the browser can (a few times faster), else the reference backend.
import { registerBackend, setBackend, backend } from '../backends/index.js';
import { WasmBackend } from '../backends/wasm/index.js';
import type { Box } from '../detection/boxes.js';
import type { Scorer } from '../detection/detect.js';
import { decodeRcnn } from '../detection/model.js';
import { traceDetection, type DetectionTrace, type Rcnn } from '../detection/rcnn.js';
import { selectiveSearch } from '../detection/selective-search.js';

export type ToDetectionWorker = {
  type: 'run';
  /** Echoed back, so the page can ignore answers to a run it has replaced. */
  run: number;
  /** The detector's file, sent once: later runs with the same `detectorId` reuse the decoded one. */
  detectorId: number;
  bytes?: Uint8Array;
  image: Float32Array;
  width: number;
  height: number;
  scorer: Scorer;
  threshold: number;
};

export type FromDetectionWorker =
  | { type: 'proposals'; run: number; boxes: Box[]; labels: Int32Array; segments: number; ms: number }
  | { type: 'trace'; run: number; trace: DetectionTrace; ms: number; backend: string }
  | { type: 'error'; run: number; message: string };

try {
  registerBackend(new WasmBackend({ threads: 1 }));
  setBackend('wasm');
} catch {
  setBackend('reference');
}

const post = (m: FromDetectionWorker, transfer: Transferable[] = []): void => (self as unknown as Worker).postMessage(m, transfer);
let detector: { id: number; rcnn: Rcnn } | null = null;

self.onmessage = (ev: MessageEvent<ToDetectionWorker>) => {
  const m = ev.data;
  try {
    if (m.bytes) detector = { id: m.detectorId, rcnn: decodeRcnn(m.bytes, 'detector').rcnn };
    if (!detector || detector.id !== m.detectorId) throw new Error(`detection worker: detector ${m.detectorId} was never sent`);
    let t0 = performance.now();
    const ss = selectiveSearch(m.image, m.width, m.height);
    post({ type: 'proposals', run: m.run, boxes: ss.boxes, labels: ss.segmentation.labels, segments: ss.segmentation.count, ms: performance.now() - t0 });
    t0 = performance.now();
    const trace = traceDetection(detector.rcnn, m.image, m.width, m.height, { scorer: m.scorer, threshold: m.threshold, proposals: ss.boxes });
    post({ type: 'trace', run: m.run, trace, ms: performance.now() - t0, backend: backend().name }, [trace.windows.buffer, trace.scores.buffer, trace.probs.buffer]);
  } catch (e) {
    post({ type: 'error', run: m.run, message: (e as Error).message });
  }
};
