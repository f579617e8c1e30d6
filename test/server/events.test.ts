// The server's event bus (server/core/events.ts): priorities, consumption, removal.
import assert from 'node:assert/strict';
import { EventBus, PRIORITY } from '../../server/core/events.js';
import { Jid } from '../../xmpp/jid.js';
import { x } from '../../xmpp/xml.js';

const event = () => ({ stanza: x('message', { to: 'juliet@capulet.com' }), from: Jid.parse('romeo@montague.net/orchard'), to: Jid.parse('juliet@capulet.com') });

describe('event bus', () => {
  it('runs handlers from the highest priority down, equal priorities in the order added', () => {
    const bus = new EventBus();
    const seen: string[] = [];
    bus.on('message/bare', () => void seen.push('default'), PRIORITY.DEFAULT);
    bus.on('message/bare', () => void seen.push('normal-1'));
    bus.on('message/bare', () => void seen.push('policy'), PRIORITY.POLICY);
    bus.on('message/bare', () => void seen.push('normal-2'));
    bus.on('message/bare', () => void seen.push('observe'), PRIORITY.OBSERVE);
    assert.equal(bus.fire('message/bare', event()), false);
    assert.deepEqual(seen, ['policy', 'normal-1', 'normal-2', 'observe', 'default']);
  });

  it('stops at the handler that returns true and reports the event consumed', () => {
    const bus = new EventBus();
    const seen: string[] = [];
    bus.on('pre-message/bare', () => void seen.push('after'), PRIORITY.DEFAULT);
    bus.on('pre-message/bare', () => (seen.push('policy'), true), PRIORITY.POLICY);
    assert.equal(bus.fire('pre-message/bare', event()), true);
    assert.deepEqual(seen, ['policy']);
  });

  it('keys events on their whole name, IQ namespaces included', () => {
    const bus = new EventBus();
    let blocking = 0;
    bus.on('iq-set/bare/urn:xmpp:blocking', () => (blocking++, true));
    assert.equal(bus.fire('iq-set/bare/urn:xmpp:mam:2', { ...event(), payload: x('query'), reply: () => {} }), false);
    assert.equal(bus.fire('iq-get/bare/urn:xmpp:blocking', { ...event(), payload: x('blocklist'), reply: () => {} }), false);
    assert.equal(bus.fire('iq-set/bare/urn:xmpp:blocking', { ...event(), payload: x('block'), reply: () => {} }), true);
    assert.equal(blocking, 1);
    assert.equal(bus.has('iq-set/bare/urn:xmpp:blocking'), true);
    assert.equal(bus.has('iq-set/host/urn:xmpp:blocking'), false);
  });

  it('removes a handler with the function on() returned', () => {
    const bus = new EventBus();
    let n = 0;
    const off = bus.on('session-closed', () => void n++);
    bus.fire('session-closed', { session: {} as never });
    off();
    bus.fire('session-closed', { session: {} as never });
    assert.equal(n, 1);
    assert.equal(bus.has('session-closed'), false);
  });
});
