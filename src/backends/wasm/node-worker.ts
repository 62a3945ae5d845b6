// Node-only: a worker thread of the wasm backend's pool.
import { workerData } from 'node:worker_threads';
import { workerLoop, type WorkerInit } from './pool.js';

workerLoop(workerData as WorkerInit);
