// The `carillon` command line: start, adduser, deluser, passwd, component.
import { MODULES } from './modules/index.js';
import { configSections } from './core/module.js';
import { createInterface } from 'node:readline';
import { loadConfig, ConfigError, type CarillonConfig } from './config.js';
import { createLogger } from './log.js';
import { startCarillon } from './index.js';
import { openSqliteStorage } from './storage/sqlite.js';
import { createAccount } from './modules/register.js';
import { deriveCredentials } from './sasl/credentials.js';
import { Jid, JidError } from '../xmpp/jid.js';
import { StanzaError } from '../xmpp/errors.js';
import { VERSION } from './version.js';
import { runComponentCommand } from '../component/cli.js';

const USAGE = `Carillon ${VERSION} — web calling and messaging for the XMPP federation

Usage:
  carillon start [--config FILE]             run the server, web client and call service
  carillon adduser JID [--config FILE]       create an account (password read from standard input)
  carillon passwd JID [--config FILE]        change an account's password (read from standard input)
  carillon deluser JID [--config FILE]       delete an account and everything stored for it
  carillon component --config FILE           run the call component alone against any XMPP server
  carillon --version | --help

Without --config, ./carillon.json is read when present; otherwise the defaults apply
(domain "localhost", data in ./data, HTTP 5280, HTTPS 5443, c2s 5222, s2s 5269, components 5347).`;

class UsageError extends Error {}

function parseArgs(args: string[]): { positional: string[]; config?: string } {
  const positional: string[] = [];
  let config: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--config' || a === '-c') {
      config = args[++i];
      if (!config) throw new UsageError('--config needs a file name');
    } else if (a.startsWith('--config=')) {
      config = a.slice('--config='.length);
    } else if (a.startsWith('-')) {
      throw new UsageError(`unknown option ${a}`);
    } else {
      positional.push(a);
    }
  }
  return { positional, config };
}

/** Reads a password: hidden at a terminal prompt, or the first line of piped input. */
async function readPassword(prompt: string, confirm: boolean): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const rl = createInterface({ input: stdin });
    for await (const line of rl) {
      rl.close();
      return line.replace(/\r$/, '');
    }
    return '';
  }
  const ask = (q: string) =>
    new Promise<string>((resolve) => {
      process.stderr.write(q);
      stdin.setRawMode(true);
      stdin.resume();
      let value = '';
      const onData = (buf: Buffer) => {
        for (const ch of buf.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            stdin.setRawMode(false);
            stdin.pause();
            stdin.off('data', onData);
            process.stderr.write('\n');
            return resolve(value);
          }
          if (ch === '\u0003') {
            process.stderr.write('\n');
            process.exit(130);
          }
          if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
          else value += ch;
        }
      };
      stdin.on('data', onData);
    });
  const first = await ask(prompt);
  if (confirm && (await ask('Repeat the password: ')) !== first) throw new UsageError('the passwords do not match');
  return first;
}

function accountOf(config: CarillonConfig, arg: string | undefined): string {
  if (!arg) throw new UsageError('give the account as user@domain');
  let jid: Jid;
  try {
    jid = Jid.parse(arg);
  } catch (e) {
    throw new UsageError(`invalid JID "${arg}": ${(e as JidError).message}`);
  }
  if (!jid.local || !jid.isBare()) throw new UsageError(`"${arg}" is not an account address; use user@${config.domain}`);
  if (jid.domain !== config.domain) {
    throw new UsageError(`${jid.bare} is not on this server's domain "${config.domain}" (set "domain" in the config file)`);
  }
  return jid.local;
}

async function accounts(command: string, args: string[]): Promise<number> {
  const { positional, config: file } = parseArgs(args);
  const config = loadConfig(file, configSections(MODULES));
  const user = accountOf(config, positional[0]);
  const bare = `${user}@${config.domain}`;
  const storage = openSqliteStorage(config.dataDir);
  try {
    switch (command) {
      case 'adduser': {
        if (storage.users.exists(user)) throw new UsageError(`${bare} already exists`);
        const password = await readPassword(`Password for ${bare}: `, true);
        await createAccount(storage, user, password);
        console.log(`Created ${bare}.`);
        return 0;
      }
      case 'passwd': {
        if (!storage.users.exists(user)) throw new UsageError(`${bare} does not exist`);
        const password = await readPassword(`New password for ${bare}: `, true);
        if (!password) throw new UsageError('the password must not be empty');
        storage.users.setCredentials(user, await deriveCredentials(password));
        console.log(`Changed the password of ${bare}.`);
        return 0;
      }
      default: {
        if (!storage.users.delete(user)) throw new UsageError(`${bare} does not exist`);
        console.log(`Deleted ${bare}.`);
        return 0;
      }
    }
  } finally {
    storage.close();
  }
}

async function start(args: string[]): Promise<number> {
  const { config: file } = parseArgs(args);
  const config = loadConfig(file, configSections(MODULES));
  const log = createLogger(config.log.level);
  log.info({ domain: config.domain, data: config.dataDir }, `Carillon ${VERSION} starting`);
  const carillon = await startCarillon(config, { logger: log });
  const p = carillon.ports;
  const host = config.listen === '0.0.0.0' || config.listen === '::' ? 'localhost' : config.listen;
  if (p.http !== null) log.info(`web client:   http://${host}:${p.http}/  (WebSocket ws://${host}:${p.http}/xmpp-websocket)`);
  if (p.https !== null) log.info(`web client:   https://${host}:${p.https}/  (certificate: ${config.tls.cert ?? 'self-signed, in the data dir'})`);
  if (p.c2s !== null) log.info(`clients:      ${host}:${p.c2s} (XMPP, STARTTLS)`);
  if (p.c2sDirectTls !== null) log.info(`clients:      ${host}:${p.c2sDirectTls} (XMPP, direct TLS)`);
  if (p.s2s !== null) log.info(`servers:      ${host}:${p.s2s} (federation)`);
  if (p.components !== null) log.info(`components:   ${host}:${p.components} (XEP-0114)`);
  if (config.call.enabled && p.components !== null) log.info(`calls:        ${config.call.domain} (rooms and group calls; media on UDP ${config.call.media.portMin}-${config.call.media.portMax})`);
  const users = carillon.server.storage.users.count();
  log.info(`ready: ${users} account${users === 1 ? '' : 's'}${users === 0 ? ` — add one with: carillon adduser you@${config.domain}` : ''}`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info(`${signal}: shutting down`);
    carillon.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  return new Promise<number>(() => {}); // runs until a signal
}

export async function main(args: string[]): Promise<void> {
  const [command, ...rest] = args;
  let code = 0;
  try {
    switch (command) {
      case 'start':
        code = await start(rest);
        break;
      case 'adduser':
      case 'deluser':
      case 'passwd':
        code = await accounts(command, rest);
        break;
      case 'component': {
        code = await runComponentCommand(rest);
        break;
      }
      case '--version':
      case '-v':
        console.log(VERSION);
        break;
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        console.log(USAGE);
        break;
      default:
        throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
    }
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError || err instanceof StanzaError) {
      console.error(`carillon: ${err instanceof StanzaError ? (err.text ?? err.condition) : err.message}`);
      code = err instanceof ConfigError ? 78 : 1;
    } else if ((err as NodeJS.ErrnoException)?.code === 'EADDRINUSE') {
      const e = err as NodeJS.ErrnoException & { port?: number };
      console.error(`carillon: port ${e.port ?? ''} is already in use; choose another in the config file`);
      code = 1;
    } else {
      throw err;
    }
  }
  process.exitCode = code;
}
