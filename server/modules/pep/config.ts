// Node configuration of the PEP service: the XEP-0060 options that personal eventing clients set
// (access model, item count, persistence, last-published delivery), as publish-options
// preconditions (§7.1.5) and as the node configuration form (§8.2). Pure; no I/O.
import { StanzaError } from '../../../xmpp/errors.js';
import { NS } from '../../../xmpp/namespaces.js';
import { x, type Element } from '../../../xmpp/xml.js';

export const PUBSUB = 'http://jabber.org/protocol/pubsub';
export const PUBSUB_OWNER = 'http://jabber.org/protocol/pubsub#owner';
export const PUBSUB_EVENT = 'http://jabber.org/protocol/pubsub#event';
export const PUBSUB_ERRORS = 'http://jabber.org/protocol/pubsub#errors';
export const NODE_CONFIG = 'http://jabber.org/protocol/pubsub#node_config';
export const PUBLISH_OPTIONS = 'http://jabber.org/protocol/pubsub#publish-options';

/** What `max_items` = "max" means here (XEP-0060 §16.4.3), and the cap on a number. */
export const MAX_ITEMS_LIMIT = 256;

export type AccessModel = 'open' | 'presence' | 'whitelist';
export type NodeConfig = Record<string, string>;

/** XEP-0163 §5 recommended defaults: presence access, the last item kept and sent on presence. */
export const DEFAULT_CONFIG: Readonly<NodeConfig> = {
  'pubsub#access_model': 'presence',
  'pubsub#max_items': '1',
  'pubsub#persist_items': 'true',
  'pubsub#send_last_published_item': 'on_sub_and_presence',
  'pubsub#notify_retract': 'true',
};

const bool = (v: string): string | undefined => (v === 'true' || v === '1' ? 'true' : v === 'false' || v === '0' ? 'false' : undefined);
/** An option whose value here is fixed: clients may state it as a precondition, not change it. */
const fixed = (value: string, normal: (v: string) => string | undefined = (v) => v) => (v: string) => (normal(v) === value ? value : undefined);

/** Each supported option with its normal form of a submitted value (undefined: not acceptable). */
const OPTIONS: Record<string, (v: string) => string | undefined> = {
  'pubsub#access_model': (v) => (v === 'open' || v === 'presence' || v === 'whitelist' ? v : undefined),
  'pubsub#max_items': (v) => {
    if (v === 'max') return v;
    const n = /^\d+$/.test(v) ? Number(v) : NaN;
    return n >= 1 && n <= MAX_ITEMS_LIMIT ? String(n) : undefined;
  },
  'pubsub#persist_items': bool,
  'pubsub#send_last_published_item': (v) => (v === 'never' || v === 'on_sub' || v === 'on_sub_and_presence' ? v : undefined),
  'pubsub#notify_retract': bool,
  'pubsub#deliver_notifications': fixed('true', bool),
  'pubsub#deliver_payloads': fixed('true', bool),
  'pubsub#notification_type': fixed('headline'),
  'pubsub#publish_model': fixed('publishers'),
};

export function accessModel(config: NodeConfig): AccessModel {
  return (config['pubsub#access_model'] ?? 'presence') as AccessModel;
}

export function maxItems(config: NodeConfig): number {
  const v = config['pubsub#max_items'] ?? '1';
  return v === 'max' ? MAX_ITEMS_LIMIT : Number(v);
}

export function notifiesRetract(config: NodeConfig): boolean {
  return (config['pubsub#notify_retract'] ?? 'true') === 'true';
}

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

export function pubsubError(condition: string, app: string, text?: string): StanzaError {
  return new StanzaError(condition, text, undefined, [x(app, { xmlns: PUBSUB_ERRORS })]);
}

/**
 * XEP-0060 §7.1.5: publish-options are preconditions. Returns the configuration of a node created
 * by this publish, or throws precondition-not-met when an existing node is configured otherwise
 * or an option is not one we support.
 */
export function applyPublishOptions(existing: NodeConfig | undefined, form: Element | undefined): NodeConfig {
  const { type, fields } = readForm(form);
  if (form && type !== PUBLISH_OPTIONS) throw new StanzaError('bad-request', 'publish-options need FORM_TYPE pubsub#publish-options');
  const config: NodeConfig = { ...(existing ?? DEFAULT_CONFIG) };
  for (const [name, raw] of fields) {
    const value = OPTIONS[name]?.(raw);
    if (value === undefined) throw pubsubError('conflict', 'precondition-not-met', `unsupported ${name}=${raw}`);
    if (!(name in DEFAULT_CONFIG)) continue; // a fixed option, and it matches
    if (existing && (existing[name] ?? DEFAULT_CONFIG[name]) !== value) {
      throw pubsubError('conflict', 'precondition-not-met', `node has ${name}=${existing[name] ?? DEFAULT_CONFIG[name]}`);
    }
    config[name] = value;
  }
  return config;
}

/** XEP-0060 §8.2.4: a submitted configuration form; unknown fields are ignored, bad values refused. */
export function applyConfigureForm(current: NodeConfig, form: Element): NodeConfig {
  const { type, fields } = readForm(form);
  if (type !== undefined && type !== NODE_CONFIG) throw new StanzaError('bad-request', 'FORM_TYPE must be pubsub#node_config');
  const config: NodeConfig = { ...current };
  for (const [name, raw] of fields) {
    const normal = OPTIONS[name];
    if (!normal) continue;
    const value = normal(raw);
    if (value === undefined) throw new StanzaError('not-acceptable', `unsupported ${name}=${raw}`);
    if (name in DEFAULT_CONFIG) config[name] = value;
  }
  return config;
}

/** XEP-0060 §8.2.1: the configuration form of a node. */
export function configForm(config: NodeConfig): Element {
  const v = (name: string) => config[name] ?? DEFAULT_CONFIG[name]!;
  const list = (name: string, label: string, options: string[]) =>
    x('field', { var: name, type: 'list-single', label }, x('value', {}, v(name)), options.map((o) => x('option', {}, x('value', {}, o))));
  return x(
    'x',
    { xmlns: NS.DATA, type: 'form' },
    x('field', { var: 'FORM_TYPE', type: 'hidden' }, x('value', {}, NODE_CONFIG)),
    list('pubsub#access_model', 'Who may subscribe and retrieve items', ['open', 'presence', 'whitelist']),
    x('field', { var: 'pubsub#max_items', type: 'text-single', label: 'Maximum number of items to keep' }, x('value', {}, v('pubsub#max_items'))),
    x('field', { var: 'pubsub#persist_items', type: 'boolean', label: 'Keep items' }, x('value', {}, v('pubsub#persist_items') === 'true' ? '1' : '0')),
    list('pubsub#send_last_published_item', 'When to send the last published item', ['never', 'on_sub', 'on_sub_and_presence']),
    x('field', { var: 'pubsub#notify_retract', type: 'boolean', label: 'Notify of retracted items' }, x('value', {}, v('pubsub#notify_retract') === 'true' ? '1' : '0')),
  );
}
