// XEP-0050: Ad-Hoc Commands on the server's domain, with the service administration commands of
// XEP-0133 for the accounts listed in the `admins` config key.
//
// Commands are nodes under http://jabber.org/protocol/commands in the server's disco#items,
// listed only to those who may run them ("Retrieving the Command List"). Each is run in a session
// kept per requester full JID: execute → a form (status executing, <actions> with <complete/>),
// then a submitted form → completed with a note, or cancel → canceled ("Multiple Stages",
// "Canceling"). Sessions that are not finished expire after SESSION_TTL_MS.
import { randomBytes } from 'node:crypto';
import { StanzaError } from '../../xmpp/errors.js';
import { Jid } from '../../xmpp/jid.js';
import { NS } from '../../xmpp/namespaces.js';
import { buildForm, parseForm, type DataForm } from '../../xmpp/forms.js';
import { x, type Element } from '../../xmpp/xml.js';
import { defineModule } from '../core/module.js';
import type { Checks } from '../../xmpp/config-checks.js';
import type { XmppServer } from '../core/server.js';
import { deriveCredentials } from '../sasl/credentials.js';
import { createAccount, deleteAccount, validPassword } from './register.js';

const NS_COMMANDS = 'http://jabber.org/protocol/commands';
const SESSION_TTL_MS = 5 * 60_000;
/** Unfinished sessions one requester may hold at once. */
const MAX_SESSIONS = 20;

/** The error for a submitted form the command cannot take (XEP-0050 "Possible Errors"). */
function badPayload(text: string): StanzaError {
  return new StanzaError('bad-request', text, 'modify', [x('bad-payload', { xmlns: NS_COMMANDS })]);
}

// ---- Commands ----

interface CommandResult {
  /** The <note type='info'/> of the completed command. */
  note: string;
}

interface AdhocCommand {
  node: string;
  name: string;
  /** Who sees the command in the list and may run it. */
  allowed(requester: Jid): boolean;
  /** The form of the first stage. */
  form(): Element;
  /** Runs the command with the submitted form; throws StanzaError to refuse (a `modify` error keeps the session for another try). */
  complete(form: DataForm, requester: Jid): CommandResult | Promise<CommandResult>;
}

interface CommandSession {
  node: string;
  expires: number;
}

const ACTIONS: readonly string[] = ['execute', 'cancel', 'prev', 'next', 'complete'];

const cmdError = (condition: string, specific: string, text?: string): StanzaError =>
  new StanzaError(condition, text, undefined, [x(specific, { xmlns: NS_COMMANDS })]);

export interface AdhocConfig {
  /** Bare JIDs of the service administrators. */
  admins: Set<string>;
}

function parseAdmins(raw: unknown, c: Checks): AdhocConfig {
  const list = c.strList('admins', raw, []);
  const admins = new Set<string>();
  list.forEach((s, i) => {
    let jid: Jid;
    try {
      jid = Jid.parse(s);
    } catch (e) {
      return c.fail(`admins[${i}]`, `not a valid JID: ${(e as Error).message}`);
    }
    if (!jid.local || !jid.isBare()) c.fail(`admins[${i}]`, 'must be the bare JID of an account (user@domain)');
    admins.add(jid.bare);
  });
  return { admins };
}

// ---- XEP-0133: Service Administration ----
//
// The node names and form fields of the XEP (and Prosody): add a user (§4.1), delete users (§4.2),
// change a user's password (§4.7), an announcement to everyone online (§4.23). Only the JIDs of
// the `admins` config key see or run them (§6: never users without administrative privileges).

const NS_ADMIN = 'http://jabber.org/protocol/admin';

function single(form: DataForm, name: string): string {
  const v = form.fields.get(name)?.[0]?.trim();
  if (!v) throw badPayload(`the field ${name} is required`);
  return v;
}

function adminCommands(server: XmppServer, admins: Set<string>): AdhocCommand[] {
  const allowed = (requester: Jid) => admins.has(requester.bare);
  const domain = server.domain;

  /** The local part of an account JID of this server, as submitted in a jid-single or jid-multi field. */
  const accountOf = (value: string): string => {
    const jid = Jid.tryParse(value.trim());
    if (!jid || !jid.local || !jid.isBare()) throw badPayload(`${value} is not the bare JID of an account`);
    if (jid.domain !== domain) throw badPayload(`${jid.bare} is not an account of ${domain}`);
    return jid.local;
  };
  const existing = (value: string): string => {
    const user = accountOf(value);
    if (!server.storage.users.exists(user)) throw new StanzaError('item-not-found', `no account ${user}@${domain}`);
    return user;
  };

  return [
    {
      node: `${NS_ADMIN}#add-user`,
      name: 'Add User',
      allowed,
      form: () =>
        buildForm({
          type: 'form',
          formType: NS_ADMIN,
          title: 'Adding a User',
          instructions: 'Fill out this form to add a user.',
          fields: [
            { var: 'accountjid', type: 'jid-single', label: 'The Jabber ID for the account to be added', required: true },
            { var: 'password', type: 'text-private', label: 'The password for this account', required: true },
            { var: 'password-verify', type: 'text-private', label: 'Retype password', required: true },
          ],
        }),
      complete: async (form) => {
        const user = accountOf(single(form, 'accountjid'));
        const password = form.fields.get('password')?.[0] ?? '';
        if (password !== (form.fields.get('password-verify')?.[0] ?? '')) throw badPayload('the passwords do not match');
        // conflict when the account exists (§5 Error Handling).
        await createAccount(server.storage, user, password);
        return { note: `Account ${user}@${domain} created.` };
      },
    },
    {
      node: `${NS_ADMIN}#delete-user`,
      name: 'Delete User',
      allowed,
      form: () =>
        buildForm({
          type: 'form',
          formType: NS_ADMIN,
          title: 'Deleting a User',
          instructions: 'Fill out this form to delete a user.',
          fields: [
            { var: 'accountjids', type: 'jid-multi', label: 'The Jabber ID(s) to delete', required: true },
          ],
        }),
      complete: (form) => {
        const given = (form.fields.get('accountjids') ?? []).filter((v) => v.trim() !== '');
        if (given.length === 0) throw badPayload('the field accountjids is required');
        // Every JID is checked before any account goes.
        const users = [...new Set(given.map(existing))];
        for (const user of users) deleteAccount(server, user);
        return { note: `Deleted ${users.map((u) => `${u}@${domain}`).join(', ')}.` };
      },
    },
    {
      node: `${NS_ADMIN}#change-user-password`,
      name: 'Change User Password',
      allowed,
      form: () =>
        buildForm({
          type: 'form',
          formType: NS_ADMIN,
          title: 'Changing a User Password',
          instructions: "Fill out this form to change a user's password.",
          fields: [
            { var: 'accountjid', type: 'jid-single', label: 'The Jabber ID for this account', required: true },
            { var: 'password', type: 'text-private', label: 'The password for this account', required: true },
          ],
        }),
      complete: async (form) => {
        const user = existing(single(form, 'accountjid'));
        const password = validPassword(form.fields.get('password')?.[0]);
        server.storage.users.setCredentials(user, await deriveCredentials(password));
        return { note: `Password of ${user}@${domain} changed.` };
      },
    },
    {
      node: `${NS_ADMIN}#announce`,
      name: 'Send Announcement to Online Users',
      allowed,
      form: () =>
        buildForm({
          type: 'form',
          formType: NS_ADMIN,
          title: 'Making an Announcement',
          instructions: 'Fill out this form to make an announcement to all active users of this service.',
          fields: [
            { var: 'subject', type: 'text-single', label: 'Subject' },
            { var: 'announcement', type: 'text-multi', label: 'Announcement', required: true },
          ],
        }),
      complete: (form) => {
        // text-multi: one <value/> per line (XEP-0004 §3.3).
        const body = (form.fields.get('announcement') ?? []).join('\n');
        if (body.trim() === '') throw badPayload('the field announcement is required');
        const subject = form.fields.get('subject')?.[0]?.trim() || undefined;
        let sent = 0;
        for (const s of [...server.sessions.all()]) {
          if (!s.jid) continue;
          server.route(x('message', { from: domain, to: s.jid.full, type: 'headline' }, subject ? x('subject', null, subject) : undefined, x('body', null, body)));
          sent++;
        }
        return { note: `Announcement sent to ${sent} session${sent === 1 ? '' : 's'}.` };
      },
    },
  ];
}

/** The commands the server offers, in the order they are listed. */
function commandsFor(server: XmppServer, admins: Set<string>): Map<string, AdhocCommand> {
  return new Map(adminCommands(server, admins).map((c) => [c.node, c]));
}

export default defineModule<AdhocConfig>({
  name: 'adhoc',
  config: { key: 'admins', parse: parseAdmins },
  setup(m) {
    const { server } = m;
    const commands = commandsFor(server, m.config.admins);
    /** Requester full JID → session id → session. */
    const sessions = new Map<string, Map<string, CommandSession>>();

    const sessionsOf = (requester: Jid): Map<string, CommandSession> => {
      let mine = sessions.get(requester.full);
      if (!mine) sessions.set(requester.full, (mine = new Map()));
      const now = Date.now();
      for (const [id, s] of mine) if (s.expires <= now) mine.delete(id);
      return mine;
    };
    const visible = (requester: Jid) => [...commands.values()].filter((c) => c.allowed(requester));

    m.feature('host', NS_COMMANDS);
    m.on('session-closed', ({ session }) => {
      if (session.jid) sessions.delete(session.jid.full);
    });

    // "Retrieving the Command List": the list node and each command node, for those who may run them.
    m.on('disco-items/host', ({ from, node, items }) => {
      if (node !== NS_COMMANDS) return;
      for (const c of visible(from)) items.push(x('item', { jid: server.domain, node: c.node, name: c.name }));
      return true;
    });
    m.on('disco-node/host', ({ from, node, identities, features }) => {
      if (node === NS_COMMANDS) {
        identities.push({ category: 'automation', type: 'command-list' });
        features.push(NS_COMMANDS);
        return true;
      }
      const command = commands.get(node);
      if (!command) return;
      if (!command.allowed(from)) throw new StanzaError('forbidden');
      identities.push({ category: 'automation', type: 'command-node', name: command.name });
      features.push(NS_COMMANDS, NS.DATA);
      return true;
    });

    m.iq('set', 'host', NS_COMMANDS, async ({ from, payload }) => {
      const node = payload.attrs.node;
      const command = node ? commands.get(node) : undefined;
      if (!command) throw new StanzaError('item-not-found', node ? `no command ${node}` : 'a command needs a node');
      if (!command.allowed(from)) throw new StanzaError('forbidden');
      const action = payload.attrs.action ?? 'execute';
      if (!ACTIONS.includes(action)) throw cmdError('bad-request', 'malformed-action', `unknown action ${action}`);
      const reply = (sessionid: string, status: 'executing' | 'completed' | 'canceled', ...children: (Element | undefined)[]) =>
        x('command', { xmlns: NS_COMMANDS, node: command.node, sessionid, status }, ...children);

      const mine = sessionsOf(from);
      const sessionid = payload.attrs.sessionid;
      if (sessionid === undefined) {
        if (action === 'cancel') throw cmdError('bad-request', 'bad-sessionid', 'no session to cancel');
        if (mine.size >= MAX_SESSIONS) throw new StanzaError('resource-constraint', 'too many unfinished command sessions', 'wait');
        const id = `${command.node.split('#').pop()}:${randomBytes(9).toString('base64url')}`;
        mine.set(id, { node: command.node, expires: Date.now() + SESSION_TTL_MS });
        return reply(id, 'executing', x('actions', { execute: 'complete' }, x('complete')), command.form());
      }
      const session = mine.get(sessionid);
      if (!session || session.node !== command.node) throw cmdError('bad-request', 'bad-sessionid', 'no such command session');
      if (action === 'cancel') {
        mine.delete(sessionid);
        return reply(sessionid, 'canceled');
      }
      // One stage: "execute" stands for "complete" (the <actions execute='complete'/> sent).
      if (action === 'prev' || action === 'next') throw cmdError('bad-request', 'bad-action', `${action} is not allowed here`);
      const submitted = payload.getChild('x', NS.DATA);
      if (!submitted) throw badPayload('submit the form of the command');
      // The session ends here, so that a second submit cannot run it again meanwhile; a form the
      // requester can correct (a `modify` error) opens it again.
      mine.delete(sessionid);
      try {
        const result = await command.complete(parseForm(submitted), from);
        m.log.info({ requester: from.full, node: command.node }, result.note);
        return reply(sessionid, 'completed', x('note', { type: 'info' }, result.note));
      } catch (err) {
        if (err instanceof StanzaError && err.type === 'modify') mine.set(sessionid, { node: session.node, expires: Date.now() + SESSION_TTL_MS });
        throw err;
      }
    }, { feature: null });
  },
});
