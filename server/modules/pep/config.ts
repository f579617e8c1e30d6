// Node configuration of the pubsub engine: the XEP-0060 options of a node, as publish-options
// preconditions (§7.1.5) and as the node configuration form (§8.2). Two profiles share it: PEP's
// (XEP-0163 defaults, publish model and payload delivery fixed) and the pubsub service's
// (publish model, payload delivery and title configurable). Pure; no I/O.
import { StanzaError, type StanzaErrorType } from '../../../xmpp/errors.js';
import { NS } from '../../../xmpp/namespaces.js';
import { x, type Element } from '../../../xmpp/xml.js';

export const PUBSUB = 'http://jabber.org/protocol/pubsub';
export const PUBSUB_OWNER = 'http://jabber.org/protocol/pubsub#owner';
export const PUBSUB_EVENT = 'http://jabber.org/protocol/pubsub#event';
export const PUBSUB_ERRORS = 'http://jabber.org/protocol/pubsub#errors';
export const NODE_CONFIG = 'http://jabber.org/protocol/pubsub#node_config';
export const PUBLISH_OPTIONS = 'http://jabber.org/protocol/pubsub#publish-options';
export const META_DATA = 'http://jabber.org/protocol/pubsub#meta-data';

/** The default cap on a node's items (Prosody's pubsub_max_items), and what "max" means (§16.4.3). */
export const MAX_ITEMS_LIMIT = 256;

export type AccessModel = 'open' | 'presence' | 'whitelist';
export type PublishModel = 'publishers' | 'subscribers' | 'open';
export type NodeConfig = Record<string, string>;
type Normal = (v: string) => string | undefined;

/** XEP-0163 §5 recommended defaults: presence access, the last item kept and sent on presence. */
export const DEFAULT_CONFIG: Readonly<NodeConfig> = {
  'pubsub#access_model': 'presence',
  'pubsub#max_items': '1',
  'pubsub#persist_items': 'true',
  'pubsub#send_last_published_item': 'on_sub_and_presence',
  'pubsub#notify_retract': 'true',
};

/** Defaults of a node of the pubsub service (§8.1.1 leaves them to the service). */
export const SERVICE_DEFAULT_CONFIG: Readonly<NodeConfig> = {
  'pubsub#access_model': 'open',
  'pubsub#publish_model': 'publishers',
  'pubsub#max_items': '20',
  'pubsub#persist_items': 'true',
  'pubsub#deliver_payloads': 'true',
  'pubsub#notify_retract': 'true',
  'pubsub#title': '',
};

/** What a kind of node accepts: its defaults (the options it keeps), their checks, and its item cap. */
export interface NodeProfile {
  defaults: Readonly<NodeConfig>;
  /** Each supported option with its normal form of a submitted value (undefined: not acceptable). */
  options: Readonly<Record<string, Normal>>;
  /** The most items a node may keep (limits.pepItems, pubsub.maxItems). */
  maxItems: number;
}

const bool: Normal = (v) => (v === 'true' || v === '1' ? 'true' : v === 'false' || v === '0' ? 'false' : undefined);
/** An option whose value here is fixed: clients may state it as a precondition, not change it. */
const fixed = (value: string, normal: Normal = (v) => v): Normal => (v) => (normal(v) === value ? value : undefined);
const oneOf = (...values: string[]): Normal => (v) => (values.includes(v) ? v : undefined);
const itemCount = (limit: number): Normal => (v) => {
  if (v === 'max') return v;
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  return n >= 1 && n <= limit ? String(n) : undefined;
};

export function pepProfile(limit = MAX_ITEMS_LIMIT): NodeProfile {
  return {
    defaults: DEFAULT_CONFIG,
    maxItems: limit,
    options: {
      'pubsub#access_model': oneOf('open', 'presence', 'whitelist'),
      'pubsub#max_items': itemCount(limit),
      'pubsub#persist_items': bool,
      'pubsub#send_last_published_item': oneOf('never', 'on_sub', 'on_sub_and_presence'),
      'pubsub#notify_retract': bool,
      'pubsub#deliver_notifications': fixed('true', bool),
      'pubsub#deliver_payloads': fixed('true', bool),
      'pubsub#notification_type': fixed('headline'),
      'pubsub#publish_model': fixed('publishers'),
    },
  };
}

export function serviceProfile(limit = MAX_ITEMS_LIMIT): NodeProfile {
  return {
    defaults: SERVICE_DEFAULT_CONFIG,
    maxItems: limit,
    options: {
      'pubsub#access_model': oneOf('open', 'presence', 'whitelist'),
      'pubsub#publish_model': oneOf('publishers', 'subscribers', 'open'),
      'pubsub#max_items': itemCount(limit),
      'pubsub#persist_items': bool,
      'pubsub#deliver_payloads': bool,
      'pubsub#notify_retract': bool,
      'pubsub#title': (v) => (v.length <= 1024 ? v : undefined),
      'pubsub#deliver_notifications': fixed('true', bool),
      'pubsub#notification_type': fixed('headline'),
      // No last-published delivery on the service: a client may say "never", nothing else.
      'pubsub#send_last_published_item': fixed('never'),
    },
  };
}

const PEP = pepProfile();

export function accessModel(config: NodeConfig): AccessModel {
  return (config['pubsub#access_model'] ?? 'presence') as AccessModel;
}

export function publishModel(config: NodeConfig): PublishModel {
  return (config['pubsub#publish_model'] ?? 'publishers') as PublishModel;
}

export function maxItems(config: NodeConfig, limit = MAX_ITEMS_LIMIT): number {
  const v = config['pubsub#max_items'] ?? '1';
  return v === 'max' ? limit : Math.min(Number(v), limit);
}

const isTrue = (config: NodeConfig, name: string): boolean => (config[name] ?? 'true') === 'true';
export const notifiesRetract = (config: NodeConfig): boolean => isTrue(config, 'pubsub#notify_retract');
export const persistsItems = (config: NodeConfig): boolean => isTrue(config, 'pubsub#persist_items');
export const deliversPayloads = (config: NodeConfig): boolean => isTrue(config, 'pubsub#deliver_payloads');

export function sendsLastOnPresence(config: NodeConfig): boolean {
  return (config['pubsub#send_last_published_item'] ?? 'on_sub_and_presence') === 'on_sub_and_presence';
}

/** The fields of a jabber:x:data form: var → first value; FORM_TYPE separately. */
export function readForm(form: Element | undefined): { type?: string; fields: Map<string, string> } {
  const fields = new Map<string, string>();
  let type: string | undefined;
  for (const f of form?.getChildren('field') ?? []) {
    const name = f.attrs.var;
    if (!name) continue;
    const value = f.getChildText('value') ?? '';
    if (name === 'FORM_TYPE') type = value;
    else fields.set(name, value);
  }
  return { type, fields };
}

export function pubsubError(condition: string, app: string, text?: string, type?: StanzaErrorType): StanzaError {
  return new StanzaError(condition, text, type, [x(app, { xmlns: PUBSUB_ERRORS })]);
}

/**
 * XEP-0060 §7.1.5: publish-options are preconditions. Returns the configuration of a node created
 * by this publish, or throws precondition-not-met when an existing node is configured otherwise
 * or an option is not one we support.
 */
export function applyPublishOptions(existing: NodeConfig | undefined, form: Element | undefined, profile: NodeProfile = PEP): NodeConfig {
  const { type, fields } = readForm(form);
  if (form && type !== PUBLISH_OPTIONS) throw new StanzaError('bad-request', 'publish-options need FORM_TYPE pubsub#publish-options');
  const config: NodeConfig = { ...(existing ?? profile.defaults) };
  for (const [name, raw] of fields) {
    const value = profile.options[name]?.(raw);
    if (value === undefined) throw pubsubError('conflict', 'precondition-not-met', `unsupported ${name}=${raw}`);
    if (!(name in profile.defaults)) continue; // a fixed option, and it matches
    const current = existing?.[name] ?? profile.defaults[name];
    if (existing && current !== value) throw pubsubError('conflict', 'precondition-not-met', `node has ${name}=${current}`);
    config[name] = value;
  }
  return config;
}

/**
 * XEP-0060 §8.2.4 (and §8.1.3 at creation): a submitted configuration form; unknown fields are
 * ignored, a value outside what we offer is refused with not-acceptable (§8.2.5.2 Example 151;
 * an access model we lack with <unsupported-access-model/>, §8.1.2 Example 138) — among them a
 * max_items above the profile's cap.
 */
export function applyConfigureForm(current: NodeConfig, form: Element, profile: NodeProfile = PEP): NodeConfig {
  const { type, fields } = readForm(form);
  if (type !== undefined && type !== NODE_CONFIG) throw new StanzaError('bad-request', 'FORM_TYPE must be pubsub#node_config');
  const config: NodeConfig = { ...current };
  for (const [name, raw] of fields) {
    const normal = profile.options[name];
    if (!normal) continue;
    const value = normal(raw);
    if (value === undefined) {
      const text = name === 'pubsub#max_items' ? `pubsub#max_items is at most ${profile.maxItems} here` : `unsupported ${name}=${raw}`;
      throw name === 'pubsub#access_model' ? pubsubError('not-acceptable', 'unsupported-access-model', text) : new StanzaError('not-acceptable', text);
    }
    if (name in profile.defaults) config[name] = value;
  }
  return config;
}

const LABELS: Record<string, [type: string, label: string, options?: string[]]> = {
  'pubsub#title': ['text-single', 'A short name for the node'],
  'pubsub#access_model': ['list-single', 'Who may subscribe and retrieve items', ['open', 'presence', 'whitelist']],
  'pubsub#publish_model': ['list-single', 'Who may publish items', ['publishers', 'subscribers', 'open']],
  'pubsub#max_items': ['text-single', 'Maximum number of items to keep'],
  'pubsub#persist_items': ['boolean', 'Keep items'],
  'pubsub#deliver_payloads': ['boolean', 'Deliver payloads with event notifications'],
  'pubsub#send_last_published_item': ['list-single', 'When to send the last published item', ['never', 'on_sub', 'on_sub_and_presence']],
  'pubsub#notify_retract': ['boolean', 'Notify of retracted items'],
};

/** XEP-0060 §8.2.1: the configuration form of a node (or, with `type` result, its §5.4 meta-data fields). */
export function configForm(config: NodeConfig, profile: NodeProfile = PEP): Element {
  return x('x', { xmlns: NS.DATA, type: 'form' }, x('field', { var: 'FORM_TYPE', type: 'hidden' }, x('value', {}, NODE_CONFIG)), configFields(config, profile));
}

export function configFields(config: NodeConfig, profile: NodeProfile): Element[] {
  return Object.keys(profile.defaults).map((name) => {
    const [type, label, options] = LABELS[name]!;
    const raw = config[name] ?? profile.defaults[name]!;
    const value = type === 'boolean' ? (raw === 'true' ? '1' : '0') : raw;
    return x('field', { var: name, type, label }, x('value', {}, value), (options ?? []).map((o) => x('option', {}, x('value', {}, o))));
  });
}
