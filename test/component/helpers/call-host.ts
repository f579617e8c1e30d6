// A Carillon with the call component attached over its component port, and signed-in users: the
// set-up every call test starts from.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCarillon, type Carillon } from '../../../server/index.js';
import { startCallComponent, type CallComponentOptions, type RunningCallComponent } from '../../../component/index.js';
import { freePortRange } from '../../support/ports.js';
import { User } from './user.js';

export interface CallHost {
  srv: Carillon;
  /** The media port range the component was given. */
  media: { portMin: number; portMax: number };
  dataDir: string;
  users: Record<string, User>;
  component: RunningCallComponent;
  stop(): Promise<void>;
}

/**
 * Starts Carillon (component port only, no in-process call service) and `call.localhost` on it,
 * with media on a block of 100 free ports.
 */
export async function startCallHost(opts: { users: string[]; media?: Omit<NonNullable<CallComponentOptions['media']>, 'portMin' | 'portMax'>; component?: Partial<CallComponentOptions> }): Promise<CallHost> {
  const media = await freePortRange(100);
  const dataDir = mkdtempSync(join(tmpdir(), 'carillon-call-'));
  const srv = await startCarillon({
    domain: 'localhost', dataDir, listen: '127.0.0.1', http: { port: 0 }, https: { port: null }, c2s: { port: 0 },
    s2s: { port: null }, components: { port: 0, secrets: { 'call.localhost': 'secret' } }, call: { enabled: false },
    log: { level: 'silent' },
  });
  const component = await startCallComponent({
    service: `xmpp://127.0.0.1:${srv.ports.components}`, domain: 'call.localhost', secret: 'secret', dataDir: join(dataDir, 'call'),
    media: { bindAddress: '127.0.0.1', ...opts.media, ...media },
    log: process.env.CALL_DEBUG ? { debug: console.log, info: console.log, warn: console.log, error: console.log } : undefined,
    ...opts.component,
  });
  const users: Record<string, User> = {};
  for (const name of opts.users) {
    await srv.users.add(`${name}@localhost`, 'pw');
    users[name] = await User.connect(`ws://127.0.0.1:${srv.ports.http}/xmpp-websocket`, 'localhost', name, 'pw');
  }
  return {
    srv,
    media,
    dataDir,
    users,
    component,
    async stop() {
      for (const u of Object.values(users)) await u.stop();
      await component.stop();
      await srv.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
