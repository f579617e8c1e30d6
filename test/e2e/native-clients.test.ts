// The native clients' Jingle (test/client/fixtures/native/, reconstructed from each client's source)
// into a real Chromium RTCPeerConnection configured as the web client configures its own: their
// offer must be taken and answered, with an answer that translates back to Jingle the client would
// accept; their answer to the web client's offer must be taken; their candidates must be added.
import { strict as assert } from 'node:assert';
import { createClient } from 'stanza';
import type { IQ, Jingle, JingleContent, JingleIce, JingleRtpDescription } from 'stanza/protocol/index.js';
import type { Page } from 'playwright-core';
import { PROFILE, candidateToSdp, jingleToSdp, sdpToJingle, useJingleWire } from '../../xmpp/jingle-sdp/index.js';
import { JmiProtocol } from '../../client/src/protocol/xep0353-jmi.js';
import { launchChromium, type ChromiumHost } from '../component/helpers/chromium-peer.js';
import { NATIVE_CLIENTS, nativeFixture, type NativeClient } from '../client/native-fixtures.js';

const stanzas = createClient({}).stanzas;
stanzas.define(JmiProtocol);
useJingleWire(stanzas);

const rtp = (c: JingleContent) => c.application as JingleRtpDescription;
const ice = (c: JingleContent) => c.transport as JingleIce;

/** A peer connection as the web client makes it (connection.ts), with fake media. */
async function webPeer(page: Page, video: boolean): Promise<void> {
  await page.evaluate(async ([policy, v]) => {
    const pc = new RTCPeerConnection({ bundlePolicy: policy as RTCBundlePolicy, rtcpMuxPolicy: 'require' });
    const g = globalThis as unknown as { pc: RTCPeerConnection; media: MediaStream };
    g.pc = pc;
    g.media = await navigator.mediaDevices.getUserMedia({ audio: true, video: v });
  }, [PROFILE.bundlePolicy, video] as const);
}

/** setRemoteDescription(offer), our tracks on its transceivers, the complete answer. */
async function answerOffer(page: Page, sdp: string): Promise<string> {
  return page.evaluate(async (offer) => {
    const { pc, media } = globalThis as unknown as { pc: RTCPeerConnection; media: MediaStream };
    await pc.setRemoteDescription({ type: 'offer', sdp: offer });
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
  }, sdp);
}

async function offer(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const { pc, media } = globalThis as unknown as { pc: RTCPeerConnection; media: MediaStream };
    for (const t of media.getTracks()) pc.addTrack(t, media);
    await pc.setLocalDescription(await pc.createOffer());
    return pc.localDescription!.sdp;
  });
}

/**
 * What the client would refuse in our session-accept to its offer, by the rules of XEP-0166/0167/
 * 0176/0320/0338 and what its parser is known to insist on (see the fixture files for the sources).
 */
function refusals(client: NativeClient, theirs: Jingle, ours: Jingle, xml: string): string[] {
  const out: string[] = [];
  const names = (j: Jingle) => (j.contents ?? []).map((c) => c.name);
  if (names(ours).join() !== names(theirs).join()) out.push(`contents ${names(ours).join()} for an offer of ${names(theirs).join()}`);
  for (const c of ours.contents ?? []) {
    const offered = theirs.contents?.find((x) => x.name === c.name);
    if (!offered) continue;
    if (c.creator !== 'initiator') out.push(`${c.name}: creator ${c.creator}`);
    if (rtp(c)?.media !== rtp(offered).media) out.push(`${c.name}: media ${rtp(c)?.media}`);
    const offeredIds = new Map((rtp(offered).codecs ?? []).map((p) => [p.id, p.name.toLowerCase()]));
    const codecs = rtp(c)?.codecs ?? [];
    if (!codecs.length) out.push(`${c.name}: no payload type`);
    for (const p of codecs) if (offeredIds.get(p.id) !== p.name.toLowerCase()) out.push(`${c.name}: payload type ${p.id} ${p.name} not offered`);
    if (!!rtp(offered).rtcpMux !== !!rtp(c)?.rtcpMux) out.push(`${c.name}: rtcp-mux differs from the offer`);
    const t = ice(c);
    if (!t?.usernameFragment || !t.password) out.push(`${c.name}: no ICE ufrag/pwd`);
    const fp = t?.fingerprints?.[0];
    if (!fp?.value || fp.algorithm !== 'sha-256') out.push(`${c.name}: no sha-256 fingerprint`);
    if (fp && fp.setup !== 'active' && fp.setup !== 'passive') out.push(`${c.name}: DTLS setup ${fp.setup} in an answer (RFC 5763 §5)`);
  }
  // RFC 8843 §7.3: the answer's group is within the offer's; none when none was offered
  const offeredGroup = theirs.groups?.find((g) => g.semantics === 'BUNDLE')?.contents ?? [];
  const group = ours.groups?.find((g) => g.semantics === 'BUNDLE')?.contents ?? [];
  for (const n of group) if (!offeredGroup.includes(n)) out.push(`BUNDLE names ${n}, which the offer did not bundle`);
  if (client.bundle && !group.length) out.push('no BUNDLE group although the offer had one');
  if (/xmlns:[a-z]+=|<[a-z]+:[a-z-]+/.test(xml)) out.push('namespace prefixes');
  if (client.name === 'Conversations' && /<parameter name="[^"]*"\/>/.test(xml)) out.push('a <parameter/> without a value');
  if (client.name === 'Monal') {
    // xmpp-parsers refuses attributes it does not know on the elements it parses
    const allowed: Record<string, string[]> = {
      'payload-type': ['id', 'name', 'clockrate', 'channels', 'maxptime', 'ptime', 'xmlns'],
      'rtcp-fb': ['type', 'subtype', 'xmlns'],
      'rtp-hdrext': ['id', 'uri', 'senders', 'xmlns'],
      candidate: ['component', 'foundation', 'generation', 'id', 'ip', 'network', 'port', 'priority', 'protocol', 'rel-addr', 'rel-port', 'type', 'tcptype'],
      fingerprint: ['hash', 'setup', 'xmlns'],
    };
    for (const [el, attrs] of Object.entries(allowed)) {
      for (const tag of xml.match(new RegExp(`<${el} [^>]*>`, 'g')) ?? []) {
        for (const [, a] of tag.matchAll(/ ([\w:-]+)="/g)) if (!attrs.includes(a!)) out.push(`<${el}/> with ${a}`);
      }
    }
  }
  for (const tag of xml.match(/<candidate [^>]*>/g) ?? []) {
    for (const a of ['component', 'foundation', 'generation', 'id', 'ip', 'network', 'port', 'priority', 'protocol', 'type']) {
      if (!tag.includes(` ${a}="`)) out.push(`candidate without ${a} (XEP-0176 §5.2)`);
    }
  }
  return out;
}

describe('native clients\' Jingle in Chromium (fixtures/native)', function () {
  this.timeout(60_000);
  let host: ChromiumHost;
  let page: Page;

  before(async () => { host = await launchChromium(); });
  after(async () => { await host?.close(); });
  beforeEach(async () => {
    page = await host.browser.newPage();
    await page.goto(host.url);
  });
  afterEach(async () => { await page?.close(); });

  for (const client of NATIVE_CLIENTS) {
    const f = nativeFixture(client, stanzas);

    it(`${client.name} calls: its offer is taken, its candidates added, and our answer is one it accepts`, async () => {
      const si = f.jingle.get('si')!;
      await webPeer(page, client.media === 'video');
      const answer = await answerOffer(page, jingleToSdp(si, 'initiator'));
      for (const c of f.jingle.get('ti')!.contents ?? []) {
        for (const cand of ice(c).candidates ?? []) {
          await page.evaluate(([mid, line]) => (globalThis as unknown as { pc: RTCPeerConnection }).pc.addIceCandidate({ sdpMid: mid, candidate: line }), [c.name, candidateToSdp(cand)] as const);
        }
      }
      assert.equal(/a=group:BUNDLE/.test(answer), client.bundle, 'Chromium bundles exactly when the offer did');
      const ours = { ...sdpToJingle(answer, 'responder'), action: 'session-accept', sid: si.sid } as Jingle;
      const xml = stanzas.export('iq', { type: 'set', id: 'a', to: 'romeo@montague.lit/x', jingle: ours } as IQ)!.toString();
      assert.deepEqual(refusals(client, si, ours, xml), [], xml);
    });

    it(`we call ${client.name}: its session-accept is taken as the answer to the web client's offer`, async () => {
      await webPeer(page, client.media === 'video');
      const ours = await offer(page);
      assert.match(ours, /a=group:BUNDLE/, 'the web client offers BUNDLE');
      const sa = f.jingle.get('sa')!;
      const sdp = jingleToSdp(sa, 'responder');
      const state = await page.evaluate(async (answer) => {
        const { pc } = globalThis as unknown as { pc: RTCPeerConnection };
        await pc.setRemoteDescription({ type: 'answer', sdp: answer });
        return pc.signalingState;
      }, sdp);
      assert.equal(state, 'stable');
      // its candidates in the accept (Dino: RTCP ones too, which rtcp-mux makes Chromium ignore)
      for (const c of sa.contents ?? []) {
        for (const cand of ice(c).candidates ?? []) {
          await page.evaluate(([mid, line]) => (globalThis as unknown as { pc: RTCPeerConnection }).pc.addIceCandidate({ sdpMid: mid, candidate: line }), [c.name, candidateToSdp(cand)] as const);
        }
      }
    });
  }
});
