// Jingle ↔ SDP on the details other clients depend on. Fixtures: XEP-0167 Example 1, XEP-0176
// transport-info, XEP-0320 Example 1, a Conversations-style video session-initiate, and a real
// Chromium offer.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { createClient, JXT } from 'stanza';
import type { IQ, Jingle } from 'stanza/protocol/index.js';
import { jingleIqError, jingleToSdp, sdpToJingle } from '../../client/src/protocol/jingle-sdp.js';
import { writeDefaultNamespaces } from '../../client/src/protocol/xml-compat.js';

const registry = createClient({}).stanzas;
writeDefaultNamespaces(registry);
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

function jingleOf(name: string): Jingle {
  const xml = fixture(name).replace(/<!--[\s\S]*?-->/g, '').trim();
  const iq = registry.import(JXT.parse(xml)) as IQ & { jingle: Jingle };
  return iq.jingle;
}

function jingleXml(jingle: Partial<Jingle>): string {
  return registry.export('iq', { type: 'set', id: 'x', to: 'a@b/c', jingle: { action: 'session-initiate', sid: 's', ...jingle } as Jingle })!.toString();
}

const lines = (sdp: string) => sdp.split('\r\n');

describe('Jingle to SDP', () => {
  it('XEP-0167 Example 1: payload types, ICE credentials and candidates', () => {
    const sdp = jingleToSdp(jingleOf('xep0167-example1-session-initiate.xml'), 'initiator');
    const l = lines(sdp);
    // WebRTC needs DTLS-SRTP (XEP-0320): without a fingerprint the section is marked rejected (port 0)
    assert.ok(l.includes('m=audio 0 UDP/TLS/RTP/SAVPF 96 97 18 0 103 98'), sdp);
    assert.ok(l.includes('a=rtpmap:96 speex/16000'));
    assert.ok(l.includes('a=rtpmap:18 G729/8000'), 'static payload types get their RFC 3551 clock rate');
    assert.ok(l.includes('a=rtpmap:0 PCMU/8000'));
    assert.ok(l.includes('a=rtpmap:103 L16/16000/2'));
    assert.ok(l.includes('a=mid:voice'));
    assert.ok(l.includes('a=ice-ufrag:8hhy'));
    assert.ok(l.includes('a=ice-pwd:asd88fgpdd777uzjYhagZg'));
    assert.ok(l.includes('a=candidate:1 1 UDP 2130706431 10.0.1.1 8998 typ host'), sdp);
    assert.ok(l.includes('a=candidate:2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 10.0.1.1 rport 8998'), sdp);
  });

  it('XEP-0176 transport-info: a trickled candidate becomes one SDP candidate line', () => {
    const j = jingleOf('xep0176-transport-info.xml');
    const transport = j.contents![0]!.transport as { candidates?: unknown[]; usernameFragment?: string };
    assert.equal(transport.usernameFragment, '8hhy');
    assert.equal(transport.candidates?.length, 1);
    // put it into the session's transport, as the browser would learn it, and read the SDP line
    const session = jingleOf('xep0320-example1-session-initiate.xml');
    (session.contents![0]!.transport as unknown as { candidates: unknown[] }).candidates = transport.candidates!;
    const l = lines(jingleToSdp(session, 'initiator'));
    assert.deepEqual(l.filter((x) => x.startsWith('a=candidate:')), ['a=candidate:3 1 UDP 1694498815 192.0.2.1 3478 typ srflx raddr 10.0.1.1 rport 8998']);
  });

  it('XEP-0320 Example 1: the DTLS fingerprint and setup role', () => {
    const l = lines(jingleToSdp(jingleOf('xep0320-example1-session-initiate.xml'), 'initiator'));
    assert.ok(l.includes('a=fingerprint:sha-256 02:1A:CC:54:27:AB:EB:9C:53:3F:3E:4B:65:2E:7D:46:3F:54:42:CD:54:F1:7A:03:A2:7D:F9:B0:7F:46:19:B2'));
    assert.ok(l.includes('a=setup:actpass'));
  });

  describe('a Conversations-style video session-initiate', () => {
    const sdp = jingleToSdp(jingleOf('conversations-style-session-initiate.xml'), 'initiator');
    const l = lines(sdp);
    const video = sdp.slice(sdp.indexOf('m=video'));

    it('keeps BUNDLE (XEP-0338) and rtcp-mux', () => {
      assert.ok(l.includes('a=group:BUNDLE 0 1'), sdp);
      assert.equal(l.filter((x) => x === 'a=rtcp-mux').length, 2);
    });

    it('keeps codec parameters, rtcp-fb (XEP-0293) and header extensions (XEP-0294)', () => {
      assert.ok(l.includes('a=fmtp:111 minptime=10;useinbandfec=1'), sdp);
      assert.ok(l.includes('a=rtcp-fb:111 transport-cc'));
      assert.ok(l.includes('a=rtcp-fb:96 nack pli'));
      assert.ok(l.includes('a=rtcp-fb:96 ccm fir'));
      assert.ok(l.includes('a=fmtp:97 apt=96'));
      assert.ok(l.includes('a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level'));
      assert.ok(l.includes('a=extmap:13 urn:3gpp:video-orientation'));
    });

    it('takes the primary video SSRC from the FID group (XEP-0339), not from numeric order', () => {
      assert.match(video, /a=ssrc-group:FID 3785307227 1150393410\r\n/);
      const ssrcLines = video.split('\r\n').filter((x) => x.startsWith('a=ssrc:'));
      assert.ok(ssrcLines[0]!.startsWith('a=ssrc:3785307227 cname:sE1L8cBB3bSp5a6k'), ssrcLines.join('\n'));
      assert.ok(ssrcLines.some((x) => x.startsWith('a=ssrc:1150393410 cname:')));
    });

    it('takes the stream and track ids from the XEP-0339 msid parameter', () => {
      assert.ok(l.includes('a=msid:my-media-stream my-audio-track'), sdp);
      assert.ok(l.includes('a=msid:my-media-stream my-video-track'));
    });

    it('keeps the audio SSRC and the DTLS role', () => {
      assert.ok(l.includes('a=ssrc:2930542233 cname:sE1L8cBB3bSp5a6k'), sdp);
      assert.ok(l.includes('a=setup:actpass'));
      assert.ok(l.includes('a=ice-ufrag:T4Fv'));
    });
  });
});

describe('SDP to Jingle (a real Chromium offer)', () => {
  const sdp = fixture('chromium-156-offer.sdp');
  const primary = /a=ssrc-group:FID (\d+) (\d+)/.exec(sdp)!;
  const jingle = sdpToJingle(sdp, 'initiator');
  const xml = jingleXml(jingle);

  it('uses the namespaces other clients expect', () => {
    for (const ns of [
      'urn:xmpp:jingle:apps:rtp:1', 'urn:xmpp:jingle:transports:ice-udp:1', 'urn:xmpp:jingle:apps:dtls:0',
      'urn:xmpp:jingle:apps:rtp:rtcp-fb:0', 'urn:xmpp:jingle:apps:rtp:rtp-hdrext:0',
      'urn:xmpp:jingle:apps:grouping:0', 'urn:xmpp:jingle:apps:rtp:ssma:0',
    ]) assert.ok(xml.includes(`xmlns="${ns}"`), ns);
    assert.match(xml, /<group xmlns="urn:xmpp:jingle:apps:grouping:0" semantics="BUNDLE"><content name="0"\/><content name="1"\/><\/group>/);
    assert.match(xml, /<fingerprint xmlns="urn:xmpp:jingle:apps:dtls:0" hash="sha-256" setup="actpass">/);
    assert.match(xml, /<rtcp-mux\/>/);
  });

  it('writes no codec parameter without a value (Conversations refuses those)', () => {
    assert.ok(/a=fmtp:\d+ \d+\/\d+/.test(sdp), 'the fixture has a RED fmtp without key=value');
    assert.doesNotMatch(xml, /<parameter name="[^"]*"\/>/);
    assert.match(xml, /<parameter name="apt" value="96"\/>/);
  });

  it('writes every namespace as a default xmlns, never as a prefix', () => {
    assert.doesNotMatch(xml, /xmlns:|<[a-z]+:/);
    assert.match(xml, /<rtcp-fb xmlns="urn:xmpp:jingle:apps:rtp:rtcp-fb:0" type="nack" subtype="pli"\/>/);
  });

  it('lists the primary SSRC first and declares the RTX SSRC as a source too', () => {
    const video = jingle.contents!.find((c) => (c.application as { media?: string }).media === 'video')!;
    const app = video.application as unknown as { sources: { ssrc: string; parameters: Record<string, string> }[]; sourceGroups: { semantics: string; sources: string[] }[] };
    assert.ok(Number(primary[2]) !== Number(primary[1]));
    assert.deepEqual(app.sourceGroups[0], { semantics: 'FID', sources: [primary[1], primary[2]] });
    assert.deepEqual(app.sources.map((s) => s.ssrc), [primary[1], primary[2]]);
    assert.ok(app.sources[1]!.parameters.cname, 'the RTX source carries the cname');
    const msid = /a=ssrc:\d+ msid:(\S+ \S+)/.exec(sdp.slice(sdp.indexOf('m=video')))![1];
    for (const src of app.sources) assert.equal(src.parameters.msid, msid, 'XEP-0339 msid parameter on every source');
  });

  it('survives the trip back to SDP with the same primary/RTX pairing', () => {
    const back = jingleToSdp(registry.import(JXT.parse(xml))!.jingle as Jingle, 'initiator');
    assert.ok(back.includes(`a=ssrc-group:FID ${primary[1]} ${primary[2]}`), back);
    assert.ok(back.includes('a=rtpmap:111 opus/48000/2'));
    assert.ok(back.includes('a=rtpmap:96 VP8/90000'));
  });
});

describe('BUNDLE groups (RFC 8843, XEP-0338): never invented, never dropped', () => {
  const offer = sdpToJingle(fixture('chromium-156-offer.sdp'), 'initiator') as Jingle;

  it('a peer that BUNDLEs keeps its group in the SDP', () => {
    assert.match(jingleToSdp(offer, 'initiator'), /\r\na=group:BUNDLE 0 1\r\n/);
  });

  it('a peer with one transport per content (Dino 0.4) gets no group, and keeps its own ICE per m-line', () => {
    const unbundled = { ...structuredClone(offer), groups: [] } as Jingle;
    const sdp = jingleToSdp(unbundled, 'responder');
    assert.doesNotMatch(sdp, /a=group:/);
    assert.equal(sdp.split('\r\n').filter((l) => l.startsWith('a=ice-ufrag:')).length, 2, 'ICE credentials on each m-line');
  });

  it('an SDP without a group translates to Jingle without one', () => {
    const sdp = fixture('chromium-156-offer.sdp').replace(/a=group:BUNDLE[^\r]*\r\n/, '');
    assert.deepEqual(sdpToJingle(sdp, 'responder').groups ?? [], []);
  });
});

describe('errors for refused Jingle requests (RFC 6120 §8.3.3, XEP-0166 §10)', () => {
  it('a Jingle reason where a stanza condition belongs becomes bad-request, with the reason as text', () => {
    assert.deepEqual(jingleIqError({ condition: 'general-error' }), { type: 'modify', condition: 'bad-request', text: 'general-error' });
  });
  it('an exception becomes bad-request with its message', () => {
    assert.deepEqual(jingleIqError(new Error('Failed to set remote answer sdp')), { type: 'modify', condition: 'bad-request', text: 'Failed to set remote answer sdp' });
  });
  it('nothing at all still names a condition', () => {
    assert.equal(jingleIqError(undefined).condition, 'bad-request');
  });
  it('defined conditions and Jingle conditions pass through', () => {
    assert.deepEqual(jingleIqError({ condition: 'item-not-found', jingleError: 'unknown-session' }), { type: 'cancel', condition: 'item-not-found', jingleError: 'unknown-session' });
    assert.deepEqual(jingleIqError({ condition: 'feature-not-implemented', jingleError: 'unsupported-info', type: 'modify' }), { type: 'modify', condition: 'feature-not-implemented', jingleError: 'unsupported-info' });
  });
  it('serializes with the condition element', () => {
    const xml = registry.export('iq', { type: 'error', id: 'e', to: 'a@b/c', error: jingleIqError({ condition: 'general-error' }) } as IQ)!.toString();
    assert.match(xml, /<error type="modify"><bad-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"\/><text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">general-error<\/text><\/error>/);
  });
});
