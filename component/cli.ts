// `carillon component --config FILE`: run the call component alone against any XMPP server
// (Carillon, Prosody, ejabberd) through its XEP-0114 component port.
import { readFileSync } from 'node:fs';
import { resolve, dirname } from 'node:path';
import { startCallComponent } from './index.js';
import { ComponentConfigError, parseComponentConfig } from './config.js';
import type { Logger } from './muc/context.js';

const USAGE = `usage: carillon component --config FILE

FILE is JSON with a "component" object:
  { "component": { "service": "xmpp://127.0.0.1:5347", "domain": "call.example.org", "secret": "…",
                   "dataDir": "./call-data", "maxParticipants": 8, "archiveDays": 365, "maxRoomsPerUser": 100,
                   "media": { "portMin": 40000, "portMax": 40999, "publicAddress": "203.0.113.5" },
                   "turn": { "host": "turn.example.org", "secret": "…" } } }
("host" and "port" may replace "service"; "turn" announces a STUN/TURN relay, see docs/nat.md).`;

function consoleLogger(): Logger {
  const line = (level: string) => (obj: unknown, msg?: string): void => {
    const fields = typeof obj === 'object' && obj !== null ? obj : { value: obj };
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
  };
  return { debug: () => {}, info: line('info'), warn: line('warn'), error: line('error') };
}

export async function runComponentCommand(args: string[], opts: { signal?: AbortSignal } = {}): Promise<number> {
  const i = args.indexOf('--config');
  const file = i >= 0 ? args[i + 1] : undefined;
  if (args.includes('--help') || args.includes('-h')) { console.log(USAGE); return 0; }
  if (!file) { console.error(USAGE); return 2; }
  let options;
  try {
    const path = resolve(file);
    const parsed = parseComponentConfig(JSON.parse(readFileSync(path, 'utf8')) as unknown, file);
    if (parsed.dataDir) parsed.dataDir = resolve(dirname(path), parsed.dataDir);
    options = parsed;
  } catch (e) {
    if (e instanceof ComponentConfigError) console.error(`configuration error: ${e.message}`);
    else console.error(`configuration error: ${file}: ${(e as Error).message}`);
    return 2;
  }
  const log = consoleLogger();
  let component;
  try {
    component = await startCallComponent({ ...options, log });
  } catch (e) {
    console.error(`cannot attach to ${options.service} as ${options.domain}: ${(e as Error).message}`);
    return 1;
  }
  await new Promise<void>((done) => {
    const stop = (): void => done();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    opts.signal?.addEventListener('abort', stop, { once: true });
  });
  await component.stop();
  return 0;
}
