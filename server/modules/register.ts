// XEP-0077: In-Band Registration — new accounts before authentication (when registration.open is
// set, throttled per IP), password changes and account removal for signed-in users.
import { StanzaError, StreamError, errorReply } from '../../xmpp/errors.js';
import { normalizeLocal } from '../../xmpp/jid.js';
import { NS } from '../../xmpp/namespaces.js';
import { childNs, x, type Element } from '../../xmpp/xml.js';
import type { XmppServer } from '../core/server.js';
import type { Storage } from '../storage/storage.js';
import { preAuthIq, type C2sSession } from '../session/c2s.js';
import { deriveCredentials, preparePassword } from '../sasl/credentials.js';

const MIN_PASSWORD = 1;

/** Sliding one-minute window of registrations per IP address. */
class Throttle {
  private hits = new Map<string, number[]>();
  constructor(private readonly perMinute: number) {}
  allow(ip: string): boolean {
    if (this.perMinute === 0) return true;
    const now = Date.now();
    const recent = (this.hits.get(ip) ?? []).filter((t) => now - t < 60_000);
    if (recent.length >= this.perMinute) {
      this.hits.set(ip, recent);
      return false;
    }
    recent.push(now);
    this.hits.set(ip, recent);
    return true;
  }
}

function validPassword(password: string | null | undefined): string {
  if (!password || password.length < MIN_PASSWORD) throw new StanzaError('not-acceptable', 'a password is required');
  try {
    preparePassword(password);
  } catch {
    throw new StanzaError('not-acceptable', 'the password contains characters that are not allowed');
  }
  return password;
}

/** Creates an account; shared by XEP-0077 and the command line. Throws StanzaError on a clear refusal. */
export async function createAccount(storage: Storage, username: string, password: string): Promise<string> {
  let user: string;
  try {
    user = normalizeLocal(username);
  } catch (e) {
    throw new StanzaError('jid-malformed', `invalid username: ${(e as Error).message}`);
  }
  validPassword(password);
  if (storage.users.exists(user)) throw new StanzaError('conflict', 'the username is taken');
  const creds = await deriveCredentials(password);
  if (!storage.users.create(user, creds)) throw new StanzaError('conflict', 'the username is taken');
  return user;
}

function form(registered?: string): Element {
  return x(
    'query',
    { xmlns: NS.REGISTER },
    registered ? x('registered') : undefined,
    x('instructions', null, 'Choose a username and password for use with this service.'),
    x('username', null, registered ?? undefined),
    x('password'),
  );
}

export function registerInBandRegistration(server: XmppServer): void {
  const throttle = new Throttle(server.config.registration.throttle);

  preAuthIq.set(NS.REGISTER, (session: C2sSession, stanza: Element) => {
    const reply = (payload?: Element) => session.send(x('iq', { type: 'result', id: stanza.attrs.id }, payload));
    const fail = (err: StanzaError) => session.send(errorReply(stanza, err));
    if (!server.config.registration.open) return fail(new StanzaError('service-unavailable', 'registration is closed'));
    if (!session.stream.transport.secure && session.stream.transport.framing === 'stream') {
      return session.close(new StreamError('policy-violation', 'register over an encrypted connection'));
    }
    const query = childNs(stanza, NS.REGISTER)!;
    if (stanza.attrs.type === 'get') return reply(form());
    if (stanza.attrs.type !== 'set') return;
    if (!throttle.allow(session.remoteAddress)) {
      return fail(new StanzaError('resource-constraint', 'too many registrations from this address; try again in a minute', 'wait'));
    }
    const username = query.getChildText('username');
    const password = query.getChildText('password');
    if (!username) return fail(new StanzaError('not-acceptable', 'a username is required'));
    createAccount(server.storage, username, password ?? '').then(
      (user) => {
        server.log.info({ user, ip: session.remoteAddress }, 'account registered');
        reply();
      },
      (err) => fail(err instanceof StanzaError ? err : new StanzaError('internal-server-error')),
    );
  });
  if (server.config.registration.open) server.features.host.add(NS.REGISTER);

  // Signed in: the form shows the account; a set changes the password or removes the account (§3.2, §3.3).
  server.handleIq('get', 'account', NS.REGISTER, ({ from, to }) => {
    if (from.bare !== to.bare) throw new StanzaError('forbidden');
    return form(to.local);
  }, null);
  server.handleIq('set', 'account', NS.REGISTER, async ({ from, to, payload, session }) => {
    if (from.bare !== to.bare) throw new StanzaError('forbidden');
    if (payload.getChild('remove')) {
      server.storage.users.delete(to.local);
      server.hooks.emit('account-deleted', { user: to.local });
      server.log.info({ user: to.local }, 'account removed by its owner');
      // §3.2: the reply goes first, then every session of the account ends.
      setImmediate(() => {
        for (const s of [...(server.sessions.resources(to.bare)?.values() ?? [])]) s.close(new StreamError('not-authorized', 'account removed'));
      });
      void session;
      return undefined;
    }
    const username = payload.getChildText('username');
    if (username !== null && username !== undefined && normalizeLocal(username) !== to.local) throw new StanzaError('bad-request', 'wrong username');
    const password = validPassword(payload.getChildText('password'));
    server.storage.users.setCredentials(to.local, await deriveCredentials(password));
    return undefined;
  }, null);
}
