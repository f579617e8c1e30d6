// The XEP-0114 component port: an external component authenticates with a handshake
// (SHA-1 of stream id + shared secret) and then sends and receives stanzas for its domain.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Jid } from '../../xmpp/jid.js';
import { StreamError } from '../../xmpp/errors.js';
import { NS } from '../../xmpp/namespaces.js';
import { x, type Element } from '../../xmpp/xml.js';
import type { XmppServer } from '../core/server.js';
import type { Transport } from '../transport/transport.js';
import { XmppStream } from './stream.js';

export class ComponentSession {
  readonly stream: XmppStream;
  private domain?: string;
  private authenticated = false;

  constructor(
    private readonly server: XmppServer,
    transport: Transport,
  ) {
    this.stream = new XmppStream(transport, NS.COMPONENT, server.config.limits.maxStanzaBytesPreAuth, server.metrics.streams.component);
    this.stream.start({
      open: (attrs) => this.onOpen(attrs),
      element: (el) => this.onElement(el),
      closed: () => this.onClosed(),
    });
  }

  send(stanza: Element): void {
    this.stream.send(stanza);
  }

  private onOpen(attrs: Record<string, string>): void {
    const domain = Jid.tryParse(attrs.to ?? '');
    // XEP-0114 §3: the stream header carries the component's domain in `to`; the reply has `from`.
    this.stream.sendHeader({ from: attrs.to, version: undefined, 'xml:lang': undefined });
    if (!domain || !domain.isBare() || domain.local) return this.stream.close(new StreamError('host-unknown', 'missing or invalid component domain'));
    if (this.server.config.components.secrets[domain.domain] === undefined) {
      return this.stream.close(new StreamError('host-unknown', `no component ${domain.domain} is configured`));
    }
    this.domain = domain.domain;
  }

  private onElement(el: Element): void {
    if (!this.authenticated) {
      if (el.name !== 'handshake') return this.stream.close(new StreamError('not-authorized', 'send <handshake/> first'));
      const secret = this.server.config.components.secrets[this.domain!]!;
      const expected = createHash('sha1').update(this.stream.id + secret).digest('hex');
      const got = Buffer.from(el.getText().trim().toLowerCase());
      if (got.length !== expected.length || !timingSafeEqual(got, Buffer.from(expected))) {
        return this.stream.close(new StreamError('not-authorized', 'wrong component secret'));
      }
      if (this.server.components.has(this.domain!)) {
        return this.stream.close(new StreamError('conflict', `a component for ${this.domain} is already attached`));
      }
      this.authenticated = true;
      this.stream.setMaxStanzaBytes(this.server.config.limits.maxStanzaBytes);
      this.server.components.set(this.domain!, this);
      this.stream.send(x('handshake'));
      this.server.log.info({ component: this.domain }, 'component attached');
      return;
    }
    if (el.name !== 'message' && el.name !== 'presence' && el.name !== 'iq') {
      return this.stream.close(new StreamError('unsupported-stanza-type', `<${el.name}/> is not a stanza`));
    }
    // A component may only send from its own domain (XEP-0114 §3, RFC 6120 §8.1.2.2).
    const from = Jid.tryParse(el.attrs.from);
    if (!from || from.domain !== this.domain) {
      return this.stream.close(new StreamError('invalid-from', `stanzas must come from ${this.domain}`));
    }
    this.server.route(el);
  }

  private onClosed(): void {
    if (this.authenticated && this.server.components.get(this.domain!) === this) {
      this.server.components.delete(this.domain!);
      this.server.log.info({ component: this.domain }, 'component detached');
    }
  }
}
