// Node-only: the explainer's local web server. Serves the built page (dist/explainer), the MNIST files
// (the original IDX bytes: compact, and parsed by the same code in the browser) and the model.
// Binds 127.0.0.1 unless told otherwise; refuses paths outside what it serves; survives bad requests.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeModel } from '../io/model-file.js';
import { decodeRcnn } from '../detection/model.js';
import { embeddedMnistDir, MNIST_FILES, readIdxFile } from '../data/mnist.js';

const WEB_ROOT = fileURLToPath(new URL('../explainer/', import.meta.url));
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.map': 'application/json', '.png': 'image/png', '.svg': 'image/svg+xml', '.ico': 'image/x-icon',
};
/** Largest model upload accepted (bytes). */
const MAX_UPLOAD = 64 * 1024 * 1024;

export interface ServeOptions {
  host?: string;
  port?: number;
  /** Model file to show first. */
  model?: string;
  /** Detector file (from `zerograd detect-train`) for the detection view, served at /api/detector. */
  detector?: string;
  dataDir?: string;
}

export interface RunningServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: string | Uint8Array, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': typeof body === 'string' ? Buffer.byteLength(body) : body.length,
    // Cross-origin isolation: lets the page use SharedArrayBuffer (the wasm backend's shared memory).
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

function error(res: ServerResponse, status: number, message: string): void {
  send(res, status, JSON.stringify({ error: message }), 'application/json');
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error(`upload too large: more than ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Start the server; resolves when it is listening. */
export function serve(o: ServeOptions = {}): Promise<RunningServer> {
  const dataDir = o.dataDir ?? embeddedMnistDir();
  let modelBytes: Uint8Array | null = null;
  if (o.model) {
    if (!existsSync(o.model)) throw new Error(`model file not found: ${o.model}`);
    const bytes = readFileSync(o.model);
    decodeModel(bytes, o.model); // fail now, with the file's name, rather than in the browser
    modelBytes = bytes;
  }
  let detectorBytes: Uint8Array | null = null;
  if (o.detector) {
    if (!existsSync(o.detector)) throw new Error(`detector file not found: ${o.detector}`);
    detectorBytes = readFileSync(o.detector);
    decodeRcnn(detectorBytes, o.detector); // a classifier or a damaged file is refused now, by name
  }
  if (!existsSync(join(WEB_ROOT, 'index.html'))) throw new Error(`the explainer page is not built (${WEB_ROOT}index.html missing); run npm run build`);
  const dataFiles = new Set<string>(Object.values(MNIST_FILES));
  const dataCache = new Map<string, Uint8Array>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = decodeURIComponent(url.pathname);
    if (req.method === 'POST' && path === '/api/model') {
      const body = await readBody(req, MAX_UPLOAD);
      try {
        const m = decodeModel(body, 'uploaded file');
        modelBytes = body;
        send(res, 200, JSON.stringify({ ok: true, parameters: m.model.parameterCount(), meta: m.meta }), 'application/json');
      } catch (e) {
        error(res, 400, (e as Error).message);
      }
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return error(res, 405, `method ${req.method} not allowed`);
    if (path === '/favicon.ico') return send(res, 204, '');
    if (path === '/api/model') {
      if (!modelBytes) return error(res, 404, 'no model loaded: start with --model FILE, upload one, or train one in the page');
      return send(res, 200, modelBytes, 'application/octet-stream');
    }
    if (path === '/api/detector') {
      if (!detectorBytes) return error(res, 404, 'no detector loaded: start with --detector FILE, or choose a detector file in the page');
      return send(res, 200, detectorBytes, 'application/octet-stream');
    }
    if (path.startsWith('/data/')) {
      const name = path.slice('/data/'.length);
      if (!dataFiles.has(name)) return error(res, 404, `no data file '${name}'; expected one of ${[...dataFiles].join(', ')}`);
      let bytes = dataCache.get(name);
      if (!bytes) {
        bytes = readIdxFile(dataDir, name).bytes;
        dataCache.set(name, bytes);
      }
      return send(res, 200, bytes, 'application/octet-stream');
    }
    // Static files from the built page only: normalize, then require the result to stay inside WEB_ROOT.
    const rel = normalize(path === '/' ? 'index.html' : path.replace(/^\/+/, ''));
    const file = join(WEB_ROOT, rel);
    if (rel.startsWith('..') || !file.startsWith(WEB_ROOT) || file.includes(`${sep}..${sep}`)) return error(res, 403, 'path outside the served folder');
    if (!existsSync(file) || !TYPES[extname(file)]) return error(res, 404, `not found: ${path}`);
    send(res, 200, readFileSync(file), TYPES[extname(file)]);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: Error) => {
      if (!res.headersSent) error(res, 400, e.message);
      else res.destroy();
    });
  });
  server.on('clientError', (_e, socket) => socket.destroy());
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 8080, o.host ?? '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : o.port;
      const host = o.host && o.host !== '0.0.0.0' ? o.host : '127.0.0.1';
      resolve({
        server,
        url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}
