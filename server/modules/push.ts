// XEP-0357: Push Notifications (0.4.1) — a client (Conversations, Monal, Siskin) registers the
// XMPP Push Service of its app server (§5); when a message arrives that the client would miss, the
// server publishes a notification to that service (§7), which wakes the device up through its
// vendor's push network. Push only notifies: the message itself is delivered, stored offline and
// archived as it would be anyway.
//
// A registration belongs to the resource that enabled it (as Prosody 13's mod_cloud_notify keeps
// it). It is notified of a message worth it — one with a body, anything hinted XEP-0334 <store/>,
// an XEP-0353 call proposal — when that resource has no session, its session waits to be resumed
// (XEP-0198 hibernation), has not sent available presence, or told us it is inactive (XEP-0352).
// A call proposal is urgent: pushed whatever state the session is in, as mod_cloud_notify does
// (is_urgent), since a session that looks alive may be a dead connection not noticed yet.
//
// What the notification reveals is the operator's choice, not the client's (§9: in-band changes
// of push content are NOT RECOMMENDED): the sender and the body are included per `push.*` keys.
// Important messages (a body, a call) that go without their body carry `push.importantBody`
// instead, as mod_cloud_notify's push_notification_important_body: app servers take a non-empty
// last-message-body for a high-priority push (Conversations' p2 sends those as visible APNs alerts,
// the rest as background pushes), the only priority signal §7's summary form has.
import { StanzaError } from '../../xmpp/errors.js';
import { buildForm, type FieldSpec } from '../../xmpp/forms.js';
import { IqTracker } from '../../xmpp/iq-tracker.js';
import { Jid } from '../../xmpp/jid.js';
import { NS } from '../../xmpp/namespaces.js';
import { childNs, parseXml, x, type Element } from '../../xmpp/xml.js';
import { PRIORITY, type StanzaEvent } from '../core/events.js';
import { defineModule } from '../core/module.js';
import type { ClientSession } from '../core/session.js';
import { isInactive } from './csi.js';

export interface PushConfig {
  /** Put the message's body in last-message-body (mod_cloud_notify's push_notification_with_body). */
  includeBody: boolean;
  /** Put the sender's JID in last-message-sender (push_notification_with_sender). */
  includeSender: boolean;
  /** last-message-body of an important message sent without its body; '' for none (push_notification_important_body). */
  importantBody: string;
  /** Registrations kept per account; enabling one more forgets the oldest (push_max_devices). */
  maxRegistrations: number;
}

/** One enabled JID and node combination (§5). */
interface Registration {
  jid: string;
  node: string;
  /** The publish-options form as the client sent it, serialized. */
  options?: string;
  /** The resource that enabled it: the client whose absence calls for a push. */
  resource: string;
  /** When it was enabled (ms): tells a registration from a later one of the same JID and node. */
  at: number;
}

/** Users whose registrations are kept in memory; the oldest is forgotten past this many. */
const CACHE_USERS = 10_000;
/** How long the push service has to answer a publish. */
const PUBLISH_TIMEOUT_MS = 30_000;

/** What the operator's /metrics and the logs see of this module. */
export interface PushCounters {
  published: number;
  /** Answered with a result. */
  accepted: number;
  /** Answered with an error of type wait: kept (§7.1 allows keeping a service after a transient error). */
  deferred: number;
  /** Registrations disabled after an error (§7.1). */
  disabled: number;
  timedOut: number;
}

function keyOf(jid: string, node: string): string {
  return `${jid}<${node}`;
}

/** Why a message calls for a push: 'call' for an XEP-0353 proposal, 'message' otherwise; undefined: no push. */
export function pushReason(stanza: Element): 'call' | 'message' | undefined {
  const type = stanza.attrs.type ?? 'normal';
  if (type !== 'chat' && type !== 'normal') return undefined;
  if (childNs(stanza, NS.JMI, 'propose')) return 'call';
  if (stanza.getChildText('body')) return 'message';
  if (childNs(stanza, NS.HINTS, 'store')) return 'message';
  return undefined;
}

/** A client that would not see a message now: gone, hibernating, unavailable or inactive. */
function away(session: ClientSession | undefined): boolean {
  return !session || session.hibernating === true || !session.available || isInactive(session);
}

export default defineModule<PushConfig>({
  name: 'push',
  config: {
    key: 'push',
    parse: (raw, c) => {
      const s = c.section('push', raw);
      c.only('push', s, ['includeBody', 'includeSender', 'importantBody', 'maxRegistrations']);
      if (s.importantBody !== undefined && typeof s.importantBody !== 'string') c.fail('push.importantBody', 'must be a string (empty for none)');
      return {
        includeBody: c.bool('push.includeBody', s.includeBody, false),
        includeSender: c.bool('push.includeSender', s.includeSender, true),
        importantBody: (s.importantBody as string | undefined) ?? 'New Message!',
        maxRegistrations: c.int('push.maxRegistrations', s.maxRegistrations, 5, 1, 100),
      };
    },
  },
  setup(m) {
    const { server, config } = m;
    const store = m.store<Registration>();
    const tracker = new IqTracker('push');
    const counters: PushCounters = { published: 0, accepted: 0, deferred: 0, disabled: 0, timedOut: 0 };
    pushCounters.set(server, counters);

    // §4.1 Example 5: the feature of the account, where Conversations looks for it.
    m.feature('account', NS.PUSH);

    // Registrations by user, read through to the store once: every message with a body asks.
    const cache = new Map<string, Map<string, Registration>>();
    const registrations = (user: string): Map<string, Registration> => {
      let regs = cache.get(user);
      if (!regs) {
        regs = new Map();
        for (const k of store.keys(user)) {
          const r = store.get(user, k);
          if (r) regs.set(k, r);
        }
        if (cache.size >= CACHE_USERS) cache.delete(cache.keys().next().value!);
        cache.set(user, regs);
      }
      return regs;
    };
    const save = (user: string, key: string, reg: Registration | undefined): void => {
      const regs = registrations(user);
      if (reg) regs.set(key, reg);
      else regs.delete(key);
      store.set(user, key, reg);
    };
    m.on('account-deleted', ({ user }) => void cache.delete(user));

    m.iq('set', 'bare', NS.PUSH, ({ from, to, origin, payload }) => {
      if (!origin || from.bare !== to.bare) throw new StanzaError('forbidden', 'push notifications are enabled by the account\u2019s own clients');
      // §5, §6: both elements MUST name the service.
      const jidAttr = payload.attrs.jid;
      if (!jidAttr) throw new StanzaError('bad-request', `<${payload.name}/> needs the push service's jid`);
      const service = Jid.tryParse(jidAttr);
      if (!service) throw new StanzaError('jid-malformed', `not a JID: ${jidAttr}`);
      const node: string | undefined = payload.attrs.node || undefined;
      const user = to.local;
      if (payload.name === 'enable') {
        // Notifications to the account itself would be publishes to its own PEP (mod_cloud_notify refuses it too).
        if (service.bare === to.bare) throw new StanzaError('bad-request', 'the push service cannot be the account itself');
        const options = publishOptions(payload);
        // §5: the same JID and node again replaces the earlier request, publish options and all.
        save(user, keyOf(service.full, node ?? ''), { jid: service.full, node: node ?? '', options, resource: from.resource, at: Date.now() });
        const all = [...registrations(user)].sort((a, b) => a[1].at - b[1].at);
        for (const [k] of all.slice(0, Math.max(0, all.length - config.maxRegistrations))) save(user, k, undefined);
        m.log.debug({ user, service: service.full, node }, 'push notifications enabled');
        return undefined;
      }
      if (payload.name === 'disable') {
        // §6: without a node, every node of that service.
        for (const [k, r] of [...registrations(user)]) if (r.jid === service.full && (node === undefined || r.node === node)) save(user, k, undefined);
        return undefined;
      }
      throw new StanzaError('bad-request', `<${payload.name}/> is neither enable nor disable`);
    }, { feature: null });

    const summary = (stanza: Element, reason: 'call' | 'message', count = 1): Element => {
      const fields: FieldSpec[] = [{ var: 'message-count', value: count }];
      if (config.includeSender && stanza.attrs.from) fields.push({ var: 'last-message-sender', type: 'jid-single', value: stanza.attrs.from });
      const body = stanza.getChildText('body') ?? '';
      const important = reason === 'call' || body !== '';
      const text = config.includeBody && body !== '' ? body : important ? config.importantBody : '';
      if (text) fields.push({ var: 'last-message-body', value: text });
      return buildForm({ type: 'submit', formType: NS.PUSH_SUMMARY, fields });
    };

    /** §7 Examples 12 and 13: a publish from the account's bare JID to the service's node. */
    const publish = (account: Jid, key: string, reg: Registration, payload: Element): void => {
      const iq = x(
        'iq',
        { type: 'set', from: account.bare, to: reg.jid },
        x(
          'pubsub',
          { xmlns: NS.PUSH_PUBSUB },
          x('publish', { node: reg.node || undefined }, x('item', null, x('notification', { xmlns: NS.PUSH }, payload))),
          reg.options ? x('publish-options', null, parseXml(reg.options)) : undefined,
        ),
      );
      counters.published++;
      tracker.request(iq, (s) => server.route(s), PUBLISH_TIMEOUT_MS).then(
        (reply) => {
          if (reply.attrs.type === 'result') return void counters.accepted++;
          const error = reply.getChild('error');
          const condition = error?.children.find((c): c is Element => typeof c !== 'string' && c.attrs.xmlns === NS.STANZAS_ERR)?.name;
          if (error?.attrs.type === 'wait') {
            counters.deferred++;
            return m.log.info({ user: account.local, service: reg.jid, condition }, 'push service asked to wait; the registration is kept');
          }
          // §7.1: the JID and node combination is disabled — unless the client enabled it again meanwhile.
          if (registrations(account.local).get(key)?.at === reg.at) save(account.local, key, undefined);
          counters.disabled++;
          m.log.info({ user: account.local, service: reg.jid, node: reg.node, condition }, 'push service refused a notification; registration disabled');
        },
        () => void counters.timedOut++,
      );
    };

    const incoming = ({ stanza, to }: StanzaEvent): void => {
      if (to.local === '' || !server.isLocal(to.domain)) return;
      const reason = pushReason(stanza);
      if (!reason) return;
      const regs = registrations(to.local);
      if (regs.size === 0) return;
      const account = to.toBare();
      let payload: Element | undefined;
      for (const [key, reg] of regs) {
        if (reason !== 'call' && !away(server.sessions.get(account.bare, reg.resource))) continue;
        payload ??= summary(stanza, reason);
        publish(account, key, reg, payload);
      }
    };
    // §8 Example 15: the service withdraws the account's publish affiliation; we stop publishing
    // to that node (MAY). `from` is the service itself: stamped or verified on its stream.
    m.on('message/bare', ({ stanza, from, to }) => {
      const pubsub = childNs(stanza, NS.PUSH_PUBSUB, 'pubsub');
      const affiliation = pubsub?.getChild('affiliation');
      if (!pubsub || !affiliation || affiliation.attrs.jid !== to.bare || affiliation.attrs.affiliation !== 'none') return;
      for (const [k, r] of [...registrations(to.local)]) {
        if (r.jid === from.full && r.node === (pubsub.attrs.node ?? '')) save(to.local, k, undefined);
      }
    });
    // After policy (a blocked sender's message is refused before this), before delivery.
    m.on('message/bare', incoming, PRIORITY.OBSERVE);
    m.on('message/full', incoming, PRIORITY.OBSERVE);

    // A connection that died unnoticed (no FIN, the idle ping unanswered) took messages the client
    // never acknowledged; once we notice and the session hibernates, they call for a push, one for
    // all of them (as mod_cloud_notify's smacks-hibernation-start): the last one is summarized, and
    // message-count says how many there are.
    m.on('session-hibernated', ({ session, unacked }) => {
      const jid = session.jid;
      if (!jid || unacked.length === 0) return;
      const regs = [...registrations(jid.local)].filter(([, r]) => r.resource === jid.resource);
      if (regs.length === 0) return;
      let last: Element | undefined;
      let reason: 'call' | 'message' | undefined;
      let count = 0;
      for (const xml of unacked) {
        const el = parseXml(xml);
        const why = el.name === 'message' ? pushReason(el) : undefined;
        if (!why) continue;
        count++;
        last = el;
        reason = reason === 'call' ? reason : why;
      }
      if (!last || !reason) return;
      const payload = summary(last, reason, count);
      for (const [key, reg] of regs) publish(jid.toBare(), key, reg, payload);
    });

    // The service's answers come to the account's bare JID, from which we published.
    m.on('iq/bare', ({ stanza }) => tracker.settle(stanza) || undefined, PRIORITY.NORMAL);
  },
});

/** The counters of each server's push module (for metrics and tests). */
export const pushCounters = new WeakMap<object, PushCounters>();

/**
 * §5 Example 9: the optional publish-options form, kept as the client sent it. It must be one
 * (FORM_TYPE http://jabber.org/protocol/pubsub#publish-options): it goes into every publish, where
 * XEP-0060 §7.1.5 reads it as such.
 */
function publishOptions(enable: Element): string | undefined {
  const form = childNs(enable, NS.DATA, 'x');
  if (!form) return undefined;
  const formType = (form.getChildren('field') as Element[]).find((f) => f.attrs.var === 'FORM_TYPE')?.getChildText('value');
  if (formType !== NS.PUSH_PUBLISH_OPTIONS) throw new StanzaError('bad-request', `publish options need FORM_TYPE ${NS.PUSH_PUBLISH_OPTIONS}`);
  return form.toString();
}
