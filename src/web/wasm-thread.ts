// A thread of the wasm backend's pool in the browser: a Web Worker that receives its start-up
// data (the compiled module, the shared memory, its place in the pool) and runs the worker loop.
import { workerLoop, type WorkerInit } from '../backends/wasm/pool.js';

self.onmessage = (ev: MessageEvent<WorkerInit>) => workerLoop(ev.data);
