// Creating an account before signing in (XEP-0077 §3.1), over its own short XMPP-over-WebSocket
// stream (RFC 7395): open the stream, look for the register stream feature (§4), ask for the form,
// submit username and password, close. StanzaJS signs in afterwards as usual. Errors become
// sentences a person can act on (§3.1 Examples 5–7 give the conditions).
const FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';
const NS_REGISTER = 'jabber:iq:register';
const FEATURE = 'http://jabber.org/features/iq-register';

export type RegisterResult = { ok: true } | { ok: false; message: string };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');

/** The sentence for a registration error condition (RFC 6120 §8.3.3 names, XEP-0077 §3.1). */
export function registerErrorMessage(condition: string | undefined, text: string | undefined, domain: string): string {
  switch (condition) {
    case 'conflict':
      return 'That name is taken on this server. Choose another.';
    case 'not-acceptable':
    case 'bad-request':
      return text ? `The server did not accept this: ${text}.` : 'The server did not accept this name or password.';
    case 'resource-constraint':
      return 'Too many accounts were created from here just now. Try again in a minute.';
    case 'not-allowed':
    case 'service-unavailable':
    case 'forbidden':
      return `${domain} does not let accounts be created here. Ask its administrator for one.`;
    default:
      return text ? `The account could not be created: ${text}.` : 'The account could not be created.';
  }
}

export function createAccount(opts: { websocketUrl: string; domain: string; username: string; password: string; timeoutMs?: number }): Promise<RegisterResult> {
  return new Promise((resolve) => {
    let ws: WebSocket;
    try {
      ws = new WebSocket(opts.websocketUrl, 'xmpp');
    } catch {
      return resolve({ ok: false, message: `Cannot reach the server at ${opts.websocketUrl}.` });
    }
    let done = false;
    const finish = (r: RegisterResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (ws.readyState === WebSocket.OPEN) ws.send(`<close xmlns='${FRAMING}'/>`);
      ws.close();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, message: 'The server did not answer in time.' }), opts.timeoutMs ?? 15_000);
    const iq = (id: string, type: 'get' | 'set', inner: string) =>
      ws.send(`<iq xmlns='jabber:client' type='${type}' id='${id}' to='${esc(opts.domain)}'><query xmlns='${NS_REGISTER}'>${inner}</query></iq>`);
    ws.onopen = () => ws.send(`<open xmlns='${FRAMING}' to='${esc(opts.domain)}' version='1.0'/>`);
    ws.onerror = () => finish({ ok: false, message: `Cannot reach the server at ${opts.websocketUrl}.` });
    ws.onclose = () => finish({ ok: false, message: 'The server closed the connection.' });
    ws.onmessage = (ev) => {
      const doc = new DOMParser().parseFromString(String(ev.data), 'application/xml');
      const el = doc.documentElement;
      if (!el || el.getElementsByTagName('parsererror').length) return;
      if (el.localName === 'features') {
        if (!el.getElementsByTagNameNS(FEATURE, 'register').length) {
          return finish({ ok: false, message: registerErrorMessage('not-allowed', undefined, opts.domain) });
        }
        return iq('reg-form', 'get', '');
      }
      if (el.localName === 'error' && el.namespaceURI === 'http://etherx.jabber.org/streams') {
        return finish({ ok: false, message: `The server ended the connection (${el.firstElementChild?.localName ?? 'error'}).` });
      }
      if (el.localName !== 'iq') return;
      const type = el.getAttribute('type');
      const id = el.getAttribute('id');
      if (type === 'error') {
        const err = el.getElementsByTagName('error')[0];
        const condition = err ? Array.from(err.children).find((c) => c.namespaceURI === 'urn:ietf:params:xml:ns:xmpp-stanzas' && c.localName !== 'text')?.localName : undefined;
        const text = err?.getElementsByTagName('text')[0]?.textContent ?? undefined;
        return finish({ ok: false, message: registerErrorMessage(condition, text, opts.domain) });
      }
      if (id === 'reg-form' && type === 'result') {
        // §3.1: registered already is not expected before authentication; fill in what the form asks
        return iq('reg-submit', 'set', `<username>${esc(opts.username)}</username><password>${esc(opts.password)}</password>`);
      }
      if (id === 'reg-submit' && type === 'result') finish({ ok: true });
    };
  });
}
