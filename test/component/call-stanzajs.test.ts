// A participant built on StanzaJS's Jingle stack (what the web client uses), with content-add and
// content-remove added by a MediaSession subclass, in a call with a libwebrtc participant; and a
// vanilla StanzaJS MediaSession (which refuses content-add) in the same call does no harm.
import assert from 'node:assert/strict';
import { startCallHost, type CallHost } from './helpers/call-host.js';
import { User, xml } from './helpers/user.js';
import type { CallParticipant } from './helpers/call-participant.js';
import { StanzaParticipant } from './helpers/stanza-participant.js';
import { until } from '../support/until.js';
import { joinCall, joinRoom, receivesFrom } from './helpers/call-scenario.js';

describe('group call with a StanzaJS Jingle client', function () {
  this.timeout(60000);
  let host: CallHost;
  const users: Record<string, User> = {};
  let wrtcPart: CallParticipant | undefined;
  const stanzaParts: StanzaParticipant[] = [];
  const room = 'stanza@call.localhost';

  before(async () => {
    host = await startCallHost({ users: ['alice', 'bob', 'carol'] });
    Object.assign(users, host.users);
  });
  after(async () => {
    wrtcPart?.close();
    for (const p of stanzaParts) p.close();
    await host?.stop();
  });

  it('StanzaJS (trickling candidates) and libwebrtc participants receive each other, labels read from source parameters', async () => {
    await joinRoom(users.alice, room, 'Alice');
    await joinRoom(users.bob, room, 'Bob');
    const alice = new StanzaParticipant(users.alice, room);
    stanzaParts.push(alice);
    await alice.start();
    wrtcPart = await joinCall(users.bob, room, 2);
    await receivesFrom(wrtcPart, [`${room}/Alice`]);
    let counts = new Map<string, number>();
    await until(async () => {
      counts = await alice.packetsBySource();
      return (counts.get(`${room}/Bob audio`) ?? 0) > 20 && (counts.get(`${room}/Bob video`) ?? 0) > 20;
    }, () => `alice (StanzaJS) receiving Bob: ${JSON.stringify([...counts])} ${alice.errors.join(' ')}`);
  });

  it('a vanilla StanzaJS MediaSession refuses content-add; its own media still reaches the others and nothing loops', async () => {
    await joinRoom(users.carol, room, 'Carol');
    const carol = new StanzaParticipant(users.carol, room, { vanilla: true });
    stanzaParts.push(carol);
    let contentAdds = 0;
    const prev = users.carol.onStanza;
    users.carol.onStanza = (el) => { prev?.(el); if (el.getChild('jingle')?.attrs.action === 'content-add') contentAdds++; };
    // StanzaJS acknowledges a content-add and then sends content-reject; 'send' fires once it is written.
    const refused = new Promise<void>((resolve) => {
      users.carol.xmpp.on('send', (el: { getChild(n: string): { attrs: Record<string, string> } | undefined }) => {
        if (el.getChild('jingle')?.attrs.action === 'content-reject') resolve();
      });
    });
    await carol.start();
    await receivesFrom(wrtcPart!, [`${room}/Alice`, `${room}/Carol`]);
    await refused;
    // The component handles Carol's stanzas in order: this ping returns after it took the refusal in.
    const ping = await users.carol.iq('get', 'call.localhost', xml('ping', { xmlns: 'urn:xmpp:ping' }));
    assert.equal(ping.attrs.type, 'result');
    assert.ok(contentAdds >= 1 && contentAdds <= 2, `content-add offered ${contentAdds} times`);
  });
});
