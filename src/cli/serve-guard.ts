// Node-only: what `zerograd serve` checks before it lets a request change anything, and how it
// reads an upload without letting a client decide how much memory the server uses.
//
// The threat is a web page elsewhere (another port on localhost, or any site the user visits) that
// POSTs to the explainer: a "simple" cross-origin request (no-cors, text/plain body) reaches the
// server without a CORS preflight, so the server itself must refuse it. Three checks, all needed:
//   Host    must be one of this server's own names: a DNS-rebinding page (evil.example resolving to
//           127.0.0.1) is same-origin with itself, so only the Host header gives it away;
//   Origin  must be the page's own (http://<Host>): browsers always send it on a POST;
//   token   a random value made at each start and written into the page the server serves; a page
//           elsewhere cannot read it (the same-origin policy), and a custom header cannot be sent
//           cross-origin without a preflight, which this server never approves.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';

/** The request header that carries the per-start token. */
export const TOKEN_HEADER = 'x-zerograd-token';

/** A fresh token for one server start: 256 random bits, URL-safe. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The Host header values this server answers to: the loopback names, the address it was told to
 * listen on, and, when that is a wildcard (0.0.0.0, ::), every address of this machine.
 */
export function allowedHosts(host: string, port: number): Set<string> {
  const names = new Set(['127.0.0.1', 'localhost', '::1']);
  if (host === '0.0.0.0' || host === '::') {
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) names.add(a.address);
    names.add(hostname());
  } else {
    names.add(host);
  }
  return new Set([...names].map((h) => `${h.includes(':') ? `[${h}]` : h}:${port}`.toLowerCase()));
}

/** Why a request may not be served at all (a Host that is not ours), or undefined when it may. */
export function checkHost(req: IncomingMessage, hosts: Set<string>): string | undefined {
  const host = (req.headers.host ?? '').toLowerCase();
  if (!hosts.has(host)) return `Host '${req.headers.host ?? ''}' is not this server's; expected one of ${[...hosts].join(', ')}`;
  return undefined;
}

/** Why a state-changing request is refused (wrong Origin or token), or undefined when it is allowed. */
export function checkStateChange(req: IncomingMessage, token: string): string | undefined {
  const own = `http://${(req.headers.host ?? '').toLowerCase()}`;
  const origin = req.headers.origin;
  if (origin !== own) {
    return `cross-origin request refused: Origin '${origin ?? '(none)'}' is not this page's (${own}); use the page the server serves`;
  }
  const sent = Buffer.from(String(req.headers[TOKEN_HEADER] ?? ''));
  const want = Buffer.from(token);
  // Constant-time comparison: the time taken says nothing about how many characters were right.
  if (sent.length !== want.length || !timingSafeEqual(sent, want)) {
    return `missing or wrong ${TOKEN_HEADER} header: reload the page (the token changes each time the server starts)`;
  }
  return undefined;
}

/** The page's HTML with the token and the upload limit written into its head, for app.ts to read. */
export function injectPageSettings(html: string, token: string, maxUpload: number): string {
  const meta = `<meta name="zerograd-token" content="${token}">\n<meta name="zerograd-max-upload" content="${maxUpload}">\n`;
  return html.includes('</head>') ? html.replace('</head>', `${meta}</head>`) : meta + html;
}

/** An upload refused part-way: the HTTP status and the message for the client. */
export class UploadError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/**
 * Read a request body of at most `limit` bytes, counting as it streams. With a Content-Length the
 * buffer is allocated once, at that size (already checked against the limit), and filled in place,
 * so an upload never holds more than its own size; without one (chunked) the chunks are joined at
 * the end, and the count stops the stream as soon as it passes the limit. Past the limit the rest
 * of the body is read and dropped (up to `drainLimit` bytes, then the connection is cut) so that
 * the client, a browser included, still receives the 413 answer instead of a reset connection.
 */
export function readBody(req: IncomingMessage, limit: number, drainLimit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
    const tooLarge = (n: number) => new UploadError(413,
      `upload too large: ${n} bytes, expected at most ${limit} bytes (the server's --max-upload)`);
    if (declared !== undefined && declared > limit) {
      drain(req, drainLimit);
      return reject(tooLarge(declared));
    }
    const whole = declared !== undefined ? Buffer.allocUnsafe(declared) : undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      if (size + c.length > limit) {
        req.off('data', onData);
        drain(req, drainLimit);
        return reject(tooLarge(size + c.length));
      }
      if (whole) c.copy(whole, size);
      else chunks.push(c);
      size += c.length;
    };
    req.on('data', onData);
    req.on('end', () => resolve(whole ? whole.subarray(0, size) : Buffer.concat(chunks, size)));
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new UploadError(400, 'upload cut short by the client'));
    });
  });
}

/** Read and drop the rest of a body; past `limit` bytes, cut the connection. */
export function drain(req: IncomingMessage, limit: number): void {
  let n = 0;
  req.on('data', (c: Buffer) => {
    n += c.length;
    if (n > limit) req.destroy();
  });
  req.resume();
}

/** Parse a size: bytes, or a number with KB, MB or GB (powers of 1024), e.g. "32MB". */
export function parseSize(text: string, what = '--max-upload'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb?|kib|mb?|mib|gb?|gib)?\s*$/i.exec(text);
  const unit = (m?.[2] ?? 'b').toLowerCase()[0];
  const n = m ? Math.floor(Number(m[1]) * 1024 ** 'bkmg'.indexOf(unit)) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${what}: expected a size such as 32MB or 1048576 (bytes), got '${text}'`);
  return n;
}
