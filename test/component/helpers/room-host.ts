// A Carillon with the call component attached over its component port, for room tests: signed-in
// users, and a component that can be stopped and started again on the same data directory.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Element } from 'ltx';
import { startCarillon, type Carillon } from '../../../server/index.js';
import { startCallComponent, type CallComponentOptions, type RunningCallComponent } from '../../../component/index.js';
import type { Logger } from '../../../component/muc/context.js';
import { freePortRange } from '../../support/ports.js';
import { User, xml } from './user.js';

export const CALL = 'call.localhost';
export const NS_MUC = 'http://jabber.org/protocol/muc';
export const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';
export const NS_MUC_OWNER = 'http://jabber.org/protocol/muc#owner';
export const NS_MUC_ADMIN = 'http://jabber.org/protocol/muc#admin';
export const NS_MAM = 'urn:xmpp:mam:2';
export const NS_RSM = 'http://jabber.org/protocol/rsm';
export const NS_SID = 'urn:xmpp:sid:0';
export const NS_DATA = 'jabber:x:data';
export const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

export interface RoomHost {
  srv: Carillon;
  /** The component's data directory. */
  dataDir: string;
  users: Record<string, User>;
  /** What the component logged at info level and above, as messages. */
  logged: string[];
  component: RunningCallComponent;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRoomHost(opts: { users: string[]; component?: Partial<CallComponentOptions>; before?: (dataDir: string) => void }): Promise<RoomHost> {
  const root = mkdtempSync(join(tmpdir(), 'carillon-rooms-'));
  const dataDir = join(root, 'call');
  mkdirSync(dataDir, { recursive: true });
  opts.before?.(dataDir);
  const srv = await startCarillon({
    domain: 'localhost', dataDir: root, listen: '127.0.0.1', http: { port: 0 }, https: { port: null }, c2s: { port: 0 },
    s2s: { port: null }, components: { port: 0, secrets: { [CALL]: 'secret' } }, call: { enabled: false },
    log: { level: 'silent' },
  });
  const logged: string[] = [];
  const note = (_obj: unknown, msg?: string): void => { if (msg) logged.push(msg); };
  const log: Logger = { debug() {}, info: note, warn: note, error: note };
  const media = await freePortRange(10);
  const start = () => startCallComponent({
    service: `xmpp://127.0.0.1:${srv.ports.components}`, domain: CALL, secret: 'secret', dataDir,
    media: { bindAddress: '127.0.0.1', ...media }, log, ...opts.component,
  });
  const host: RoomHost = {
    srv, dataDir, users: {}, logged,
    component: await start(),
    async restart() {
      await host.component.stop();
      host.component = await start();
    },
    async stop() {
      for (const u of Object.values(host.users)) await u.stop();
      await host.component.stop();
      await srv.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
  for (const name of opts.users) {
    await srv.users.add(`${name}@localhost`, 'pw');
    host.users[name] = await User.connect(`ws://127.0.0.1:${srv.ports.http}/xmpp-websocket`, 'localhost', name, 'pw');
  }
  return host;
}

/** Enter `room` as `nick`; resolves with the subject message, the last stanza of the entry (§7.2.16). */
export async function enter(u: User, room: string, nick: string, mucX: Element = xml('x', { xmlns: NS_MUC })): Promise<Element> {
  const subject = u.waitFor((el) => el.name === 'message' && el.attrs.from !== undefined && String(el.attrs.from).startsWith(room)
    && !!el.getChild('subject') && !el.getChild('body'), 5000, `the subject of ${room}`);
  await u.send(xml('presence', { to: `${room}/${nick}` }, mucX));
  return subject;
}

/** Submit the owner's configuration form with these fields. */
export async function configure(u: User, room: string, fields: Record<string, string>): Promise<Element> {
  return u.iq('set', room, xml('query', { xmlns: NS_MUC_OWNER }, xml('x', { xmlns: NS_DATA, type: 'submit' },
    xml('field', { var: 'FORM_TYPE' }, xml('value', {}, 'http://jabber.org/protocol/muc#roomconfig')),
    ...Object.entries(fields).map(([v, value]) => xml('field', { var: v }, xml('value', {}, value))))));
}

export const errorCondition = (el: Element): string | undefined =>
  el.getChild('error')?.getChildElements().find((c) => c.attrs.xmlns === NS_STANZAS)?.name;
