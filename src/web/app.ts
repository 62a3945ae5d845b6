// The zerograd explainer page: draw a digit, watch every layer, train in the browser.
// It runs zerograd itself (the same library code as the CLI) on the page's thread for the
// views, and in a Web Worker for training. The modules, by concern: state (what the page knows),
// pad (input), stages (the pipeline), detail (a clicked cell), training-panel, charts.
import * as zg from '../index.js';
import { detectionState, setupDetectionView } from './detection-view.js';
import { $, drawable, message, state } from './state.js';
import { fitPipeline, loadServedModel } from './stages.js';
import { setupHover } from './draw.js';
import { clearPad, loadSamples, setupPad, uploadImage, uploadModel } from './pad.js';
import { renderWatched, setupTraining } from './training-panel.js';

(window as unknown as { zerograd: unknown }).zerograd = { state, zg, detection: detectionState };

async function main(): Promise<void> {
  setupPad();
  setupTraining();
  setupHover($('#hover'));
  let resizing = 0;
  window.addEventListener('resize', () => { cancelAnimationFrame(resizing); resizing = requestAnimationFrame(fitPipeline); });
  $<HTMLInputElement>('#model-file').addEventListener('change', (e) => {
    const f = (e.target as HTMLInputElement).files?.[0];
    if (f) uploadModel(f).catch((err: Error) => message(err.message, 'error')).finally(() => ((e.target as HTMLInputElement).value = ''));
  });
  $<HTMLInputElement>('#image-file').addEventListener('change', (e) => {
    const f = (e.target as HTMLInputElement).files?.[0];
    if (f) uploadImage(f).catch((err: Error) => message(err.message, 'error')).finally(() => ((e.target as HTMLInputElement).value = ''));
  });
  const detection = setupDetectionView($('#detection'));
  await loadServedModel();
  clearPad();
  await loadSamples();
  renderWatched();
  detection.setTestDigits(state.testSet!);
  document.body.dataset.ready = 'true';
  message(`ready: ${drawable() ? 'draw a digit in the box' : 'upload a picture (this model was trained on a folder of pictures)'}${crossOriginIsolated ? '' : ' (note: not cross-origin isolated; training uses plain memory)'}`);
}

main().catch((e: Error) => message(e.message, 'error'));
