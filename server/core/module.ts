// A module is one file: it declares its disco features, its config keys, its stores and its
// handlers, and nothing outside it needs to change to add it (see server/modules/index.ts for the
// list). Modeled on Prosody's module API (module:hook, module:add_feature, module:open_store,
// module:get_option_*).
import type { ConfigSection } from '../config.js';
import type { Logger } from '../log.js';
import type { ArchiveItem, ArchivePage, ArchiveQuery } from '../storage/storage.js';
import type { EventBus } from './events.js';
import type { DiscoIdentity, HttpRoute, IqHandler, IqTarget, XmppServer } from './server.js';
import { addLocalService, type LocalService, type ServiceOptions } from './local-service.js';

/** JSON documents per (module, user, key). */
export interface KeyValueStore<T> {
  get(user: string, key: string): T | undefined;
  set(user: string, key: string, value: T | undefined): void;
  keys(user: string): string[];
}

/** Time-ordered items per (module, user), queried by time, `with` and RSM pages. */
export interface ArchiveStore {
  append(user: string, item: ArchiveItem): boolean;
  query(user: string, q: ArchiveQuery): ArchivePage;
  expire(before: number): number;
  clear(user: string): void;
}

export interface ModuleContext<C> {
  readonly server: XmppServer;
  /** The module's settings, checked at startup (`config.parse` of its definition). */
  readonly config: C;
  readonly log: Logger;
  /** Hooks an event of the bus (core/events.ts). */
  readonly on: EventBus['on'];
  /** Answers IQs of one type, target and namespace, and announces `feature` (default: the namespace). */
  iq(type: 'get' | 'set', target: IqTarget | 'preauth' | 'both', ns: string, handler: IqHandler, opts?: { feature?: string | null; priority?: number }): void;
  /** Announces disco features of the server (`host`) or of every account (`account`). */
  feature(target: 'host' | 'account', ...vars: string[]): void;
  identity(target: 'host' | 'account', identity: DiscoIdentity): void;
  /** The module's key-value store, in the server's database. */
  store<T>(name?: string): KeyValueStore<T>;
  /** The module's archive store, in the server's database. */
  archive(name?: string): ArchiveStore;
  /**
   * A service on a domain of its own (e.g. `upload.<domain>`), hosted by the server: listed in the
   * server's disco#items, answering its own disco#info and IQs (core/local-service.ts).
   */
  service(domain: string, opts: ServiceOptions): LocalService;
  /** Serves HTTP requests under `prefix` (e.g. `/upload/`) on the HTTP and HTTPS ports, before the web client's files. */
  http(prefix: string, handler: HttpRoute['handler']): void;
}

export interface ModuleDefinition<C = undefined> {
  /** Unique; also names the module's stores. */
  name: string;
  /** Top-level config keys the module owns. */
  config?: ConfigSection<C>;
  setup(ctx: ModuleContext<C>): void;
}

export function defineModule<C = undefined>(def: ModuleDefinition<C>): ModuleDefinition<C> {
  return def;
}

/** The config sections of a list of modules, for the config loader. */
export function configSections(modules: readonly ModuleDefinition<unknown>[]): ConfigSection[] {
  return modules.flatMap((m) => (m.config ? [m.config] : []));
}

export function loadModules(server: XmppServer, modules: readonly ModuleDefinition<unknown>[]): void {
  const names = new Set<string>();
  for (const def of modules) {
    if (names.has(def.name)) throw new Error(`two modules are named ${def.name}`);
    names.add(def.name);
    const stores = server.storage.modules;
    const ctx: ModuleContext<unknown> = {
      server,
      config: def.config ? server.config.modules[def.config.key] : undefined,
      log: server.log.child({ module: def.name }),
      on: server.events.on.bind(server.events),
      iq: (type, target, ns, handler, opts = {}) => server.handleIq(type, target, ns, handler, opts.feature === undefined ? ns : opts.feature, opts.priority),
      feature: (target, ...vars) => {
        for (const v of vars) server.features[target].add(v);
      },
      identity: (target, identity) => void server.identities[target].push(identity),
      store: <T>(name = '') => {
        const mod = name ? `${def.name}/${name}` : def.name;
        return {
          get: (user: string, key: string) => {
            const s = stores.get(mod, user, key);
            return s === undefined ? undefined : (JSON.parse(s) as T);
          },
          set: (user: string, key: string, value: T | undefined) => stores.set(mod, user, key, value === undefined ? undefined : JSON.stringify(value)),
          keys: (user: string) => stores.keys(mod, user),
        };
      },
      archive: (name = '') => {
        const mod = name ? `${def.name}/${name}` : def.name;
        return {
          append: (user, item) => stores.append(mod, user, item),
          query: (user, q) => stores.query(mod, user, q),
          expire: (before) => stores.expire(mod, before),
          clear: (user) => stores.clear(mod, user),
        };
      },
      service: (domain, opts) => addLocalService(server, domain, opts),
      http: (prefix, handler) => void server.httpRoutes.push({ prefix, handler }),
    };
    def.setup(ctx);
  }
}
