// A BOSH client in a few lines of fetch, for protocol details a client library hides: rids chosen
// by the test, requests sent twice or out of order, bodies that are too large or broken.
import net from 'node:net';
import { parseXml, type Element } from '../../xmpp/xml.js';

export const NS_HTTPBIND = 'http://jabber.org/protocol/httpbind';
const XBOSH = `xmlns:xmpp='urn:xmpp:xbosh'`;

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  body: Element;
}

export async function post(url: string, text: string): Promise<Reply> {
  const res = await fetch(url, { method: 'POST', body: text, headers: { 'Content-Type': 'text/xml; charset=utf-8' } });
  const body = await res.text();
  return { status: res.status, headers: res.headers, text: body, body: parseXml(body) };
}

/** A <body/> request with the given attributes and payload. */
export function body(attrs: Record<string, string | number>, payload = ''): string {
  const a = Object.entries(attrs)
    .map(([k, v]) => ` ${k}='${v}'`)
    .join('');
  return `<body xmlns='${NS_HTTPBIND}'${a}>${payload}</body>`;
}

export class RawBosh {
  sid = '';
  /** The rid of the next request. */
  rid = 1_000_000 + Math.floor(Math.random() * 1_000_000);
  jid = '';

  constructor(readonly url: string) {}

  /** The next request in sequence; resolves with its response. */
  send(payload = '', attrs: Record<string, string | number> = {}): Promise<Reply> {
    return post(this.url, this.request(payload, attrs));
  }

  /** The text of the next request (its rid taken). */
  request(payload = '', attrs: Record<string, string | number> = {}): string {
    return body({ rid: this.rid++, sid: this.sid, ...attrs }, payload);
  }

  /** Session creation (XEP-0206 Example 1), SASL PLAIN, restart, bind: a bound resource. */
  async login(user: string, password: string, domain: string, wait = 1): Promise<Element> {
    const created = await this.authenticate(user, password, domain, wait);
    const bound = await this.send(`<iq id='bind_1' type='set' xmlns='jabber:client'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>httpclient</resource></bind></iq>`);
    this.jid = bound.body.getChild('iq')?.getChild('bind')?.getChildText('jid') ?? '';
    if (!this.jid) throw new Error(`not bound: ${bound.text}`);
    return created;
  }

  /** Session creation, SASL PLAIN and the stream restart (XEP-0206 §5); resolves with the creation response. */
  async authenticate(user: string, password: string, domain: string, wait = 1): Promise<Element> {
    const created = await post(this.url, body({ content: 'text/xml; charset=utf-8', hold: 1, rid: this.rid++, to: domain, wait, 'xml:lang': 'en', 'xmpp:version': '1.0', ver: '1.6' }).replace('<body ', `<body ${XBOSH} `));
    this.sid = created.body.attrs.sid;
    if (!this.sid) throw new Error(`no session: ${created.text}`);
    const plain = Buffer.from(`\u0000${user}\u0000${password}`).toString('base64');
    const auth = await this.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${plain}</auth>`);
    if (!auth.body.getChild('success')) throw new Error(`no SASL success: ${auth.text}`);
    const restarted = await post(this.url, this.request('', { to: domain, 'xml:lang': 'en', 'xmpp:restart': 'true' }).replace('<body ', `<body ${XBOSH} `));
    if (!restarted.text.includes('urn:ietf:params:xml:ns:xmpp-bind')) throw new Error(`no bind feature: ${restarted.text}`);
    return created.body;
  }
}

/** The stanzas (message, presence, iq) in a response. */
export function stanzas(r: Reply): Element[] {
  return r.body.getChildElements().filter((e) => e.name === 'message' || e.name === 'presence' || e.name === 'iq');
}

/**
 * Sends `requests` over one TCP connection at once (HTTP pipelining): the server reads them in
 * that order, and answers them in that order. Resolves with the bodies of the responses.
 */
export function pipelined(port: number, requests: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = Buffer.alloc(0);
    const out: string[] = [];
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      for (;;) {
        const end = data.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = data.subarray(0, end).toString('latin1');
        const length = Number(/content-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        if (data.length < end + 4 + length) return;
        out.push(data.subarray(end + 4, end + 4 + length).toString('utf8'));
        data = data.subarray(end + 4 + length);
        if (out.length === requests.length) {
          socket.destroy();
          return resolve(out);
        }
      }
    });
    socket.on('error', reject);
    socket.write(requests.map((r) => `POST /http-bind HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(r)}\r\n\r\n${r}`).join(''));
  });
}
