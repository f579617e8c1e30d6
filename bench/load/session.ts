// One client session of the load generator: TCP + STARTTLS (RFC 6120 §5) or WebSocket
// (RFC 7395), in-band registration (XEP-0077), SASL PLAIN or SCRAM-SHA-1 (RFC 6120 §6), resource
// binding (§7). Stanzas are handled as strings; see xml-scanner.ts.
import net from 'node:net';
import tls from 'node:tls';
import WebSocket from 'ws';
import { XmlScanner, type ScanEvent } from './xml-scanner.js';
import { attr, childText, elementName, escapeXml } from './stanza.js';
import { ScramSha1Client, plainAuth } from './scram.js';

export type Transport = 'tcp' | 'ws';
export type Mechanism = 'PLAIN' | 'SCRAM-SHA-1';

export interface Target {
  domain: string;
  host: string;
  c2sPort: number;
  wsUrl: string;
}

export interface LoginOptions {
  user: string;
  password: string;
  mechanism: Mechanism;
  transport: Transport;
  resource?: string;
  /** register the account (XEP-0077) before authenticating on the same stream */
  register?: boolean;
  /** send initial presence after binding */
  presence?: boolean;
  timeoutMs?: number;
}

const NS_FRAMING = 'urn:ietf:params:xml:ns:xmpp-framing';

export class Session {
  jid = '';
  closed = false;
  /** Called for every element once the session is established (after bind). */
  onStanza: ((xml: string) => void) | null = null;
  onClose: ((reason: string) => void) | null = null;

  private sock: net.Socket | tls.TLSSocket | null = null;
  private ws: WebSocket | null = null;
  private readonly scanner = new XmlScanner((ev) => this.dispatch(ev));
  private queue: ScanEvent[] = [];
  private waiter: ((ev: ScanEvent | null) => void) | null = null;
  private closeReason = '';

  constructor(readonly target: Target) {}

  send(xml: string): void {
    if (this.closed) return;
    if (this.ws) this.ws.send(qualify(xml));
    else this.sock?.write(xml);
  }

  /** Full login; rejects with a message naming the step that failed. */
  async login(o: LoginOptions): Promise<void> {
    const timeout = o.timeoutMs ?? 60_000;
    const timer = setTimeout(() => this.destroy(`timeout after ${timeout} ms`), timeout);
    try {
      let features = await this.open(o.transport);
      if (o.register) {
        await this.register(o.user, o.password);
      }
      if (o.mechanism === 'PLAIN') {
        if (!features.includes('>PLAIN<')) throw new Error('PLAIN not offered');
        this.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${plainAuth(o.user, o.password)}</auth>`);
        const reply = await this.next();
        if (elementName(reply) !== 'success') throw new Error(`auth failed: ${reply}`);
      } else {
        if (!features.includes('>SCRAM-SHA-1<')) throw new Error('SCRAM-SHA-1 not offered');
        const scram = new ScramSha1Client(o.user, o.password);
        this.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>${scram.first()}</auth>`);
        const challenge = await this.next();
        if (elementName(challenge) !== 'challenge') throw new Error(`auth failed: ${challenge}`);
        this.send(`<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${scram.final(childText(challenge, 'challenge') ?? '')}</response>`);
        const reply = await this.next();
        if (elementName(reply) !== 'success') throw new Error(`auth failed: ${reply}`);
        if (!scram.verify(childText(reply, 'success') ?? '')) throw new Error('SCRAM server signature mismatch');
      }
      features = await this.restart(o.transport);
      if (!features.includes('urn:ietf:params:xml:ns:xmpp-bind')) throw new Error(`no bind offered: ${features}`);
      const res = o.resource ?? 'bench';
      this.send(`<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${escapeXml(res)}</resource></bind></iq>`);
      const bound = await this.next();
      if (attr(bound, 'type') !== 'result') throw new Error(`bind failed: ${bound}`);
      this.jid = childText(bound, 'jid') ?? '';
      // RFC 3921 session establishment, only where the server still requires it.
      if (/<session[^>]*urn:ietf:params:xml:ns:xmpp-session/.test(features) && !/<optional\s*\/>/.test(features)) {
        this.send(`<iq type='set' id='sess'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>`);
        const s = await this.next();
        if (attr(s, 'type') !== 'result') throw new Error(`session failed: ${s}`);
      }
      if (o.presence) this.send('<presence/>');
      // Anything that arrived meanwhile goes to the stanza handler from now on.
      const early = this.queue;
      this.queue = [];
      this.established = true;
      for (const ev of early) if (ev.kind === 'element') this.onStanza?.(ev.xml);
    } finally {
      clearTimeout(timer);
    }
  }

  /** XEP-0077 §3.1 registration on an encrypted, unauthenticated stream. */
  async registerOnly(user: string, password: string, transport: Transport, timeoutMs = 60_000): Promise<void> {
    const timer = setTimeout(() => this.destroy(`timeout after ${timeoutMs} ms`), timeoutMs);
    try {
      await this.open(transport);
      await this.register(user, password);
    } finally {
      clearTimeout(timer);
    }
  }

  private async register(user: string, password: string): Promise<void> {
    this.send(`<iq type='set' id='reg1'><query xmlns='jabber:iq:register'><username>${escapeXml(user)}</username><password>${escapeXml(password)}</password></query></iq>`);
    const reply = await this.next();
    if (attr(reply, 'type') !== 'result' && !reply.includes('<conflict')) throw new Error(`register failed: ${reply}`);
  }

  /** Ends the stream politely and waits (briefly) for the transport to close. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.ws) this.send(`<close xmlns='${NS_FRAMING}'/>`);
    else this.send('</stream:stream>');
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.destroy('closed');
        resolve();
      }, 2000);
      const prev = this.onClose;
      this.onClose = (r) => {
        clearTimeout(t);
        prev?.(r);
        resolve();
      };
      if (this.ws) this.ws.close();
      else this.sock?.end();
    });
  }

  destroy(reason: string): void {
    if (!this.closeReason) this.closeReason = reason;
    this.ws?.terminate();
    this.sock?.destroy();
    this.finish();
  }

  private established = false;

  private async open(transport: Transport): Promise<string> {
    if (transport === 'ws') {
      await this.connectWs();
      return this.restart('ws');
    }
    await this.connectTcp();
    let features = await this.restart('tcp');
    if (!features.includes('urn:ietf:params:xml:ns:xmpp-tls')) throw new Error('STARTTLS not offered');
    this.send(`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`);
    const proceed = await this.next();
    if (elementName(proceed) !== 'proceed') throw new Error(`STARTTLS refused: ${proceed}`);
    await this.upgradeTls();
    features = await this.restart('tcp');
    return features;
  }

  /** Sends a stream header (or WebSocket <open/>) and returns the stream features element. */
  private async restart(transport: Transport): Promise<string> {
    this.scanner.reset();
    const to = escapeXml(this.target.domain);
    if (transport === 'ws') {
      this.send(`<open xmlns='${NS_FRAMING}' to='${to}' version='1.0'/>`);
    } else {
      this.send(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='${to}' version='1.0'>`);
    }
    const header = await this.nextEvent();
    if (header.kind !== 'open') throw new Error(`expected stream header, got ${JSON.stringify(header)}`);
    const features = await this.next();
    if (!elementName(features).endsWith('features')) throw new Error(`expected features, got ${features}`);
    return features;
  }

  private connectTcp(): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: this.target.host, port: this.target.c2sPort });
      this.sock = s;
      s.setNoDelay(true);
      s.once('connect', () => resolve());
      s.once('error', (e) => {
        reject(e);
        this.destroy(`socket error: ${e.message}`);
      });
      s.on('data', (d: Buffer) => this.scanner.push(d.toString('utf8')));
      s.on('close', () => this.finish());
    });
  }

  private upgradeTls(): Promise<void> {
    const raw = this.sock as net.Socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('close');
    raw.removeAllListeners('error');
    return new Promise((resolve, reject) => {
      const s = tls.connect({ socket: raw, servername: this.target.domain, rejectUnauthorized: false });
      this.sock = s;
      s.setEncoding('utf8');
      s.once('secureConnect', () => resolve());
      s.on('error', (e) => {
        reject(e);
        this.destroy(`tls error: ${e.message}`);
      });
      s.on('data', (d: string) => this.scanner.push(d));
      s.on('close', () => this.finish());
    });
  }

  private connectWs(): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.target.wsUrl, 'xmpp', { perMessageDeflate: false });
      this.ws = ws;
      ws.once('open', () => resolve());
      ws.on('error', (e) => {
        reject(e);
        this.destroy(`websocket error: ${e.message}`);
      });
      ws.on('message', (data: Buffer) => {
        const xml = data.toString('utf8');
        const name = elementName(xml);
        if (name === 'open') this.dispatch({ kind: 'open', header: xml });
        else if (name === 'close') this.dispatch({ kind: 'close' });
        else this.dispatch({ kind: 'element', xml });
      });
      ws.on('close', () => this.finish());
    });
  }

  private dispatch(ev: ScanEvent): void {
    if (ev.kind === 'element' && ev.xml.startsWith('<stream:error')) {
      this.closeReason = `stream error: ${ev.xml}`;
    }
    if (this.established) {
      if (ev.kind === 'element') this.onStanza?.(ev.xml);
      else if (ev.kind === 'close') this.destroy('stream closed by server');
      return;
    }
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w(ev);
    } else {
      this.queue.push(ev);
    }
  }

  private nextEvent(): Promise<ScanEvent> {
    const ev = this.queue.shift();
    if (ev) return Promise.resolve(ev);
    if (this.closed) return Promise.reject(new Error(this.closeReason || 'connection closed'));
    return new Promise((resolve, reject) => {
      this.waiter = (e) => (e ? resolve(e) : reject(new Error(this.closeReason || 'connection closed')));
    });
  }

  /** Next top-level element; a stream close or error rejects. */
  private async next(): Promise<string> {
    const ev = await this.nextEvent();
    if (ev.kind !== 'element') throw new Error(this.closeReason || `unexpected ${ev.kind}`);
    if (ev.xml.startsWith('<stream:error')) throw new Error(`stream error: ${ev.xml}`);
    return ev.xml;
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    const w = this.waiter;
    this.waiter = null;
    w?.(null);
    this.onClose?.(this.closeReason || 'connection closed');
  }
}

/** RFC 7395 §3.3.3: over WebSocket every stanza carries its namespace itself. */
function qualify(xml: string): string {
  if (!/^<(message|presence|iq)[\s>/]/.test(xml)) return xml;
  const end = xml.indexOf('>');
  if (xml.lastIndexOf(' xmlns=', end) >= 0) return xml;
  const at = xml.charCodeAt(end - 1) === 47 ? end - 1 : end;
  return `${xml.slice(0, at)} xmlns='jabber:client'${xml.slice(at)}`;
}
