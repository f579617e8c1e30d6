// SASL negotiation on a client stream (RFC 6120 §6): SCRAM-SHA-256, SCRAM-SHA-1 (RFC 5802/7677)
// and PLAIN (RFC 4616, offered only when the stream is encrypted).
import { createHmac, randomBytes } from 'node:crypto';
import { normalizeLocal, Jid } from '../../xmpp/jid.js';
import { StreamError } from '../../xmpp/errors.js';
import { NS } from '../../xmpp/namespaces.js';
import { x, type Element } from '../../xmpp/xml.js';
import { SaslFailure, ScramExchange, parseClientFirst } from '../sasl/scram.js';
import { verifyPassword, type ScramCredential, type ScramHash, DEFAULT_ITERATIONS } from '../sasl/credentials.js';
import type { XmppServer } from '../core/server.js';
import type { Transport } from '../transport/transport.js';
import type { XmppStream } from './stream.js';

const SCRAM: Record<string, ScramHash> = { 'SCRAM-SHA-256': 'sha256', 'SCRAM-SHA-1': 'sha1' };
const MAX_FAILURES = 3;
/** Decoy credentials for unknown users, so a SCRAM exchange does not reveal which accounts exist. */
const decoySecret = randomBytes(32);

export class SaslSession {
  private scram?: { exchange: ScramExchange; user: string; known: boolean };
  private failures = 0;

  constructor(
    private readonly server: XmppServer,
    private readonly transport: Transport,
  ) {}

  mechanisms(): string[] {
    const m = ['SCRAM-SHA-256', 'SCRAM-SHA-1'];
    if (this.transport.secure) m.push('PLAIN');
    return m;
  }

  /** Handles one SASL element; resolves with the username on success. */
  async handle(el: Element, stream: XmppStream): Promise<string | undefined> {
    try {
      switch (el.name) {
        case 'auth':
          return await this.auth(el, stream);
        case 'response':
          return this.response(el, stream);
        case 'abort':
          this.scram = undefined;
          throw new SaslFailure('aborted');
        default:
          throw new SaslFailure('malformed-request', `unexpected <${el.name}/>`);
      }
    } catch (err) {
      if (!(err instanceof SaslFailure)) throw err;
      this.scram = undefined;
      stream.send(x('failure', { xmlns: NS.SASL }, x(err.condition), x('text', { 'xml:lang': 'en' }, failureText(err))));
      if (err.condition === 'not-authorized' && ++this.failures >= MAX_FAILURES) {
        stream.close(new StreamError('policy-violation', 'too many failed authentication attempts'));
      }
      return undefined;
    }
  }

  private decode(el: Element): string {
    const text = el.getText().trim();
    if (text === '' || text === '=') return '';
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) throw new SaslFailure('incorrect-encoding', 'invalid base64');
    return Buffer.from(text, 'base64').toString('utf8');
  }

  private async auth(el: Element, stream: XmppStream): Promise<string | undefined> {
    const mech = el.attrs.mechanism ?? '';
    if (!this.mechanisms().includes(mech)) {
      if (mech === 'PLAIN') throw new SaslFailure('encryption-required', 'PLAIN needs an encrypted connection');
      throw new SaslFailure('invalid-mechanism', `mechanism ${mech} is not offered`);
    }
    const initial = this.decode(el);
    if (mech === 'PLAIN') return this.plain(initial, stream);
    const hash = SCRAM[mech]!;
    const first = parseClientFirst(initial);
    if (first.authzid !== undefined && first.authzid !== '' && !this.sameUser(first.authzid, first.username)) {
      throw new SaslFailure('invalid-authzid');
    }
    const user = this.username(first.username);
    const creds = user ? this.server.storage.users.credentials(user)?.[hash] : undefined;
    const exchange = new ScramExchange(hash, first, creds ?? decoy(hash, first.username));
    this.scram = { exchange, user: user ?? '', known: creds !== undefined };
    stream.send(x('challenge', { xmlns: NS.SASL }, Buffer.from(exchange.serverFirst).toString('base64')));
    return undefined;
  }

  private response(el: Element, stream: XmppStream): string | undefined {
    const pending = this.scram;
    if (!pending) throw new SaslFailure('malformed-request', 'no exchange in progress');
    this.scram = undefined;
    const serverFinal = pending.exchange.finish(this.decode(el));
    if (!pending.known) throw new SaslFailure('not-authorized');
    stream.send(x('success', { xmlns: NS.SASL }, Buffer.from(serverFinal).toString('base64')));
    return pending.user;
  }

  private async plain(message: string, stream: XmppStream): Promise<string | undefined> {
    const parts = message.split('\u0000');
    if (parts.length !== 3) throw new SaslFailure('malformed-request', 'PLAIN takes authzid, authcid and password');
    const [authzid, authcid, password] = parts as [string, string, string];
    if (authzid && !this.sameUser(authzid, authcid)) throw new SaslFailure('invalid-authzid');
    const user = this.username(authcid);
    const cred = user ? this.server.storage.users.credentials(user)?.sha256 : undefined;
    const ok = await verifyPassword(cred ?? decoy('sha256', authcid), 'sha256', password);
    if (!ok || !cred) throw new SaslFailure('not-authorized');
    stream.send(x('success', { xmlns: NS.SASL }));
    return user;
  }

  /** The account for a SASL authcid: a localpart, or a bare JID of our domain. */
  private username(authcid: string): string | undefined {
    try {
      if (authcid.includes('@')) {
        const jid = Jid.parse(authcid);
        return jid.domain === this.server.domain && jid.isBare() ? jid.local : undefined;
      }
      return normalizeLocal(authcid);
    } catch {
      return undefined;
    }
  }

  private sameUser(authzid: string, authcid: string): boolean {
    const a = this.username(authzid);
    return a !== undefined && a === this.username(authcid);
  }
}

function decoy(hash: ScramHash, username: string): ScramCredential {
  const salt = createHmac('sha256', decoySecret).update(username).digest().subarray(0, 16).toString('base64');
  const key = createHmac('sha256', decoySecret).update(`${hash}:${username}`).digest().toString('base64');
  return { salt, iterations: DEFAULT_ITERATIONS, storedKey: key, serverKey: key };
}

function failureText(err: SaslFailure): string {
  switch (err.condition) {
    case 'not-authorized':
      return 'wrong username or password';
    case 'encryption-required':
      return 'an encrypted connection is required for this mechanism';
    default:
      return err.message;
  }
}
