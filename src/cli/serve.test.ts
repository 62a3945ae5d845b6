// `zerograd serve` seen as a hostile client would: uploads over the limit, many large uploads at
// once, requests from another origin, slow and malformed requests. Each test here failed on the
// server before it was hardened (a 400 or a reset instead of 413; memory growing with every
// parallel upload; a cross-origin POST replacing the model; slow connections held and malformed
// requests reset without an answer).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request, type ClientRequest } from 'node:http';
import { connect } from 'node:net';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, DEFAULT_MAX_UPLOAD, DEFAULT_MAX_CONCURRENT_UPLOADS, type RunningServer } from './serve.js';
import { encodeModel } from '../io/model-file.js';
import { cnn, mlp } from '../models/index.js';
import { tempDir } from '../testing/helpers.js';

const BIN = fileURLToPath(new URL('../../bin/zerograd.js', import.meta.url));
const dir = tempDir('serve');
const MODEL = encodeModel(mlp({ hidden: [8] }), [1, 28, 28], 10);
const OTHER_MODEL = encodeModel(cnn({ kernels: 2, hidden: 4 }), [1, 28, 28], 10);
const modelFile = join(dir, 'small.zg');
let s: RunningServer;
let port = 0;

before(async () => {
  writeFileSync(modelFile, MODEL);
  s = await serve({ port: 0, model: modelFile, timeouts: { headersMs: 300, requestMs: 600, idleMs: 400 } });
  port = Number(new URL(s.url).port);
});
after(() => s?.close());

interface Answer { status: number; body: string; bytes?: Buffer; error?: string }

/** One HTTP request with full control of the headers; the body is sent in `chunks` pieces. */
function call(method: string, path: string, headers: Record<string, string | number>, body?: Buffer, o: { port?: number; chunks?: number } = {}): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: o.port ?? port, method, path, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString(), bytes: Buffer.concat(parts) }));
      res.on('error', (e) => resolve({ status: res.statusCode ?? 0, body: '', error: e.message }));
    });
    req.on('error', (e) => resolve({ status: 0, body: '', error: e.message }));
    (async () => {
      const n = o.chunks ?? 1;
      const step = Math.ceil((body?.length ?? 0) / n);
      for (let i = 0; body && i < body.length; i += step) {
        if (!req.write(body.subarray(i, i + step))) await drained(req);
        if (req.destroyed) return;
      }
      req.end();
    })();
  });
}

/** Until the request's buffered data is sent, or it is closed. */
function drained(req: ClientRequest): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      req.off('drain', done);
      req.off('close', done);
      resolve();
    };
    req.on('drain', done);
    req.on('close', done);
  });
}

/** The headers the served page sends with an upload: its own Origin and the token from the page. */
const own = (extra: Record<string, string | number> = {}) => ({ Host: `127.0.0.1:${port}`, Origin: `http://127.0.0.1:${port}`, 'X-Zerograd-Token': s.token, ...extra });

test('an upload over --max-upload is answered 413 with a message, not a reset; the server keeps serving', async () => {
  const big = Buffer.alloc(DEFAULT_MAX_UPLOAD + 1);
  const r = await call('POST', '/api/model', own({ 'Content-Length': big.length }), big, { chunks: 8 });
  assert.equal(r.status, 413, `status ${r.status} ${r.error ?? r.body}`);
  assert.match(JSON.parse(r.body).error, new RegExp(`upload too large: ${big.length} bytes, expected at most ${DEFAULT_MAX_UPLOAD}`));
  // Without a Content-Length (chunked) the count is kept as the body streams.
  const chunked = await call('POST', '/api/model', own({ 'Transfer-Encoding': 'chunked' }), big, { chunks: 40 });
  assert.equal(chunked.status, 413, `status ${chunked.status} ${chunked.error ?? chunked.body}`);
  assert.equal((await call('GET', '/api/model', own())).status, 200);
});

test('a state-changing request from another origin, or without the page\'s token, is refused', async () => {
  // What a no-cors fetch from a page on another port sends: its own Origin, a text/plain body, no token.
  const attacks: Array<[string, Record<string, string | number>]> = [
    ['another origin', { Host: `127.0.0.1:${port}`, Origin: `http://127.0.0.1:${port + 1}`, 'Content-Type': 'text/plain' }],
    ['another origin with the token', own({ Origin: 'http://evil.example' })],
    ['no Origin', { Host: `127.0.0.1:${port}`, 'X-Zerograd-Token': s.token }],
    ['own Origin, no token', { Host: `127.0.0.1:${port}`, Origin: `http://127.0.0.1:${port}` }],
    ['own Origin, wrong token', own({ 'X-Zerograd-Token': 'x'.repeat(s.token.length) })],
    // DNS rebinding: evil.example resolves to 127.0.0.1, so its Origin matches its Host.
    ['a Host that is not ours', own({ Host: `evil.example:${port}`, Origin: `http://evil.example:${port}` })],
  ];
  for (const [what, headers] of attacks) {
    const r = await call('POST', '/api/model', headers, Buffer.from(OTHER_MODEL));
    assert.equal(r.status, 403, `${what}: status ${r.status} ${r.body}`);
    assert.match(JSON.parse(r.body).error, /refused|token|not this server/, what);
  }
  const served = await call('GET', '/api/model', own());
  assert.ok(served.bytes?.equals(MODEL), 'the model was replaced');
  assert.equal((await call('GET', '/', own({ Host: `evil.example:${port}` }))).status, 403);
  // The token is in the page the server serves, and only there.
  const page = await call('GET', '/', own());
  assert.match(page.body, new RegExp(`<meta name="zerograd-token" content="${s.token}">`));
  // The page itself (own Origin + token) may.
  const ok = await call('POST', '/api/model', own(), Buffer.from(OTHER_MODEL));
  assert.equal(ok.status, 200, ok.body);
  assert.equal((await call('POST', '/api/model', own(), Buffer.from(MODEL))).status, 200);
});

/** Send raw bytes on a fresh connection; the status of the answer (0 if none) and whether the server closed it within `waitMs`. */
function raw(text: string | Buffer, waitMs = 3000, keepOpen = false): Promise<{ status: number; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let got = '';
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const m = /^HTTP\/1\.1 (\d{3})/.exec(got);
      resolve({ status: m ? Number(m[1]) : 0, closed });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (!keepOpen && got.includes('\r\n')) finish(false);
    });
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.write(text);
  });
}

test('slow and idle connections are closed', async () => {
  // Headers never finished (slowloris): closed once headersMs passes, with a 408.
  const slowHeaders = await raw(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`, 5000, true);
  assert.ok(slowHeaders.closed, 'a request whose headers never end was left open');
  // Connected and silent: closed by the idle limit.
  assert.ok((await raw('', 5000, true)).closed, 'a silent connection was left open');
  // A body trickled a byte at a time: each byte resets the idle timer, so only the whole-request limit ends it.
  const socket = connect(port, '127.0.0.1');
  const headers = Object.entries(own({ 'Content-Length': 1000 })).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.write(`POST /api/model HTTP/1.1\r\n${headers}\r\n`);
  socket.on('error', () => {}); // the server cutting the connection mid-write is the expected ending
  const trickle = setInterval(() => socket.writable && socket.write('x'), 100);
  const closed = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 5000);
    socket.on('close', () => resolve(true));
    socket.on('close', () => clearTimeout(timer));
  });
  clearInterval(trickle);
  socket.destroy();
  assert.ok(closed, 'a trickled upload was left open');
});

test('1,000 bad requests in a row are each answered 4xx, and a good request still works afterwards', async () => {
  const host = `Host: 127.0.0.1:${port}\r\n`;
  const bad: Array<[string, string]> = [
    ['garbage request line', 'GARBAGE\r\n\r\n'],
    ['header without a colon', `GET / HTTP/1.1\r\n${host}Bad Header\r\n\r\n`],
    ['headers too large', `GET / HTTP/1.1\r\n${host}X-Big: ${'a'.repeat(20000)}\r\n\r\n`],
    ['bad Content-Length', `POST /api/model HTTP/1.1\r\n${host}Content-Length: abc\r\n\r\n`],
    ['path traversal', `GET /..%2f..%2fpackage.json HTTP/1.1\r\n${host}Connection: close\r\n\r\n`],
    ['broken percent escape', `GET /%E0%A4%A HTTP/1.1\r\n${host}Connection: close\r\n\r\n`],
    ['method not allowed', `DELETE /api/model HTTP/1.1\r\n${host}Connection: close\r\n\r\n`],
    ['upload without the token', `POST /api/model HTTP/1.1\r\n${host}Origin: http://127.0.0.1:${port}\r\nContent-Length: 4\r\n\r\nnope`],
    ['not a model', `POST /api/model HTTP/1.1\r\n${host}Origin: http://127.0.0.1:${port}\r\nX-Zerograd-Token: ${s.token}\r\nContent-Length: 4\r\n\r\nnope`],
    ['no Host', 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n'],
  ];
  const failures: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const [what, text] = bad[i % bad.length];
    const r = await raw(text);
    if (!(r.status >= 400 && r.status < 500)) failures.push(`#${i} ${what}: ${r.status || 'no answer'}`);
  }
  assert.deepEqual(failures.slice(0, 10), [], `${failures.length} of 1000 bad requests not answered 4xx`);
  assert.equal((await call('GET', '/api/model', own())).status, 200);
  assert.equal((await call('POST', '/api/model', own(), Buffer.from(MODEL))).status, 200);
});

/** Peak resident memory of a process (VmHWM, bytes): what the kernel saw, whatever the garbage collector did. */
function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, `no VmHWM in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

test('eight parallel uploads at the size limit: memory stays bounded by the concurrent-upload cap', { skip: process.platform !== 'linux' && 'reads /proc (Linux only)' }, async (t) => {
  assert.ok(existsSync(BIN));
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
    });
    const childPort = Number(new URL(url).port);
    const headers = { Host: `127.0.0.1:${childPort}`, Origin: `http://127.0.0.1:${childPort}` };
    const page = await call('GET', '/', headers, undefined, { port: childPort });
    const token = /name="zerograd-token" content="([^"]+)"/.exec(page.body)?.[1] ?? '';
    await call('POST', '/api/model', { ...headers, 'X-Zerograd-Token': token }, Buffer.from(MODEL), { port: childPort }); // warm up the upload path
    const before = peakRss(child.pid!);
    const body = Buffer.alloc(DEFAULT_MAX_UPLOAD, 7); // at the limit, and not a model: refused after it is read
    const answers = await Promise.all(Array.from({ length: 8 }, () =>
      call('POST', '/api/model', { ...headers, 'X-Zerograd-Token': token, 'Content-Length': body.length }, body, { port: childPort, chunks: 32 })));
    const growth = peakRss(child.pid!) - before;
    const statuses = answers.map((a) => a.status || a.error);
    t.diagnostic(`server peak memory grew by ${(growth / 2 ** 20).toFixed(0)} MiB over 8 parallel uploads of ${DEFAULT_MAX_UPLOAD / 2 ** 20} MiB; answers ${statuses}`);
    // At most the cap's worth of bodies in memory at once (each read into one buffer of its size),
    // plus two more uploads' worth for socket buffers and the refused bodies' chunks, read and
    // dropped but not yet collected. Unbounded, the 8 bodies alone are 256 MiB.
    const bound = (DEFAULT_MAX_CONCURRENT_UPLOADS + 2) * DEFAULT_MAX_UPLOAD;
    assert.ok(growth < bound, `server peak memory grew by ${(growth / 2 ** 20).toFixed(0)} MiB, expected < ${(bound / 2 ** 20).toFixed(0)} MiB`);
    assert.ok(answers.filter((a) => a.status === 400).length <= DEFAULT_MAX_CONCURRENT_UPLOADS, `statuses ${statuses}`);
    assert.ok(answers.every((a) => a.status === 400 || a.status === 503), `statuses ${statuses}`);
  } finally {
    child.kill();
  }
});
