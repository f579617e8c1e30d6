// The room's rebuilding of a participant's whole offer from its content-add (a shared screen).
import { strict as assert } from 'node:assert';
import type { JingleContent } from '../../component/calls/jingle.js';
import { isScreen, participantOffer } from '../../component/calls/participant-sources.js';

const c = (name: string, creator: 'initiator' | 'responder', senders: string, extra: Record<string, unknown> = {}): JingleContent => ({
  name, creator, senders,
  application: { applicationType: 'urn:xmpp:jingle:apps:rtp:1', media: 'video', ...extra },
  transport: { transportType: 'urn:xmpp:jingle:transports:ice-udp:1', usernameFragment: `old-${name}` },
} as unknown as JingleContent);

describe('call component: a participant adds a source (XEP-0166 §6.7 content-add)', () => {
  it('rebuilds the offer in the negotiated m-line order, refused m-lines inactive, the added one last, one transport', () => {
    const own = [c('0', 'initiator', 'both'), c('1', 'initiator', 'both')];
    const accepted = new Map([['2', c('2', 'responder', 'responder')]]);
    const room = [c('0', 'responder', 'initiator'), c('1', 'responder', 'initiator'), c('2', 'responder', 'responder'), c('3', 'responder', 'responder')];
    const added = [{ ...c('4', 'initiator', 'initiator'), transport: { transportType: 'urn:xmpp:jingle:transports:ice-udp:1', usernameFragment: 'now' } } as unknown as JingleContent];
    const offer = participantOffer({ mids: ['0', '1', '2', '3'], own, accepted, room, added });
    assert.deepEqual(offer.map((x) => [x.name, x.senders]), [['0', 'both'], ['1', 'both'], ['2', 'responder'], ['3', 'none'], ['4', 'initiator']]);
    assert.ok(offer.every((x) => (x.transport as { usernameFragment?: string }).usernameFragment === 'now'));
  });

  it('an m-line nobody described is an error, not a guess', () => {
    assert.throws(() => participantOffer({ mids: ['0', '9'], own: [c('0', 'initiator', 'both')], accepted: new Map(), room: [], added: [c('4', 'initiator', 'initiator')] }), /unknown/);
  });

  it('a screen is marked on its sources', () => {
    assert.equal(isScreen(c('4', 'initiator', 'initiator', { sources: [{ ssrc: '1', parameters: { content: 'slides' } }] })), true);
    assert.equal(isScreen(c('3', 'initiator', 'initiator', { sources: [{ ssrc: '1', parameters: { cname: 'x' } }] })), false);
  });
});
