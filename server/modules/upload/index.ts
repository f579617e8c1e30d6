// XEP-0363 HTTP File Upload (v1.1, urn:xmpp:http:upload:0): a service at upload.<domain> hands the
// server's own users slots — a PUT URL and a GET URL, signed with an HMAC and expiring — and the
// server's HTTP and HTTPS ports take the file and serve it (http.ts). Records, quota and expiry
// are in files.ts; the settings (`upload` key) in config.ts; operators read docs/configuration.md.
import { StanzaError } from '../../../xmpp/errors.js';
import { buildForm } from '../../../xmpp/forms.js';
import { NS } from '../../../xmpp/namespaces.js';
import { x } from '../../../xmpp/xml.js';
import { PRIORITY } from '../../core/events.js';
import { defineModule } from '../../core/module.js';
import type { XmppServer } from '../../core/server.js';
import { configuredCertificate } from '../../tls.js';
import { parseUploadSettings, type UploadSettings } from './config.js';
import { UploadFiles, type UploadRecord } from './files.js';
import { HTTP_PREFIX, slotPath, uploadHandler, validMediaType } from './http.js';

const SWEEP_INTERVAL_MS = 60 * 60 * 1000;

/**
 * The base of a slot's links (scheme, host, port) for a requester that came over `via` (the HTTP
 * listener of its WebSocket or BOSH connection; undefined for TCP). `upload.url` wins. With a
 * configured certificate, HTTPS whenever it listens: every client can fetch those. With only the
 * self-signed one, nobody trusts HTTPS but a browser whose page was opened on it (a web client on
 * the HTTP port fails the PUT, Conversations and Dino refuse it too), so the link follows the
 * requester: the HTTPS port for a session over it, else HTTP while HTTP listens. Either port
 * serves every link: the signature covers neither scheme nor port (files.ts sign()).
 * XEP-0363 §4 says "The host MUST provide Transport Layer Security": http links are the one
 * exception, for the default set-up where no client could use the HTTPS links anyway; a
 * certificate in tls.cert/tls.key (or upload.url) gives https links to everyone.
 */
export function publicBase(server: XmppServer, settings: UploadSettings, via?: 'http' | 'https'): string | undefined {
  if (settings.url) return settings.url;
  const bases = listenerBases(server);
  if (!bases.https) return bases.http;
  if (!bases.http || via === 'https' || configuredCertificate(server.config) !== undefined) return bases.https;
  return bases.http;
}

/** The bases of the HTTP and HTTPS listeners (the ports they actually got) at the server's domain. */
export function listenerBases(server: XmppServer): { http?: string; https?: string } {
  const { http, https } = server.httpPorts;
  return {
    ...(http !== null ? { http: `http://${server.domain}${http === 80 ? '' : `:${http}`}` } : {}),
    ...(https !== null ? { https: `https://${server.domain}${https === 443 ? '' : `:${https}`}` } : {}),
  };
}

/** XEP-0082 date-time in UTC, without fractions. */
const stamp = (seconds: number): string => new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** When enough of `live` has expired for `size` more bytes to fit in `quota` (undefined: never). */
function retryAt(live: UploadRecord[], used: number, size: number, quota: number): number | undefined {
  if (size > quota) return undefined;
  let left = used;
  for (const r of [...live].sort((a, b) => (a.stored ? a.expires : a.putExpires) - (b.stored ? b.expires : b.putExpires))) {
    const at = r.stored ? r.expires : r.putExpires;
    if (at === 0) return undefined;
    left -= r.size;
    if (left + size <= quota) return at;
  }
  return undefined;
}

export default defineModule<UploadSettings>({
  name: 'upload',
  config: { key: 'upload', parse: parseUploadSettings },
  setup(m) {
    const settings = m.config;
    const { server } = m;
    if (!settings.enabled) return;
    if (settings.url === null && server.config.http.port === null && server.config.https.port === null) {
      m.log.warn('file uploads are off: neither http.port nor https.port listens and upload.url is not set');
      return;
    }
    const domain = settings.domain ?? `upload.${server.domain}`;
    const files = new UploadFiles(server.config.dataDir, m.store<UploadRecord>('files'), m.store<number>('owned'), m.store<string>('secret'), settings);
    const service = m.service(domain, {
      identity: { category: 'store', type: 'file', name: 'HTTP File Upload' },
      // §3: the limit, so that clients need not ask for a slot they cannot have.
      extensions: () => [buildForm({ type: 'result', formType: NS.HTTP_UPLOAD, fields: [{ var: 'max-file-size', value: settings.maxBytes }] })],
    });

    service.iq('get', NS.HTTP_UPLOAD, ({ from, to, payload }) => {
      // Slots come from the service itself, not from JIDs at its domain.
      if (to.local || to.resource) throw new StanzaError('service-unavailable');
      if (payload.name !== 'request') throw new StanzaError('bad-request', 'expected <request/>');
      // §5 Example 9 answers a requester who may not upload with not-allowed (cancel).
      if (!server.userExists(from)) throw new StanzaError('not-allowed', `only users of ${server.domain} may upload files here`, 'cancel');
      const filename = payload.attrs.filename;
      // §4: filename and size are required. A name is one path segment of printable characters.
      if (!filename || filename === '.' || filename === '..' || /[/\\\x00-\x1f\x7f]/.test(filename) || Buffer.byteLength(filename) > 255) {
        throw new StanzaError('bad-request', 'the filename must be 1 to 255 bytes, without "/", "\\" or control characters');
      }
      const sizeAttr = payload.attrs.size ?? '';
      if (!/^\d{1,16}$/.test(sizeAttr) || !Number.isSafeInteger(Number(sizeAttr))) throw new StanzaError('bad-request', 'the size must be a whole number of bytes');
      const size = Number(sizeAttr);
      const type = payload.attrs['content-type'] || null;
      if (type !== null && !validMediaType(type)) throw new StanzaError('bad-request', 'the content-type is not a media type');
      if (size > settings.maxBytes) {
        // §5 Example 7.
        throw new StanzaError('not-acceptable', `File too large. The maximum file size is ${settings.maxBytes} bytes`, 'modify', [
          x('file-too-large', { xmlns: NS.HTTP_UPLOAD }, x('max-file-size', null, String(settings.maxBytes))),
        ]);
      }
      const { used, live } = files.usage(from.local);
      if (used + size > settings.quotaBytes) {
        // §5 Example 8: a temporary error, with <retry/> when expiry will make room.
        const at = retryAt(live, used, size, settings.quotaBytes);
        throw new StanzaError('resource-constraint', `Quota reached: ${used} of your ${settings.quotaBytes} bytes (upload.quotaBytes) are in use`, 'wait', at === undefined ? [] : [x('retry', { xmlns: NS.HTTP_UPLOAD, stamp: stamp(at) })]);
      }
      const base = publicBase(server, settings, server.sessions.get(from.bare, from.resource)?.httpScheme);
      if (!base) throw new StanzaError('service-unavailable', 'no HTTP listener');
      const { id, record } = files.create(from.local, filename, size, type);
      m.log.info({ user: from.local, size, slot: id }, 'upload slot issued');
      // §4 Example 6; the signature is in the URLs, so no <header/> is needed.
      return x('slot', { xmlns: NS.HTTP_UPLOAD }, x('put', { url: base + slotPath(files, 'PUT', id, record) }), x('get', { url: base + slotPath(files, 'GET', id, record) }));
    });

    m.http(HTTP_PREFIX, uploadHandler(files, m.log, () => Object.values(listenerBases(server))));

    // Ahead of the other handlers: a handler that returns true consumes the event, and some return
    // Map#delete's boolean (blocking.ts, mam.ts), which would leave the files behind.
    m.on('account-deleted', ({ user }) => {
      const removed = files.removeOwner(user);
      if (removed) m.log.info({ user, removed }, 'deleted the uploads of a deleted account');
    }, PRIORITY.POLICY);

    const exists = (user: string): boolean => server.storage.users.exists(user);
    const swept = files.sweep(true, exists);
    if (swept) m.log.info({ removed: swept }, 'deleted expired uploads');
    const timer = setInterval(() => {
      try {
        const removed = files.sweep(false, exists);
        if (removed) m.log.info({ removed }, 'deleted expired uploads');
      } catch {
        clearInterval(timer); // the storage is closed: the server has stopped
      }
    }, SWEEP_INTERVAL_MS);
    timer.unref();
  },
});
