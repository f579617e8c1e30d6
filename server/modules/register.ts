// XEP-0077: In-Band Registration — new accounts before authentication (when registration.open is
// set, throttled per IP), password changes and account removal for signed-in users.
import { StanzaError, StreamError } from '../../xmpp/errors.js';
import { normalizeLocal } from '../../xmpp/jid.js';
import { NS } from '../../xmpp/namespaces.js';
import { x, type Element } from '../../xmpp/xml.js';
import { defineModule } from '../core/module.js';
import type { XmppServer } from '../core/server.js';
import type { Storage } from '../storage/storage.js';
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

/** Checks a new password (non-empty, SASLprep-able); throws not-acceptable. */
export function validPassword(password: string | null | undefined): string {
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

/**
 * Deletes an account and everything stored for it; shared by XEP-0077 and the admin commands. The
 * account's sessions end after the current reply has gone out (XEP-0077 §3.2).
 */
export function deleteAccount(server: XmppServer, user: string): boolean {
  const deleted = server.storage.users.delete(user);
  server.events.fire('account-deleted', { user });
  const bare = `${user}@${server.domain}`;
  setImmediate(() => {
    for (const s of [...(server.sessions.resources(bare)?.values() ?? [])]) s.close(new StreamError('not-authorized', 'account removed'));
  });
  return deleted;
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

export default defineModule({
  name: 'register',
  setup(m) {
    const { server } = m;
    const throttle = new Throttle(server.config.registration.throttle);

    // Before authentication (§3.1): the IQ comes from a session that has no address yet.
    const preauth = m.iq;
    preauth('get', 'preauth', NS.REGISTER, () => {
      if (!server.config.registration.open) throw new StanzaError('service-unavailable', 'registration is closed');
      return form();
    }, { feature: null });
    preauth('set', 'preauth', NS.REGISTER, async ({ origin, payload }) => {
      if (!server.config.registration.open) throw new StanzaError('service-unavailable', 'registration is closed');
      if (!origin!.secure) {
        origin!.close(new StreamError('policy-violation', 'register over an encrypted connection'));
        throw new StanzaError('not-authorized');
      }
      if (!throttle.allow(origin!.remoteAddress)) {
        throw new StanzaError('resource-constraint', 'too many registrations from this address; try again in a minute', 'wait');
      }
      const username = payload.getChildText('username');
      const password = payload.getChildText('password');
      if (!username) throw new StanzaError('not-acceptable', 'a username is required');
      const user = await createAccount(server.storage, username, password ?? '');
      m.log.info({ user, ip: origin!.remoteAddress }, 'account registered');
      return undefined;
    }, { feature: null });
    if (server.config.registration.open) {
      m.feature('host', NS.REGISTER);
      // XEP-0077 §4: the stream feature that tells clients they may register before signing in.
      m.on('stream-features', ({ stage, features }) => {
        if (stage === 'sasl') features.cnode(x('register', { xmlns: NS.REGISTER_FEATURE }));
      });
    }

    // Signed in: the form shows the account; a set changes the password or removes the account (§3.2, §3.3).
    m.iq('get', 'bare', NS.REGISTER, ({ from, to }) => {
      if (from.bare !== to.bare) throw new StanzaError('forbidden');
      return form(to.local);
    }, { feature: null });
    m.iq('set', 'bare', NS.REGISTER, async ({ from, to, payload }) => {
      if (from.bare !== to.bare) throw new StanzaError('forbidden');
      if (payload.getChild('remove')) {
        deleteAccount(server, to.local);
        m.log.info({ user: to.local }, 'account removed by its owner');
        return undefined;
      }
      const username = payload.getChildText('username');
      if (username !== null && username !== undefined && normalizeLocal(username) !== to.local) throw new StanzaError('bad-request', 'wrong username');
      const password = validPassword(payload.getChildText('password'));
      server.storage.users.setCredentials(to.local, await deriveCredentials(password));
      return undefined;
    }, { feature: null });
  },
});
