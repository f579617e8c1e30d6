// completeAnswer: the participant's answer to a room re-offer, for every m-line of the session.
import assert from 'node:assert/strict';
import { completeAnswer } from '../../component/calls/answer.js';
import type { JingleContent } from '../../component/calls/jingle-sdp.js';

const rtp = (media: 'audio' | 'video') => ({ applicationType: 'urn:xmpp:jingle:apps:rtp:1', media, codecs: [] }) as unknown as JingleContent['application'];
const transport = (setup: string) => ({
  transportType: 'urn:xmpp:jingle:transports:ice-udp:1', usernameFragment: 'u', password: 'p',
  candidates: [{ component: 1, foundation: '1', ip: '127.0.0.1', port: 5000, priority: 1, protocol: 'udp', type: 'host' }],
  fingerprints: [{ algorithm: 'sha-256', value: 'AA', setup }],
}) as unknown as JingleContent['transport'];
const content = (name: string, creator: 'initiator' | 'responder', senders: JingleContent['senders'], media: 'audio' | 'video' = 'audio'): JingleContent =>
  ({ name, creator, senders, application: rtp(media), transport: transport('actpass') });

describe('completing the answer to a room re-offer', () => {
  const offered = [content('0', 'initiator', 'initiator'), content('1', 'initiator', 'initiator', 'video'),
    content('2', 'responder', 'responder'), content('3', 'responder', 'responder', 'video'), content('4', 'responder', 'responder')];
  const own = [content('0', 'initiator', 'both'), content('1', 'initiator', 'both', 'video')];
  const accepted = new Map([['2', content('2', 'responder', 'responder')], ['3', content('3', 'responder', 'responder', 'video')]]);
  const out = completeAnswer({ offered, own, accepted, transport: transport('actpass') });

  const table: Array<[string, string, JingleContent['senders'], string]> = [
    ['its own audio: it sends, the room receives', '0', 'initiator', 'initiator'],
    ['its own video', '1', 'initiator', 'initiator'],
    ['accepted forwarded audio: the room sends', '2', 'responder', 'responder'],
    ['accepted forwarded video', '3', 'responder', 'responder'],
    ['a content it never accepted is inactive', '4', 'none', 'responder'],
  ];
  for (const [what, name, senders, creator] of table) {
    it(what, () => {
      const c = out.find((k) => k.name === name)!;
      assert.equal(c.senders, senders);
      assert.equal(c.creator, creator);
    });
  }

  it('keeps the order of the offer', () => assert.deepEqual(out.map((c) => c.name), ['0', '1', '2', '3', '4']));

  it('answers with setup passive instead of actpass, and without candidates', () => {
    for (const c of out) {
      const t = c.transport as unknown as { candidates: unknown[]; fingerprints: Array<{ setup: string }> };
      assert.deepEqual(t.candidates, []);
      assert.equal(t.fingerprints[0].setup, 'passive');
    }
  });

  it('a receive-only participant content stays inactive towards the room', () => {
    const [c] = completeAnswer({ offered: [offered[0]], own: [content('0', 'initiator', 'responder')], accepted: new Map(), transport: transport('active') });
    assert.equal(c.senders, 'none');
    assert.equal((c.transport as unknown as { fingerprints: Array<{ setup: string }> }).fingerprints[0].setup, 'active');
  });
});
