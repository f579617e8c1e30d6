// The call service scaled out (docs/scaling.md): two `carillon component` processes serve one call
// domain of a two-node ejabberd 23.01 cluster, which pins each room to one of them
// (`domain_balancing`, `bare_destination`). Users sign in to either node; a call in a room of each
// instance; one instance is killed: its rooms' calls stop and the room no longer answers, the
// other instance's calls go on and take newcomers; restarted, it serves its rooms again.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Element } from 'ltx';
import { startEjabberdCluster, type EjabberdCluster } from '../support/ejabberd-cluster.js';
import { ComponentProcess } from '../support/component-process.js';
import { freePortRange } from '../support/ports.js';
import { callLostText, type RoomProbe } from '../../client/src/rooms/group-call.js';
import { User, statusCodes, xml } from './helpers/user.js';
import { CallParticipant, WrtcPeer } from './helpers/call-participant.js';
import { StanzaParticipant } from './helpers/stanza-participant.js';
import { until } from '../support/until.js';

const DOMAIN = 'cluster.test';
const PING = 'urn:xmpp:ping';

/** Joins a room; resolves with the self-presence (status 110), which carries 201 if it created the room. */
async function enter(u: User, room: string, nick: string): Promise<Element> {
  const self = u.waitFor((el) => el.name === 'presence' && el.attrs.from === `${room}/${nick}` && statusCodes(el).includes('110'), 10_000, `join ${room} as ${nick}`);
  await u.send(xml('presence', { to: `${room}/${nick}` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
  return self;
}

async function startCall(u: User, room: string, seed: number): Promise<CallParticipant> {
  const p = new CallParticipant(u, room, new WrtcPeer(seed));
  const res = await p.start();
  assert.equal(res.attrs.type, 'result', `session-initiate refused: ${res.toString()}`);
  return p;
}

/**
 * Resolves once p has received at least `min` RTP packets of audio and of video from each owner.
 * The wait is long: on a loaded machine, setting up a call takes a while.
 */
async function receivesFrom(p: CallParticipant, owners: string[], min = 20): Promise<void> {
  let last = new Map<string, number>();
  await until(async () => {
    last = await p.packetsBySource();
    return owners.every((o) => (last.get(`${o} audio`) ?? 0) >= min && (last.get(`${o} video`) ?? 0) >= min);
  }, () => `${p.user.jid} receiving from ${owners.join(', ')}: ${JSON.stringify([...last])}; events: ${p.events.join(',')}`, 45_000);
}

/** A XEP-0199 ping to the room, as the web client sends it when the call's media stops. */
async function probe(u: User, room: string, ms: number): Promise<RoomProbe> {
  try {
    const res = await u.iq('get', room, xml('ping', { xmlns: PING }), ms);
    if (res.attrs.type === 'result') return { answered: true };
    return { answered: false, condition: (res.getChild('error')?.children.find((c) => typeof c !== 'string') as Element | undefined)?.name };
  } catch {
    return { answered: false }; // nothing came back in time
  }
}

/** Resolves when the peer connection's ICE state becomes one of `states`. */
function iceState(p: CallParticipant, states: string[], ms = 45_000): Promise<string> {
  const pc = (p.peer as WrtcPeer).pc;
  if (states.includes(pc.iceConnectionState)) return Promise.resolve(pc.iceConnectionState);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${p.user.jid}: ICE stayed ${pc.iceConnectionState}`)), ms);
    pc.addEventListener('iceconnectionstatechange', () => {
      if (states.includes(pc.iceConnectionState)) { clearTimeout(t); resolve(pc.iceConnectionState); }
    });
  });
}

describe('call service on a two-node ejabberd cluster, two component instances', function () {
  this.timeout(90_000);
  let cluster: EjabberdCluster;
  let dir: string;
  const inst: ComponentProcess[] = [];
  const users: Record<string, User> = {};
  const parts: CallParticipant[] = [];
  const stanzaParts: StanzaParticipant[] = [];
  const figures: Record<string, number> = {};
  // roomOf[i]: a room held by instance i
  const roomOf: string[] = [];
  // a persistent room of instance a
  let kept = '';

  before(async function () {
    this.timeout(120_000);
    const t0 = Date.now();
    cluster = await startEjabberdCluster({ domain: DOMAIN, components: 2 });
    figures.clusterStartMs = cluster.startedInMs;
    dir = mkdtempSync(join(tmpdir(), 'carillon-cluster-'));
    for (const [k, name] of ['a', 'b'].entries()) {
      inst.push(new ComponentProcess(name, join(dir, name), {
        service: `xmpp://127.0.0.1:${cluster.nodes[k]!.componentPort}`, domain: cluster.callDomain, secret: cluster.secret,
        dataDir: join(dir, name, 'data'), media: { bindAddress: '127.0.0.1', ...(await freePortRange(40)) },
      }));
    }
    // ejabberd gives the slots in the order the instances connect; which rooms land where is found
    // out below, so they start together. Meanwhile alice, carol and erin sign in to node 1, bob
    // and dave to node 2.
    const t1 = Date.now();
    // dave over WebSocket (ejabberd_http_ws), as a web client signs in; the others over TCP.
    const home: Record<string, 0 | 1> = { alice: 0, bob: 1, carol: 0, dave: 1, erin: 0 };
    await Promise.all([
      ...inst.map((i) => i.start()),
      ...Object.entries(home).map(async ([name, k]) => {
        await cluster.register(name, 'pw');
        const node = cluster.nodes[k];
        users[name] = await User.connect(name === 'dave' ? `ws://127.0.0.1:${node.httpPort}/xmpp-websocket` : node.c2sPort, DOMAIN, name, 'pw');
      }),
    ]);
    figures.instancesOnlineMs = Date.now() - t1;
    figures.setupMs = Date.now() - t0;
  });

  let failed = false;
  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true;
  });

  after(async () => {
    if (failed || process.env.CALL_DEBUG) {
      for (const i of inst) console.log(`instance ${i.name}:\n${i.lines.slice(-15).map((l) => JSON.stringify(l)).join('\n')}`);
      for (const k of [0, 1] as const) console.log(`node ${k + 1}:\n${cluster?.log(k).split('\n').filter((l) => /\[(error|warning)\]/.test(l)).slice(-10).join('\n')}`);
    }
    console.log(`      figures: ${JSON.stringify(figures)}`);
    for (const p of [...parts, ...stanzaParts]) p.close();
    for (const u of Object.values(users)) await u.stop();
    for (const i of inst) await i.kill();
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('pins every room to one instance, whichever node its users are on', async () => {
    const service = cluster.callDomain;
    // Room names are tried until each instance holds one, and instance a a second one (made
    // persistent below): where a name lands is ejabberd's hash.
    for (let n = 1; n <= 24 && !(roomOf[0] && roomOf[1] && kept); n++) {
      const room = `room${n}@${service}`;
      const self = await enter(users.alice!, room, 'Alice');
      assert.ok(statusCodes(self).includes('201'), `alice created ${room}`);
      // the instance that did not create it never answers: its wait stays pending
      const holder = await Promise.race(inst.map((i, k) => i.waitLog((l) => l.msg === 'room created' && l.room === room)
        .then(() => k, () => new Promise<number>(() => undefined))));
      if (!roomOf[holder]) roomOf[holder] = room;
      else if (holder === 0 && !kept) kept = room;
    }
    assert.ok(roomOf[0] && roomOf[1] && kept, `rooms on both instances: ${JSON.stringify([roomOf, kept])}`);
    // `kept` is persistent, with one message in its archive (instance a's dataDir)
    const form = xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
      xml('field', { var: 'FORM_TYPE' }, xml('value', {}, 'http://jabber.org/protocol/muc#roomconfig')),
      xml('field', { var: 'muc#roomconfig_persistentroom' }, xml('value', {}, '1')));
    const configured = await users.alice!.iq('set', kept, xml('query', { xmlns: 'http://jabber.org/protocol/muc#owner' }, form));
    assert.equal(configured.attrs.type, 'result', configured.toString());
    const echo = users.alice!.waitFor((el) => el.name === 'message' && el.attrs.from === `${kept}/Alice` && el.getChildText('body') === 'kept', 10_000, 'own groupchat');
    await users.alice!.send(xml('message', { to: kept, type: 'groupchat' }, xml('body', {}, 'kept')));
    await echo;
    // bob, on node 2, enters the rooms alice created through node 1: they exist (no 201), and
    // no instance created a second one
    for (const room of roomOf) {
      const self = await enter(users.bob!, room, 'Bob');
      assert.ok(!statusCodes(self).includes('201'), `${room} already existed for bob`);
      assert.equal(inst.filter((i) => i.holds(room)).length, 1, `${room} is held by one instance`);
    }
    // disco#items of the service itself comes from one instance (its domain is a bare
    // destination too): public rooms of that instance only (docs/scaling.md)
    const items = await users.dave!.iq('get', service, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' }));
    const listed = items.getChild('query')!.getChildren('item').map((i) => i.attrs.jid as string);
    assert.ok(listed.length > 0, items.toString());
    assert.ok(inst.some((i) => listed.every((r) => i.holds(r))), `one instance's rooms: ${listed.join(' ')}`);
    assert.ok(!roomOf.every((r) => listed.includes(r)), 'the rooms of the other instance are not listed');
  });

  it('a call in each instance\'s room: everyone receives everyone', async () => {
    const [roomA, roomB] = roomOf as [string, string];
    await enter(users.carol!, roomB, 'Carol');
    await enter(users.dave!, roomB, 'Dave');
    const t0 = Date.now();
    const calls = await Promise.all([
      startCall(users.alice!, roomA, 1), startCall(users.bob!, roomA, 2),
      startCall(users.carol!, roomB, 3), startCall(users.dave!, roomB, 4),
    ]);
    parts.push(...calls);
    const [alice, bob, carol, dave] = calls as [CallParticipant, CallParticipant, CallParticipant, CallParticipant];
    await Promise.all([
      receivesFrom(alice, [`${roomA}/Bob`]), receivesFrom(bob, [`${roomA}/Alice`]),
      receivesFrom(carol, [`${roomB}/Dave`]), receivesFrom(dave, [`${roomB}/Carol`]),
    ]);
    figures.fourCallsMediaMs = Date.now() - t0;
  });

  it('an instance that dies ends only its own rooms\' calls; the other\'s go on and take newcomers', async () => {
    const [roomA, roomB] = roomOf as [string, string];
    const [alice, bob, carol, dave] = parts as [CallParticipant, CallParticipant, CallParticipant, CallParticipant];
    const before = await carol.packetsBySource();
    const tKill = Date.now();
    await inst[0]!.kill('SIGKILL');
    // The dead instance's participants: media stops (ICE), and the room does not answer a ping.
    const lost = Promise.all([alice, bob].map(async (p) => {
      const state = await iceState(p, ['disconnected', 'failed']);
      figures[`ice ${state} after kill, ${p.user.jid.split('@')[0]}`] = Date.now() - tKill;
      const answer = await probe(p.user, roomA, 5000);
      assert.deepEqual(answer, { answered: false }, `${roomA} answered after its instance died`);
      assert.equal(p.terminated, undefined, 'nobody sent session-terminate');
      assert.equal(callLostText(answer), 'The call ended: the room\'s call service stopped answering.');
    })).then(() => undefined, (e: unknown) => e); // awaited below, after the other room's checks
    // The other instance's call: media keeps flowing, and erin (node 1) joins it with StanzaJS's
    // Jingle stack, as a web client would.
    const min = Math.max(before.get(`${roomB}/Dave audio`) ?? 0, before.get(`${roomB}/Dave video`) ?? 0) + 50;
    await receivesFrom(carol, [`${roomB}/Dave`], min);
    assert.deepEqual(await probe(users.dave!, roomB, 5000), { answered: true });
    await enter(users.erin!, roomB, 'Erin');
    const erin = new StanzaParticipant(users.erin!, roomB);
    stanzaParts.push(erin);
    await erin.start();
    let counts = new Map<string, number>();
    await Promise.all([
      until(async () => {
        counts = await erin.packetsBySource();
        return [`${roomB}/Carol`, `${roomB}/Dave`].every((o) => (counts.get(`${o} audio`) ?? 0) >= 20 && (counts.get(`${o} video`) ?? 0) >= 20);
      }, () => `erin receiving from Carol and Dave: ${JSON.stringify([...counts])}; ${erin.errors.join(' ')}`, 45_000),
      receivesFrom(carol, [`${roomB}/Erin`]), receivesFrom(dave, [`${roomB}/Erin`]),
    ]);
    const failure = await lost;
    if (failure) throw failure;
  });

  it('a restarted instance takes the free slot: its rooms answer again and new calls work', async () => {
    const [roomA] = roomOf as [string];
    for (const p of parts.splice(0, 2)) p.close(); // alice's and bob's ended calls
    const tStart = Date.now();
    await inst[0]!.start();
    const online = Date.now();
    figures.restartOnlineMs = online - tStart;
    // The slot is the instance's once ejabberd routes to it; the room, temporary, did not survive.
    let answer: RoomProbe = { answered: false };
    for (let i = 0; i < 10 && !answer.answered && !answer.condition; i++) answer = await probe(users.alice!, roomA, 2000);
    figures.slotTakenAfterOnlineMs = Date.now() - online;
    assert.deepEqual(answer, { answered: false, condition: 'item-not-found' });
    assert.equal(callLostText(answer), 'The call ended: the room\'s call service restarted and no longer has this room.');
    assert.ok(statusCodes(await enter(users.alice!, roomA, 'Alice')).includes('201'), 'alice made the room anew');
    await enter(users.bob!, roomA, 'Bob');
    assert.ok(inst[0]!.holds(roomA), 'the restarted instance holds the room');
    // the persistent room came back from the instance's dataDir, with its archive: bob's join
    // brings the message as history (XEP-0045 §7.2.15)
    const history = users.bob!.waitFor((el) => el.name === 'message' && el.attrs.from === `${kept}/Alice` && el.getChildText('body') === 'kept'
      && !!el.getChild('delay', 'urn:xmpp:delay'), 10_000, 'history of the persistent room');
    const self = await enter(users.bob!, kept, 'Bob');
    assert.ok(!statusCodes(self).includes('201'), `${kept} was there`);
    await history;
    const t0 = Date.now();
    const [alice, bob] = await Promise.all([startCall(users.alice!, roomA, 6), startCall(users.bob!, roomA, 7)]);
    parts.push(alice, bob);
    await Promise.all([receivesFrom(alice, [`${roomA}/Bob`]), receivesFrom(bob, [`${roomA}/Alice`])]);
    figures.callAfterRestartMediaMs = Date.now() - t0;
  });
});
