// Interop of the web client's calls with the XML other XMPP clients send and expect: a peer in
// Node (@xmpp/client, an independent XMPP stack) speaks XEP-0353 and Jingle exactly as
// Conversations does, and the browser client (Debian chromium) must ring, answer and hang up.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client as xmppClient, xml, type XmppClient } from '@xmpp/client';
import * as ltx from 'ltx';
import { WebSocket } from 'ws';
import type { Browser, Page } from 'playwright-core';
import { createClient, JXT } from 'stanza';
import type { IQ, Jingle } from 'stanza/protocol/index.js';
import { startCarillon, type Carillon } from '../../server/index.js';
import { candidateToSdp, jingleToSdp, sdpToJingle, transportCandidates, useJingleWire } from '../../xmpp/jingle-sdp/index.js';
import { launchChromium } from './support/chromium.js';
import { until, untilValue } from '../support/until.js';

(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

type El = ltx.Element;
const NS_JMI = 'urn:xmpp:jingle-message:0';
const NS_JINGLE = 'urn:xmpp:jingle:1';
const NS_RTP = 'urn:xmpp:jingle:apps:rtp:1';
const NS_ICE = 'urn:xmpp:jingle:transports:ice-udp:1';
const NS_DTLS = 'urn:xmpp:jingle:apps:dtls:0';
const NS_SSMA = 'urn:xmpp:jingle:apps:rtp:ssma:0';

function waitFor(c: XmppClient, what: string, pred: (el: El) => boolean, ms = 10_000): Promise<El> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { c.off('stanza', on); reject(new Error(`timed out waiting for ${what}`)); }, ms);
    const on = (el: El) => {
      if (!pred(el)) return;
      clearTimeout(t);
      c.off('stanza', on);
      resolve(el);
    };
    c.on('stanza', on);
  });
}

const jmi = (el: El, action: string) => el.is('message') && !!el.getChild(action, NS_JMI);
const jingleAction = (el: El, action: string) => el.is('iq') && el.attrs.type === 'set' && el.getChild('jingle', NS_JINGLE)?.attrs.action === action;

// StanzaJS's Jingle definitions, to read the browser's Jingle and write the peer's (as XML)
const stanzas = createClient({}).stanzas;
useJingleWire(stanzas);
function jingleOf(el: El): Jingle {
  const copy = ltx.parse(el.toString()) as El;
  copy.attrs.xmlns = 'jabber:client';
  return (stanzas.import(JXT.parse(copy.toString())) as IQ & { jingle: Jingle }).jingle;
}
function jingleIq(to: string, jingle: Jingle): El {
  return ltx.parse(stanzas.export('iq', { type: 'set', to, jingle } as IQ)!.toString()) as El;
}

/**
 * A native client's media stack that does not BUNDLE, as Dino 0.4 (libnice, one ICE agent per
 * content): a plain RTCPeerConnection in its own page answers the browser's offer with the
 * BUNDLE group taken out, so its answer has one transport per m-line and no a=group.
 */
async function unbundledAnswer(native: Page, offer: string): Promise<string> {
  return native.evaluate(async (sdp) => {
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-compat', rtcpMuxPolicy: 'require' });
    (globalThis as { pc?: RTCPeerConnection }).pc = pc;
    const media = await navigator.mediaDevices.getUserMedia({ audio: true, video: /\r\nm=video /.test(sdp) });
    await pc.setRemoteDescription({ type: 'offer', sdp });
    for (const t of pc.getTransceivers()) {
      const track = media.getTracks().find((k) => k.kind === t.receiver.track.kind);
      if (!track) continue;
      await t.sender.replaceTrack(track);
      t.sender.setStreams(media);
      t.direction = 'sendrecv';
    }
    await pc.setLocalDescription(await pc.createAnswer());
    if (pc.iceGatheringState !== 'complete') {
      await new Promise<void>((resolve) => pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') resolve(); }));
    }
    return pc.localDescription!.sdp;
  }, offer);
}

async function inboundBytes(page: Page, kind: 'audio' | 'video', native: boolean): Promise<number> {
  return page.evaluate(async ([k, n]) => {
    const g = globalThis as unknown as { pc?: RTCPeerConnection; carillon: { calls?: { stats(): Promise<RTCStatsReport | undefined> } } };
    const stats = n ? await g.pc?.getStats() : await g.carillon.calls?.stats();
    let bytes = 0;
    stats?.forEach((r: { type: string; kind?: string; bytesReceived?: number }) => { if (r.type === 'inbound-rtp' && r.kind === k) bytes += r.bytesReceived ?? 0; });
    return bytes;
  }, [kind, native] as const);
}

/** Answers Jingle IQ sets from the browser, as every Jingle client must (XEP-0166 §6.3.1). */
function ackJingle(c: XmppClient): void {
  c.on('stanza', (el: El) => {
    if (el.is('iq') && el.attrs.type === 'set' && el.getChild('jingle', NS_JINGLE)) {
      void c.send(xml('iq', { type: 'result', id: el.attrs.id, to: el.attrs.from }));
    }
  });
}

describe('interop with other XMPP clients (chromium ↔ @xmpp/client)', function () {
  this.timeout(60_000);
  let srv: Carillon;
  let dataDir: string;
  let browser: Browser;
  let page: Page;
  let romeo: XmppClient;
  let romeoJid: string;
  let aliceFull: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'carillon-interop-'));
    srv = await startCarillon({ domain: 'localhost', dataDir, http: { port: 0 }, https: { port: null }, c2s: { port: null }, s2s: { port: null }, components: { port: null } });
    await srv.users.add('alice@localhost', 'alice-pass');
    await srv.users.add('romeo@localhost', 'romeo-pass');
    romeo = xmppClient({ service: `ws://127.0.0.1:${srv.ports.http}/xmpp-websocket`, domain: 'localhost', username: 'romeo', password: 'romeo-pass', resource: 'Conversations.Ab3d' });
    romeo.on('error', () => undefined);
    romeo.reconnect.stop();
    await romeo.start();
    romeoJid = romeo.jid!.toString();
    await romeo.send(xml('presence'));
    ackJingle(romeo);

    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 900, height: 700 } })).newPage();
    await page.goto(`http://127.0.0.1:${srv.ports.http}/`);
    await page.getByLabel('Address').fill('alice@localhost');
    await page.getByLabel('Password').fill('alice-pass');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('region', { name: 'Contacts' }).waitFor();
    // romeo learns alice's full JID from her presence, as Conversations would from a shared roster
    await romeo.send(xml('presence', { to: 'alice@localhost', type: 'subscribe' }));
    const presence = waitFor(romeo, 'alice\'s presence', (el) => el.is('presence') && !el.attrs.type && el.attrs.from?.startsWith('alice@localhost/'));
    await page.getByRole('button', { name: 'Accept romeo@localhost' }).click();
    const pres = await presence;
    aliceFull = pres.attrs.from;
    const caps = pres.getChild('c', 'http://jabber.org/protocol/caps');
    assert.ok(caps?.attrs.ver, 'presence carries XEP-0115 caps');
  });

  after(async () => {
    await browser?.close();
    await romeo?.stop().catch(() => undefined);
    await srv?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('advertises what Conversations looks for before offering a call (disco#info)', async () => {
    const res = await romeo.iqCaller.request(xml('iq', { type: 'get', to: aliceFull }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    const features = res.getChild('query')!.getChildren('feature').map((f: El) => f.attrs.var);
    for (const f of [NS_JMI, NS_JINGLE, NS_RTP, 'urn:xmpp:jingle:apps:rtp:audio', 'urn:xmpp:jingle:apps:rtp:video', NS_ICE, NS_DTLS]) {
      assert.ok(features.includes(f), `disco#info lists ${f}`);
    }
  });

  it('rings for a Conversations propose, answers with proceed, accepts its session-initiate', async () => {
    const sid = 'Qb9vVbS3yFH7hcJ2tC5YgA';
    const ringing = waitFor(romeo, 'ringing', (el) => jmi(el, 'ringing'));
    await romeo.send(ltx.parse(`<message xmlns='jabber:client' to='alice@localhost' type='chat' id='p1'>
      <propose xmlns='${NS_JMI}' id='${sid}'><description xmlns='${NS_RTP}' media='audio'/><description xmlns='${NS_RTP}' media='video'/></propose>
      <store xmlns='urn:xmpp:hints'/></message>`) as El);
    const r = await ringing;
    assert.equal(r.attrs.from, aliceFull);
    assert.equal(r.getChild('ringing', NS_JMI)!.attrs.id, sid);

    const dialog = page.getByRole('dialog', { name: 'Incoming call' });
    await dialog.getByText('Incoming video call').waitFor();
    const proceed = waitFor(romeo, 'proceed', (el) => jmi(el, 'proceed'));
    // the incoming-call dialog takes the focus: Enter answers, no mouse needed
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Accept');
    await page.keyboard.press('Enter');
    const p = await proceed;
    assert.equal(p.attrs.to, romeoJid, 'proceed goes to the device that proposed (full JID), as Conversations and Dino expect');
    assert.equal(p.attrs.type, 'chat');
    assert.equal(p.getChild('proceed', NS_JMI)!.attrs.id, sid);
    assert.ok(p.getChild('store', 'urn:xmpp:hints'), 'JMI messages carry the store hint');

    // Conversations then sends its session-initiate to the device that proceeded.
    const fixture = readFileSync(new URL('../xmpp/jingle-sdp/conversations-style-video.xml', import.meta.url), 'utf8')
      .replace(/<!--[\s\S]*?-->/, '')
      .replaceAll('romeo@montague.lit/Conversations.Ab3d', romeoJid);
    const accept = waitFor(romeo, 'session-accept', (el) => jingleAction(el, 'session-accept'));
    const ack = await romeo.iqCaller.request(xml('iq', { type: 'set', to: aliceFull }, ltx.parse(fixture.trim()) as El));
    assert.equal(ack.attrs.type, 'result', 'session-initiate acknowledged');

    const sa = (await accept).getChild('jingle', NS_JINGLE)!;
    assert.equal(sa.attrs.sid, sid);
    assert.equal(sa.attrs.responder, aliceFull, 'XEP-0166 §7.1 responder');
    assert.doesNotMatch(sa.toString(), /xmlns:[a-z]+=|<[a-z]+:[a-z-]+/, 'no namespace prefixes');
    const contents = sa.getChildren('content');
    assert.deepEqual(contents.map((c: El) => c.attrs.name), ['0', '1']);
    for (const c of contents) {
      const desc = c.getChild('description', NS_RTP)!;
      const t = c.getChild('transport', NS_ICE)!;
      assert.ok(t.attrs.ufrag && t.attrs.pwd, 'ICE credentials');
      const fp = t.getChild('fingerprint', NS_DTLS)!;
      assert.equal(fp.attrs.hash, 'sha-256');
      assert.equal(fp.attrs.setup, 'active', 'the answerer takes the DTLS client role (RFC 5763)');
      assert.ok(desc.getChild('rtcp-mux'), 'rtcp-mux');
      const names = desc.getChildren('payload-type').map((pt: El) => pt.attrs.name);
      assert.ok(names.includes(desc.attrs.media === 'audio' ? 'opus' : 'VP8'), names.join());
      assert.ok(desc.getChildren('source', NS_SSMA).length >= 1, 'XEP-0339 sources');
    }
    await page.getByText('Connecting…').waitFor();

    // a second call while this one goes on is refused as busy
    const busy = waitFor(romeo, 'reject', (el) => jmi(el, 'reject'));
    await romeo.send(xml('message', { to: 'alice@localhost', type: 'chat' },
      xml('propose', { xmlns: NS_JMI, id: 'second-call' }, xml('description', { xmlns: NS_RTP, media: 'audio' })), xml('store', { xmlns: 'urn:xmpp:hints' })));
    const rej = (await busy).getChild('reject', NS_JMI)!;
    assert.equal(rej.attrs.id, 'second-call');
    assert.ok(rej.getChild('reason', NS_JINGLE)?.getChild('busy'), 'reason <busy/>');

    // Conversations hangs up: session-terminate; the browser shows the end and sends finish.
    const finish = waitFor(romeo, 'finish', (el) => jmi(el, 'finish'));
    await romeo.iqCaller.request(xml('iq', { type: 'set', to: aliceFull },
      xml('jingle', { xmlns: NS_JINGLE, action: 'session-terminate', sid }, xml('reason', {}, xml('success')))));
    await page.getByRole('status').filter({ hasText: 'Call ended' }).waitFor();
    const f = await finish;
    assert.equal(f.getChild('finish', NS_JMI)!.attrs.id, sid);
    assert.ok(f.getChild('finish', NS_JMI)!.getChild('reason', NS_JINGLE)?.getChild('success'));
    await page.getByRole('button', { name: 'Close' }).click();
  });

  it('denies a contact request: the requester is told (RFC 6121 §3.2)', async () => {
    await srv.users.add('mallory@localhost', 'mallory-pass');
    const mallory = xmppClient({ service: `ws://127.0.0.1:${srv.ports.http}/xmpp-websocket`, domain: 'localhost', username: 'mallory', password: 'mallory-pass' });
    mallory.on('error', () => undefined);
    mallory.reconnect.stop();
    await mallory.start();
    await mallory.send(xml('presence')); // an available resource: subscription answers go to those (RFC 6121 §3.2.3)
    try {
      const answer = waitFor(mallory, 'unsubscribed', (el) => el.is('presence') && el.attrs.type === 'unsubscribed');
      await mallory.send(xml('presence', { to: 'alice@localhost', type: 'subscribe' }));
      await page.getByRole('button', { name: 'Deny mallory@localhost' }).click();
      assert.equal((await answer).attrs.from, 'alice@localhost');
      await page.getByRole('list', { name: 'Contact requests' }).waitFor({ state: 'detached' });
    } finally {
      await mallory.stop().catch(() => undefined);
    }
  });

  it('answers a caller who does not see our presence with directed presence (XEP-0353 §3.3)', async () => {
    await srv.users.add('tybalt@localhost', 'tybalt-pass');
    const tybalt = xmppClient({ service: `ws://127.0.0.1:${srv.ports.http}/xmpp-websocket`, domain: 'localhost', username: 'tybalt', password: 'tybalt-pass' });
    tybalt.on('error', () => undefined);
    tybalt.reconnect.stop();
    await tybalt.start();
    await tybalt.send(xml('presence'));
    try {
      await tybalt.send(xml('message', { to: 'alice@localhost', type: 'chat' },
        xml('propose', { xmlns: NS_JMI, id: 'from-a-stranger' }, xml('description', { xmlns: NS_RTP, media: 'audio' })), xml('store', { xmlns: 'urn:xmpp:hints' })));
      const presence = waitFor(tybalt, 'directed presence', (el) => el.is('presence') && !el.attrs.type && el.attrs.from === aliceFull);
      const proceed = waitFor(tybalt, 'proceed', (el) => jmi(el, 'proceed'));
      await page.getByRole('dialog', { name: 'Incoming call' }).getByRole('button', { name: 'Accept' }).click();
      const p = await presence;
      assert.ok(p.getChild('c', 'http://jabber.org/protocol/caps'), 'with caps');
      await proceed;
      // the caller gives up before starting the session
      await tybalt.send(xml('message', { to: aliceFull, type: 'chat' },
        xml('finish', { xmlns: NS_JMI, id: 'from-a-stranger' }, xml('reason', { xmlns: NS_JINGLE }, xml('cancel'))), xml('store', { xmlns: 'urn:xmpp:hints' })));
      await page.getByRole('status').filter({ hasText: 'Call ended' }).waitFor();
      await page.getByRole('button', { name: 'Close' }).click();
    } finally {
      await tybalt.stop().catch(() => undefined);
    }
  });

  it('does not ring for a proposal that waited in offline storage, and lists it as missed', async () => {
    const stamp = new Date(Date.now() - 10 * 60_000).toISOString();
    let rang = false;
    const onRinging = (el: El) => { if (jmi(el, 'ringing')) rang = true; };
    romeo.on('stanza', onRinging);
    await romeo.send(ltx.parse(`<message xmlns='jabber:client' to='alice@localhost' type='chat'>
      <propose xmlns='${NS_JMI}' id='old-call'><description xmlns='${NS_RTP}' media='video'/></propose>
      <store xmlns='urn:xmpp:hints'/><delay xmlns='urn:xmpp:delay' from='localhost' stamp='${stamp}'/></message>`) as El);
    await page.getByRole('button', { name: /^romeo, .*1 unread/ }).waitFor();
    romeo.off('stanza', onRinging);
    assert.equal(rang, false, 'no ringing for a stale proposal');
    assert.equal(await page.getByRole('dialog', { name: 'Incoming call' }).count(), 0);
    await page.getByRole('button', { name: /^romeo, / }).click();
    await page.getByRole('log', { name: 'Messages' }).getByText('Missed video call').waitFor();
  });

  it('calls a Conversations peer: propose to the bare JID, then a session-initiate it can read', async () => {
    await page.getByRole('button', { name: /^romeo, / }).click();
    const propose = waitFor(romeo, 'propose', (el) => jmi(el, 'propose'));
    await page.getByRole('button', { name: 'Video call' }).click();
    const pr = await propose;
    const p = pr.getChild('propose', NS_JMI)!;
    assert.equal(pr.attrs.type, 'chat');
    assert.ok(pr.getChild('store', 'urn:xmpp:hints'));
    assert.deepEqual(p.getChildren('description', NS_RTP).map((d: El) => d.attrs.media), ['audio', 'video']);
    const sid = p.attrs.id;

    await romeo.send(xml('message', { to: pr.attrs.from, type: 'chat' }, xml('ringing', { xmlns: NS_JMI, id: sid }), xml('store', { xmlns: 'urn:xmpp:hints' })));
    await page.getByText('Ringing…').waitFor();
    const initiate = waitFor(romeo, 'session-initiate', (el) => jingleAction(el, 'session-initiate'));
    await romeo.send(xml('message', { to: 'alice@localhost', type: 'chat' }, xml('proceed', { xmlns: NS_JMI, id: sid }), xml('store', { xmlns: 'urn:xmpp:hints' })));
    const si = await initiate;
    assert.equal(si.attrs.from, pr.attrs.from, 'the session comes from the device that proposed');
    const j = si.getChild('jingle', NS_JINGLE)!;
    assert.equal(j.attrs.sid, sid, 'the Jingle sid is the JMI id');
    assert.equal(j.attrs.initiator, pr.attrs.from, 'XEP-0166 §7.1 initiator');
    assert.doesNotMatch(j.toString(), /<parameter name="[^"]*"\/>/, 'every codec parameter has a value (Conversations requires it)');
    assert.doesNotMatch(j.toString(), /xmlns:[a-z]+=|<[a-z]+:[a-z-]+/, 'no namespace prefixes');
    assert.deepEqual(j.getChild('group', 'urn:xmpp:jingle:apps:grouping:0')?.getChildren('content').map((c: El) => c.attrs.name), ['0', '1']);
    const video = j.getChildren('content').map((c: El) => c.getChild('description', NS_RTP)!).find((d: El) => d.attrs.media === 'video')!;
    const fid = video.getChildren('ssrc-group', NS_SSMA).find((g: El) => g.attrs.semantics === 'FID')!;
    const groupSsrcs = fid.getChildren('source').map((s: El) => s.attrs.ssrc);
    const sources = video.getChildren('source', NS_SSMA).map((s: El) => s.attrs.ssrc);
    assert.equal(sources[0], groupSsrcs[0], 'the primary SSRC is the first source');
    for (const s of groupSsrcs) assert.ok(sources.includes(s), `SSRC ${s} of the FID group is declared as a source`);
    assert.ok(video.getChildren('payload-type').some((pt: El) => pt.getChild('rtcp-fb', 'urn:xmpp:jingle:apps:rtp:rtcp-fb:0')), 'rtcp-fb (XEP-0293)');
    assert.ok(video.getChild('rtp-hdrext', 'urn:xmpp:jingle:apps:rtp:rtp-hdrext:0'), 'header extensions (XEP-0294)');
    for (const c of j.getChildren('content')) {
      assert.equal(c.getChild('transport', NS_ICE)?.getChild('fingerprint', NS_DTLS)?.attrs.setup, 'actpass');
    }

    // Conversations declines the session: the browser ends the call on its side too
    await romeo.iqCaller.request(xml('iq', { type: 'set', to: si.attrs.from },
      xml('jingle', { xmlns: NS_JINGLE, action: 'session-terminate', sid }, xml('reason', {}, xml('decline')))));
    await page.getByRole('status').filter({ hasText: 'Call declined' }).waitFor();
    await page.getByRole('button', { name: 'Close' }).click();
  });

  for (const media of ['audio', 'video'] as const) {
    it(`calls a peer that does not BUNDLE (Dino 0.4): its ${media} answer with one transport per content connects${media === 'audio' ? ', and the call ends when its media stops' : ''}`, async () => {
      const native = await browser.newPage();
      await native.goto(`http://127.0.0.1:${srv.ports.http}/native-peer`); // a secure context, for getUserMedia
      const sessionIqs: El[] = [];
      const onIq = (el: El) => { if (el.is('iq') && el.attrs.type === 'set' && el.getChild('jingle', NS_JINGLE)) sessionIqs.push(el); };
      romeo.on('stanza', onIq);
      try {
        await page.getByRole('button', { name: /^romeo, / }).click();
        const propose = waitFor(romeo, 'propose', (el) => jmi(el, 'propose'));
        await page.getByRole('button', { name: media === 'video' ? 'Video call' : 'Audio call' }).click();
        const pr = await propose;
        const sid = pr.getChild('propose', NS_JMI)!.attrs.id as string;
        const initiate = waitFor(romeo, 'session-initiate', (el) => jingleAction(el, 'session-initiate'));
        // Dino answers a propose with proceed to the proposing resource
        await romeo.send(xml('message', { to: pr.attrs.from, type: 'chat' }, xml('proceed', { xmlns: NS_JMI, id: sid }), xml('store', { xmlns: 'urn:xmpp:hints' })));
        const si = jingleOf(await initiate);
        assert.ok(si.groups?.some((g) => g.semantics === 'BUNDLE'), 'the browser offers BUNDLE (RFC 8843)');
        const offer = jingleToSdp(si, 'initiator').replace(/a=group:BUNDLE[^\r]*\r\n/, '');
        const answer = await unbundledAnswer(native, offer);
        assert.doesNotMatch(answer, /a=group:BUNDLE/);

        // the browser's trickled candidates, before and after the answer (XEP-0176 transport-info)
        let fed = 0;
        const feed = async () => {
          const infos = sessionIqs.filter((el) => el.getChild('jingle', NS_JINGLE)!.attrs.action === 'transport-info');
          for (const el of infos.slice(fed)) {
            for (const c of jingleOf(el).contents ?? []) {
              for (const cand of transportCandidates(c)) {
                await native.evaluate(([mid, candidate]) => (globalThis as unknown as { pc: RTCPeerConnection }).pc.addIceCandidate({ sdpMid: mid, candidate }), [c.name, candidateToSdp(cand)] as const);
              }
            }
          }
          fed = infos.length;
        };
        await feed();

        // Dino's session-accept: no <group/>, and RTCP (component 2) candidates next to <rtcp-mux/>
        const { contents } = sdpToJingle(answer, 'responder');
        for (const c of contents) {
          const t = c.transport as { candidates?: Array<{ component: number; foundation: string; port: number; priority: number; id?: string }> };
          t.candidates = (t.candidates ?? []).flatMap((k) => [k, { ...k, component: 2, port: k.port + 1, priority: k.priority - 1, id: `${k.id ?? k.foundation}-rtcp` }]);
        }
        const accept = jingleIq(pr.attrs.from as string, { action: 'session-accept', sid, responder: romeoJid, contents } as Jingle);
        assert.equal(accept.getChild('jingle', NS_JINGLE)!.getChild('group', 'urn:xmpp:jingle:apps:grouping:0'), undefined);
        const ack = await romeo.iqCaller.request(accept);
        assert.equal(ack.attrs.type, 'result', 'the browser takes the answer without BUNDLE');

        await page.getByRole('timer', { name: 'Call duration' }).waitFor();
        await until(async () => { await feed(); return (await inboundBytes(native, 'audio', true)) > 0; }, 'audio at the native peer');
        const kinds = media === 'video' ? ['audio', 'video'] as const : ['audio'] as const;
        for (const k of kinds) {
          const first = await untilValue(() => inboundBytes(page, k, false), (b) => b > 0, `${k} at the browser`);
          await untilValue(() => inboundBytes(page, k, false), (b) => b > first, `${k} to keep flowing to the browser`);
          const firstNative = await untilValue(() => inboundBytes(native, k, true), (b) => b > 0, `${k} at the native peer`);
          await untilValue(() => inboundBytes(native, k, true), (b) => b > firstNative, `${k} to keep flowing to the native peer`);
        }
        if (media === 'video') {
          const transports = await native.evaluate(async () => {
            const ids = new Set<string>();
            (await (globalThis as unknown as { pc: RTCPeerConnection }).pc.getStats()).forEach((r: { type: string }) => { if (r.type === 'transport') ids.add((r as unknown as { id: string }).id); });
            return ids.size;
          });
          assert.equal(transports, 2, 'one ICE transport per content, as negotiated');
        }

        if (media === 'video') {
          // Dino hangs up
          await romeo.iqCaller.request(xml('iq', { type: 'set', to: pr.attrs.from },
            xml('jingle', { xmlns: NS_JINGLE, action: 'session-terminate', sid }, xml('reason', {}, xml('success')))));
          await page.getByRole('status').filter({ hasText: 'Call ended' }).waitFor();
        } else {
          // Dino's media goes away without a word (crash, network gone): once ICE has been
          // disconnected for MEDIA_LOSS_TIMEOUT_MS the browser ends the call on both sides
          const terminate = waitFor(romeo, 'session-terminate', (el) => jingleAction(el, 'session-terminate'), 30_000);
          const finish = waitFor(romeo, 'finish', (el) => jmi(el, 'finish'), 30_000);
          await native.evaluate(() => (globalThis as unknown as { pc: RTCPeerConnection }).pc.close());
          const t = (await terminate).getChild('jingle', NS_JINGLE)!;
          assert.ok(t.getChild('reason')?.getChild('connectivity-error'), t.toString());
          assert.ok((await finish).getChild('finish', NS_JMI)!.getChild('reason', NS_JINGLE)?.getChild('connectivity-error'));
          await page.getByRole('status').filter({ hasText: 'Call failed' }).waitFor();
        }
        await page.getByRole('button', { name: 'Close' }).click();
      } finally {
        romeo.off('stanza', onIq);
        await native.close();
        // leave no call screen behind for the next test, whatever happened
        await page.evaluate(() => (globalThis as unknown as { carillon: { calls?: { hangup(): void; dismiss(): void } } }).carillon.calls?.hangup());
        await page.evaluate(() => (globalThis as unknown as { carillon: { calls?: { dismiss(): void } } }).carillon.calls?.dismiss());
      }
    });
  }

  it('answers a session-accept it cannot apply with a defined error condition, and ends the session', async () => {
    await page.getByRole('button', { name: /^romeo, / }).click();
    const propose = waitFor(romeo, 'propose', (el) => jmi(el, 'propose'));
    await page.getByRole('button', { name: 'Audio call' }).click();
    const pr = await propose;
    const sid = pr.getChild('propose', NS_JMI)!.attrs.id as string;
    const initiate = waitFor(romeo, 'session-initiate', (el) => jingleAction(el, 'session-initiate'));
    await romeo.send(xml('message', { to: pr.attrs.from, type: 'chat' }, xml('proceed', { xmlns: NS_JMI, id: sid }), xml('store', { xmlns: 'urn:xmpp:hints' })));
    await initiate;
    // an answer for a content the offer does not have: setRemoteDescription fails in the browser
    const terminate = waitFor(romeo, 'session-terminate', (el) => jingleAction(el, 'session-terminate'));
    const bad = ltx.parse(`<iq xmlns='jabber:client' type='set' to='${pr.attrs.from}' id='bad-accept'>
      <jingle xmlns='${NS_JINGLE}' action='session-accept' sid='${sid}' responder='${romeoJid}'>
        <content creator='initiator' name='no-such-content'>
          <description xmlns='${NS_RTP}' media='audio'><payload-type id='111' name='opus' clockrate='48000' channels='2'/><rtcp-mux/></description>
          <transport xmlns='${NS_ICE}' ufrag='abcd' pwd='abcdefghijklmnopqrstuv'><fingerprint xmlns='${NS_DTLS}' hash='sha-256' setup='active'>${Array(32).fill('AB').join(':')}</fingerprint></transport>
        </content>
      </jingle></iq>`) as El;
    const reply = await new Promise<El>((resolve) => {
      const on = (el: El) => { if (el.is('iq') && el.attrs.id === 'bad-accept') { romeo.off('stanza', on); resolve(el); } };
      romeo.on('stanza', on);
      void romeo.send(bad);
    });
    assert.equal(reply.attrs.type, 'error');
    const error = reply.getChild('error')!;
    const conditions = error.children.filter((c): c is El => typeof c !== 'string' && c.attrs.xmlns === 'urn:ietf:params:xml:ns:xmpp-stanzas' && c.name !== 'text');
    assert.deepEqual(conditions.map((c) => c.name), ['bad-request'], `a defined condition (RFC 6120 §8.3.3): ${reply.toString()}`);
    const t = (await terminate).getChild('jingle', NS_JINGLE)!;
    assert.ok(t.getChild('reason')?.getChild('failed-application'), t.toString());
    await page.getByRole('status').filter({ hasText: 'Call failed' }).waitFor();
    await page.getByRole('button', { name: 'Close' }).click();
  });

  it('signs out: contacts see the device go offline, the sign-in form returns', async () => {
    const gone = waitFor(romeo, 'unavailable', (el) => el.is('presence') && el.attrs.type === 'unavailable' && el.attrs.from === aliceFull);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await gone;
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    assert.equal(await page.getByLabel('Address').inputValue(), 'alice@localhost', 'the address is remembered, not the password');
    assert.equal(await page.getByLabel('Password').inputValue(), '');
  });

  it('closing the tab in a call ends it: session-terminate with <gone/>, finish, and the device goes offline', async () => {
    await page.getByLabel('Password').fill('alice-pass');
    const back = waitFor(romeo, 'alice\'s presence', (el) => el.is('presence') && !el.attrs.type && el.attrs.from?.startsWith('alice@localhost/'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    const full = (await back).attrs.from as string;
    const sid = 'tab-closes-mid-call';
    await romeo.send(xml('message', { to: 'alice@localhost', type: 'chat' },
      xml('propose', { xmlns: NS_JMI, id: sid }, xml('description', { xmlns: NS_RTP, media: 'audio' })), xml('store', { xmlns: 'urn:xmpp:hints' })));
    const proceed = waitFor(romeo, 'proceed', (el) => jmi(el, 'proceed'));
    await page.getByRole('dialog', { name: 'Incoming call' }).getByRole('button', { name: 'Accept' }).click();
    await proceed;
    const fixture = readFileSync(new URL('../xmpp/jingle-sdp/conversations-style-video.xml', import.meta.url), 'utf8').replace(/<!--[\s\S]*?-->/, '');
    const jingle = ltx.parse(fixture.trim()) as El;
    jingle.attrs.sid = sid;
    jingle.attrs.initiator = romeoJid;
    const accept = waitFor(romeo, 'session-accept', (el) => jingleAction(el, 'session-accept'));
    await romeo.iqCaller.request(xml('iq', { type: 'set', to: full }, jingle));
    await accept;

    const terminate = waitFor(romeo, 'session-terminate', (el) => jingleAction(el, 'session-terminate'));
    const finish = waitFor(romeo, 'finish', (el) => jmi(el, 'finish'));
    const offline = waitFor(romeo, 'unavailable', (el) => el.is('presence') && el.attrs.type === 'unavailable' && el.attrs.from === full);
    await page.close(); // pagehide, no hang-up button
    const t = (await terminate).getChild('jingle', NS_JINGLE)!;
    assert.equal(t.attrs.sid, sid);
    assert.ok(t.getChild('reason')?.getChild('gone'), t.toString());
    assert.equal((await finish).getChild('finish', NS_JMI)!.attrs.id, sid);
    await offline; // the stream was closed, not kept for resumption (XEP-0198)
  });
});
