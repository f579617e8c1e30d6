// The HTTP side of XEP-0363 (§6): PUT into a slot, GET and HEAD of the file, CORS for web clients.
// Status codes follow Prosody's mod_http_file_share: 403 for a URL whose signature does not hold,
// 410 once it has expired, 413 when Content-Length is not the slot's size, 409 for a second PUT;
// a Content-Type other than the slot's is 400 (§6 "SHOULD reject").
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Context } from 'koa';
import type { Logger } from '../../log.js';
import { nowSeconds, type Method, type UploadFiles, type UploadRecord } from './files.js';

export const HTTP_PREFIX = '/upload/';
/**
 * The origins of this server's own upload links (its HTTP and HTTPS listeners), as JSON
 * `{"origins": […]}`: a web client served here fetches its files through its own page's origin
 * when a link names another of these (docs/client.md, "Files").
 */
export const ORIGINS_PATH = '/upload/origins.json';

/** An uploaded page or SVG must not run script or load anything, even when opened directly. */
const CSP = "default-src 'none'; frame-ancestors 'none'; sandbox";
const PATH = /^\/upload\/([A-Za-z0-9_-]{32})\/([^/]+)$/;

/** `type/subtype`, lowercased, without parameters: what a Content-Type is compared on. */
export function essence(type: string): string {
  return type.split(';')[0]!.trim().toLowerCase();
}

/** A media type as RFC 9110 §8.3.1 writes it (token/token, optional parameters), without control characters. */
export function validMediaType(type: string): boolean {
  return type.length <= 255 && /^[\w!#$%&'*+.^`|~-]+\/[\w!#$%&'*+.^`|~-]+(\s*;[\x20-\x7e]*)?$/.test(type);
}

/** RFC 6266 §4.3 with RFC 8187's filename* for names beyond ASCII. */
export function contentDisposition(type: string, filename: string): string {
  const kind = essence(type).startsWith('image/') ? 'inline' : 'attachment';
  const ascii = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** The path and query of a slot's URL for one method. */
export function slotPath(files: UploadFiles, method: Method, id: string, r: UploadRecord): string {
  const expires = method === 'PUT' ? r.putExpires : r.expires;
  return `${HTTP_PREFIX}${id}/${encodeURIComponent(r.filename)}?e=${expires}&s=${files.sign(method, id, r.filename, expires)}`;
}

function fail(ctx: Context, status: number, message: string): void {
  ctx.status = status;
  ctx.type = 'text/plain';
  ctx.body = `${message}\n`;
}

/** Stops a body that goes past `limit` bytes (Content-Length already bounds it; this makes sure). */
function atMost(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      done(seen > limit ? new Error('more bytes than the slot holds') : null, chunk);
    },
  });
}

/**
 * One byte range of RFC 9110 §14.1.2 (`bytes=a-b`, `a-`, `-n`) as [first, last]; undefined to send
 * the whole file (no Range, or several ranges, which §14.2 lets a server ignore).
 */
export function byteRange(header: string, size: number): [number, number] | 'unsatisfiable' | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const n = Math.min(Number(m[2]), size);
    return n === 0 ? 'unsatisfiable' : [size - n, size - 1];
  }
  const start = Number(m[1]);
  if (start >= size) return 'unsatisfiable';
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  return end < start ? undefined : [start, end];
}

export function uploadHandler(files: UploadFiles, log: Logger, origins: () => string[]): (ctx: Context) => Promise<void> {
  return async (ctx) => {
    // CORS, so that web clients on other origins (Converse.js, our own) can PUT and GET.
    ctx.set('Access-Control-Allow-Origin', '*');
    ctx.set('Access-Control-Allow-Methods', 'PUT, GET, HEAD, OPTIONS');
    ctx.set('Access-Control-Allow-Headers', 'Content-Type');
    if (ctx.method === 'OPTIONS') {
      ctx.set('Access-Control-Max-Age', '86400');
      ctx.status = 204;
      return;
    }
    if (ctx.path === ORIGINS_PATH && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
      ctx.set('Cache-Control', 'no-cache'); // the ports may change with a restart
      ctx.body = { origins: origins() };
      return;
    }
    const m = PATH.exec(ctx.path);
    let filename: string | undefined;
    try {
      filename = m ? decodeURIComponent(m[2]!) : undefined;
    } catch {
      filename = undefined;
    }
    if (!m || filename === undefined) return fail(ctx, 404, 'no such file');
    const id = m[1]!;
    const method: Method | undefined = ctx.method === 'PUT' ? 'PUT' : ctx.method === 'GET' || ctx.method === 'HEAD' ? 'GET' : undefined;
    if (!method) {
      ctx.set('Allow', 'PUT, GET, HEAD, OPTIONS');
      return fail(ctx, 405, 'method not allowed');
    }
    const e = typeof ctx.query.e === 'string' && /^\d{1,12}$/.test(ctx.query.e) ? Number(ctx.query.e) : undefined;
    const s = typeof ctx.query.s === 'string' ? ctx.query.s : '';
    if (e === undefined || !files.verify(method, id, filename, e, s)) return fail(ctx, 403, 'invalid signature');
    if ((method === 'PUT' || e !== 0) && nowSeconds() >= e) return fail(ctx, 410, 'this URL has expired');
    const record = files.get(id);
    if (method === 'PUT') return put(ctx, files, log, id, record);
    return get(ctx, files, id, record);
  };
}

async function put(ctx: Context, files: UploadFiles, log: Logger, id: string, r: UploadRecord | undefined): Promise<void> {
  if (!r) return fail(ctx, 404, 'no such slot');
  if (r.stored || files.uploading.has(id)) return fail(ctx, 409, 'this slot has been used');
  const lengthHeader = ctx.get('Content-Length');
  if (!lengthHeader) return fail(ctx, 411, 'Content-Length is required');
  // §6: "MUST reject the file upload if the Content-Length does not match the size of the slot request".
  if (!/^\d+$/.test(lengthHeader) || Number(lengthHeader) !== r.size) return fail(ctx, 413, `Content-Length must be ${r.size}, the size of the slot`);
  const type = ctx.get('Content-Type');
  // §6: "SHOULD reject the file if the Content-Type has been specified beforehand and does not match".
  if (r.type !== null && essence(type) !== essence(r.type)) return fail(ctx, 400, `Content-Type must be ${r.type}, as the slot was requested`);
  files.uploading.add(id);
  const part = `${files.path(id)}.part`;
  try {
    await pipeline(ctx.req, atMost(r.size), createWriteStream(part, { flags: 'wx', mode: 0o600 }));
    const { size } = await stat(part);
    if (size !== r.size) throw new Error(`received ${size} of ${r.size} bytes`);
    await rename(part, files.path(id));
    files.markStored(id, r.type === null && validMediaType(type) ? type : null);
    ctx.body = null;
    ctx.status = 201; // §6: "201 means that the server is now ready to serve the file"; set after the body, which would make it 204
  } catch (err) {
    await rm(part, { force: true });
    log.info({ err: (err as Error).message, slot: id }, 'upload failed');
    fail(ctx, 400, 'the upload did not complete');
  } finally {
    files.uploading.delete(id);
  }
}

async function get(ctx: Context, files: UploadFiles, id: string, r: UploadRecord | undefined): Promise<void> {
  if (!r || !r.stored) return fail(ctx, 404, 'no such file');
  let size: number;
  try {
    size = (await stat(files.path(id))).size;
  } catch {
    return fail(ctx, 404, 'no such file');
  }
  const type = r.type ?? 'application/octet-stream';
  const range = byteRange(ctx.get('Range'), size);
  if (range === 'unsatisfiable') {
    ctx.set('Content-Range', `bytes */${size}`);
    return fail(ctx, 416, 'range not satisfiable');
  }
  const [start, end] = range ?? [0, size - 1];
  // An empty file gets an empty body: without one, koa would send its status text.
  if (ctx.method === 'GET') ctx.body = end >= start ? createReadStream(files.path(id), { start, end }) : Buffer.alloc(0);
  ctx.status = range ? 206 : 200;
  // Set after the body, which would otherwise choose the type itself.
  ctx.set('Content-Type', type);
  ctx.set('Content-Length', String(end - start + 1));
  if (range) ctx.set('Content-Range', `bytes ${start}-${end}/${size}`);
  // iOS players (Monal, Siskin) and browsers seek in audio and video with ranges.
  ctx.set('Accept-Ranges', 'bytes');
  ctx.set('Content-Disposition', contentDisposition(type, r.filename));
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Content-Security-Policy', CSP);
  ctx.set('Last-Modified', new Date(r.created).toUTCString());
  const maxAge = r.expires === 0 ? 31_536_000 : Math.max(0, r.expires - nowSeconds());
  ctx.set('Cache-Control', `public, max-age=${maxAge}, immutable`);
}
