// Node-only: the explainer's local web server. Serves the built page (dist/explainer), the MNIST files
// (the original IDX bytes: compact, and parsed by the same code in the browser) and the model.
// Binds 127.0.0.1 unless told otherwise; refuses paths outside what it serves; answers bad requests
// with 4xx and keeps serving; times out slow and idle connections; lets only its own page, holding
// the per-start token, replace the model (see serve-guard.ts for why each check is there).
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeModel } from '../io/model-file.js';
import { decodeRcnn } from '../detection/model.js';
import { embeddedMnistDir, MNIST_FILES, readIdxFile } from '../data/mnist.js';
import { allowedHosts, checkHost, checkStateChange, drain, injectPageSettings, newToken, readBody, UploadError } from './serve-guard.js';

const WEB_ROOT = fileURLToPath(new URL('../explainer/', import.meta.url));
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.map': 'application/json', '.png': 'image/png', '.svg': 'image/svg+xml', '.ico': 'image/x-icon',
};
/**
 * Largest model upload accepted by default: 32 MiB, 8.4 million float32 parameters. The biggest
 * network the page's training form builds at its default hidden size (a CNN of 256 kernels of 1×1,
 * pooled to 256×14×14 = 50,176 features, then 100 hidden units) has 5.0 million parameters, a 20 MB
 * file; a DNN of 784-2048-2048-10 (5.8 million, 23 MB) fits too. Larger files are refused up front
 * rather than read into memory; `--max-upload` raises the limit.
 */
export const DEFAULT_MAX_UPLOAD = 32 * 1024 * 1024;
/** Uploads read at the same time by default; more wait for none of them: they get 503. */
export const DEFAULT_MAX_CONCURRENT_UPLOADS = 2;
/** Default time limits (ms): the request headers, the whole request with its body, a silent connection. */
export const DEFAULT_TIMEOUTS = { headersMs: 10_000, requestMs: 120_000, idleMs: 30_000 };

export interface ServeOptions {
  host?: string;
  port?: number;
  /** Model file to show first. */
  model?: string;
  /** Detector file (from `zerograd detect-train`) for the detection view, served at /api/detector. */
  detector?: string;
  dataDir?: string;
  /** Largest model upload, in bytes (DEFAULT_MAX_UPLOAD). */
  maxUpload?: number;
  /** Uploads read at the same time; more are answered 503 (DEFAULT_MAX_CONCURRENT_UPLOADS). */
  maxConcurrentUploads?: number;
  /** Time limits in ms (DEFAULT_TIMEOUTS): headers ≤ request; idle = no byte either way on a connection. */
  timeouts?: { headersMs?: number; requestMs?: number; idleMs?: number };
}

export interface RunningServer {
  server: Server;
  url: string;
  /** This start's token: the page sends it in the X-Zerograd-Token header to change the model. */
  token: string;
  close(): Promise<void>;
}

const COMMON_HEADERS = {
  // Cross-origin isolation: lets the page use SharedArrayBuffer (the wasm backend's shared memory).
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
};

function send(res: ServerResponse, status: number, body: string | Uint8Array, type = 'text/plain; charset=utf-8', extra: Record<string, string> = {}): void {
  res.writeHead(status, {
    ...COMMON_HEADERS, ...extra,
    'Content-Type': type,
    'Content-Length': typeof body === 'string' ? Buffer.byteLength(body) : body.length,
  });
  res.end(body);
}

function error(res: ServerResponse, status: number, message: string, extra: Record<string, string> = {}): void {
  send(res, status, JSON.stringify({ error: message }), 'application/json', extra);
}

/** A whole HTTP response written straight to a socket, for errors the parser meets before a request exists. */
function rawError(status: number, message: string): string {
  const body = JSON.stringify({ error: message });
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `Connection: close\r\n\r\n${body}`;
}

function positive(value: number | undefined, fallback: number, what: string): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < 1) throw new Error(`serve: ${what} must be a positive integer, got ${value}`);
  return v;
}

/** Start the server; resolves when it is listening. */
export function serve(o: ServeOptions = {}): Promise<RunningServer> {
  const dataDir = o.dataDir ?? embeddedMnistDir();
  const maxUpload = positive(o.maxUpload, DEFAULT_MAX_UPLOAD, 'maxUpload (--max-upload)');
  const maxConcurrent = positive(o.maxConcurrentUploads, DEFAULT_MAX_CONCURRENT_UPLOADS, 'maxConcurrentUploads');
  const headersMs = positive(o.timeouts?.headersMs, DEFAULT_TIMEOUTS.headersMs, 'timeouts.headersMs');
  const requestMs = positive(o.timeouts?.requestMs, Math.max(headersMs, DEFAULT_TIMEOUTS.requestMs), 'timeouts.requestMs');
  const idleMs = positive(o.timeouts?.idleMs, DEFAULT_TIMEOUTS.idleMs, 'timeouts.idleMs');
  if (headersMs > requestMs) throw new Error(`serve: timeouts.headersMs (${headersMs}) must not exceed timeouts.requestMs (${requestMs})`);
  const token = newToken();
  let hosts = new Set<string>();
  let uploads = 0;
  const drainLimit = 8 * maxUpload;
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

  // Replace the model: only from this server's page (Origin + token), one size-checked body at a time
  // per slot; anything refused is answered with a status and a message the page shows.
  const upload = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // A refused upload's body is read and dropped (up to a bound) before the answer ends, so that a
    // browser still sending it receives the answer instead of a reset connection ("Failed to fetch").
    const refuse = (status: number, message: string, extra: Record<string, string> = {}) => {
      drain(req, drainLimit);
      error(res, status, message, extra);
    };
    const refused = checkStateChange(req, token);
    if (refused) return refuse(403, refused);
    if (uploads >= maxConcurrent) {
      return refuse(503, `busy: ${uploads} uploads already in progress (at most ${maxConcurrent}); try again`, { 'Retry-After': '1' });
    }
    uploads++;
    try {
      const body = await readBody(req, maxUpload, drainLimit);
      const m = decodeModel(body, 'uploaded file');
      modelBytes = body;
      send(res, 200, JSON.stringify({ ok: true, parameters: m.model.parameterCount(), meta: m.meta }), 'application/json');
    } catch (e) {
      const status = e instanceof UploadError ? e.status : 400;
      error(res, status, (e as Error).message);
    } finally {
      uploads--;
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = decodeURIComponent(url.pathname);
    const badHost = checkHost(req, hosts);
    if (badHost) return error(res, 403, badHost, { Connection: 'close' });
    if (req.method === 'POST' && path === '/api/model') return upload(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return error(res, 405, `method ${req.method} not allowed on ${path}; expected GET or HEAD (or POST /api/model)`, { Allow: 'GET, HEAD' });
    }
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
    if (rel === 'index.html') return send(res, 200, injectPageSettings(readFileSync(file, 'utf8'), token, maxUpload), TYPES['.html']);
    send(res, 200, readFileSync(file), TYPES[extname(file)]);
  };

  // Node checks headersTimeout and requestTimeout on a timer (every 30 s by default); tick often
  // enough that a small limit (in tests) is noticed soon after it passes.
  const server = createServer({
    headersTimeout: headersMs, requestTimeout: requestMs,
    connectionsCheckingInterval: Math.max(10, Math.min(30_000, Math.floor(headersMs / 4))),
  }, (req, res) => {
    handle(req, res).catch((e: Error) => {
      if (!res.headersSent) error(res, 400, e.message);
      else res.destroy();
    });
  });
  // A connection silent for idleMs (no byte in either direction) is closed: a slow or stalled
  // client cannot hold a socket, or an upload slot, indefinitely.
  server.setTimeout(idleMs, (socket) => socket.destroy());
  server.keepAliveTimeout = Math.min(5_000, idleMs);
  // Requests the HTTP parser rejects (malformed, headers too large, too slow) get a 4xx answer, not a reset.
  server.on('clientError', (e: NodeJS.ErrnoException, socket) => {
    if (e.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const [status, why] = e.code === 'HPE_HEADER_OVERFLOW' ? [431, 'request headers too large']
      : e.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'request took too long']
      : [400, `malformed HTTP request (${e.code ?? e.message})`];
    // Then close: a client still sending (a trickled body) must not keep the socket half-open.
    socket.end(rawError(status, why), () => socket.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 8080, o.host ?? '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : o.port ?? 8080;
      hosts = allowedHosts(o.host ?? '127.0.0.1', port);
      const host = o.host && o.host !== '0.0.0.0' ? o.host : '127.0.0.1';
      resolve({
        server, token,
        url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
        close: () => new Promise((r) => {
          server.close(() => r());
          server.closeAllConnections();
        }),
      });
    });
  });
}
