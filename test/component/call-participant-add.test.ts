// A participant's own content-add (XEP-0166 §6.7) to the call component, refused where it must be:
// reusing a content name (conflict), without contents (bad-request), for an application that is
// not RTP (feature-not-implemented + unsupported-info), on an unknown session (item-not-found +
// unknown-session). The session goes on after each refusal. (An accepted one — a shared screen
// forwarded to the others — is held by test/e2e/call-ui.test.ts with two browsers.)
import assert from 'node:assert/strict';
import { startCallHost, type CallHost } from './helpers/call-host.js';
import { type User, xml } from './helpers/user.js';
import type { CallParticipant } from './helpers/call-participant.js';
import { joinCall, joinRoom, receivesFrom } from './helpers/call-scenario.js';
import { until } from '../support/until.js';

const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const JINGLE_ERRORS = 'urn:xmpp:jingle:errors:1';
const J = 'urn:xmpp:jingle:1';

describe('call component: content-add from a participant, refused where XEP-0166 says', function () {
  this.timeout(60000);
  let host: CallHost;
  let users: Record<string, User>;
  const parts: CallParticipant[] = [];
  const room = 'screens@call.localhost';

  before(async () => {
    host = await startCallHost({ users: ['alice', 'bob'] });
    users = host.users;
  });
  after(async () => {
    for (const p of parts) p.close();
    await host?.stop();
  });

  const conditions = (res: { attrs: Record<string, string>; getChild(n: string): { getChildElements(): Array<{ name: string; attrs: Record<string, string> }> } | undefined }) =>
    res.attrs.type === 'error'
      ? (res.getChild('error')?.getChildElements() ?? []).filter((c) => (c.attrs.xmlns === STANZAS && c.name !== 'text') || c.attrs.xmlns === JINGLE_ERRORS).map((c) => c.name).join(' ')
      : res.attrs.type;

  const video = (name: string, app = 'urn:xmpp:jingle:apps:rtp:1') => xml('content', { creator: 'initiator', name, senders: 'initiator' },
    xml('description', { xmlns: app, media: 'video' }, xml('payload-type', { id: '96', name: 'VP8', clockrate: '90000' })),
    xml('transport', { xmlns: 'urn:xmpp:jingle:transports:ice-udp:1', ufrag: 'u', pwd: 'p' }));

  it('refuses a bad content-add with the defined conditions and keeps the session', async () => {
    await joinRoom(users.alice, room, 'Alice');
    await joinRoom(users.bob, room, 'Bob');
    const alice = await joinCall(users.alice, room, 1);
    parts.push(alice);
    const bob = await joinCall(users.bob, room, 2);
    parts.push(bob);
    const before = await receivesFrom(alice, [`${room}/Bob`]);
    const own = alice.remote[0]!.name;
    const add = (...contents: ReturnType<typeof xml>[]) => users.alice.iq('set', room, xml('jingle', { xmlns: J, action: 'content-add', sid: alice.sid }, ...contents));
    assert.equal(conditions(await add(video(own))), 'conflict', 'a name already in the session');
    assert.equal(conditions(await add()), 'bad-request', 'no contents');
    assert.equal(conditions(await add(video('9', 'urn:xmpp:jingle:apps:file-transfer:5'))), 'feature-not-implemented unsupported-info', 'not RTP');
    const unknown = await users.alice.iq('set', room, xml('jingle', { xmlns: J, action: 'content-add', sid: 'nope' }, video('9')));
    assert.equal(conditions(unknown), 'item-not-found unknown-session');
    // nothing of it reached bob, and the call goes on both ways
    assert.equal(bob.events.filter((e) => e === 'session-terminate').length, 0);
    assert.equal(alice.terminated, undefined);
    const was = before.get(`${room}/Bob video`) ?? 0;
    await until(async () => ((await alice.packetsBySource()).get(`${room}/Bob video`) ?? 0) > was, 'alice still receiving bob');
    await receivesFrom(bob, [`${room}/Alice`]);
  });
});
