// The Jingle <-> SDP translation of the call component, on XEP example stanzas and a
// Conversations-style offer (fixtures/), in both directions.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseXml, type Element } from '../../xmpp/xml.js';
import {
  candidateToSdp, jingleElement, jingleToSdp, labelSources, parseJingle, rewriteCandidates, sdpToJingle, transportCandidates,
  type Jingle,
} from '../../component/calls/jingle-sdp.js';
import { StanzaError } from '../../xmpp/errors.js';

const fixture = (name: string): Element => parseXml(readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8'));
const sdpLines = (sdp: string, prefix: string): string[] => sdp.split('\r\n').filter((l) => l.startsWith(prefix));

describe('Jingle to SDP (component/calls/jingle-sdp.ts)', () => {
  it('XEP-0167 Example 1: payload types, ICE credentials, candidates and the XEP-0320 fingerprint', () => {
    const j = parseJingle(fixture('xep0167-example1.xml'));
    assert.equal(j.action, 'session-initiate');
    assert.equal(j.sid, 'a73sjjvkla37jfea');
    const sdp = jingleToSdp(j.contents!, j.groups, 'initiator');
    assert.deepEqual(sdpLines(sdp, 'm=audio')[0].split(' ').slice(3), ['96', '97', '18', '0', '103', '98']);
    assert.ok(sdp.includes('a=rtpmap:103 L16/16000/2'));
    assert.ok(sdp.includes('a=ice-ufrag:8hhy') && sdp.includes('a=ice-pwd:asd88fgpdd777uzjYhagZg'));
    assert.ok(sdp.includes('a=setup:actpass'));
    assert.ok(sdp.includes('a=fingerprint:sha-256 02:1A:CC:54'));
    const cands = sdpLines(sdp, 'a=candidate:');
    assert.equal(cands.length, 2);
    assert.match(cands[1], /192\.0\.2\.3 45664 typ srflx raddr 10\.0\.1\.1 rport 8998/);
  });

  it('XEP-0176: a transport-info candidate becomes one SDP candidate line', () => {
    const j = parseJingle(fixture('xep0167-example1.xml'));
    const [c] = transportCandidates(j.contents![0]);
    assert.equal(candidateToSdp(c), 'candidate:1 1 udp 2130706431 10.0.1.1 8998 typ host');
  });

  it('a Conversations-style offer: XEP-0339 sources without the ssrc attribute, primary taken from the FID group', () => {
    const j = parseJingle(fixture('conversations-video.xml'));
    const sdp = jingleToSdp(j.contents!, j.groups, 'initiator');
    assert.deepEqual(sdpLines(sdp, 'a=group:BUNDLE'), ['a=group:BUNDLE 0 1']);
    const video = sdp.slice(sdp.indexOf('m=video'));
    assert.deepEqual(sdpLines(video, 'a=ssrc-group:'), ['a=ssrc-group:FID 3000000001 200'], 'primary first, not numeric order');
    assert.ok(sdpLines(video, 'a=ssrc:3000000001').length > 0);
    assert.ok(sdp.includes('a=rtcp-mux'));
    assert.ok(sdp.includes('a=sendrecv'));
  });

  it('refuses malformed Jingle with bad-request', () => {
    const cases = [
      `<iq type='set' from='a@b/c' to='r@call.b' id='1'><jingle xmlns='urn:xmpp:jingle:1' sid='x'/></iq>`,
      `<iq type='set' from='a@b/c' to='r@call.b' id='1'><jingle xmlns='urn:xmpp:jingle:1' action='session-initiate'/></iq>`,
      `<iq type='set' from='a@b/c' to='r@call.b' id='1'><jingle xmlns='urn:xmpp:jingle:0' action='session-initiate' sid='x'/></iq>`,
    ];
    for (const c of cases) {
      assert.throws(() => parseJingle(parseXml(c)), (e: unknown) => e instanceof StanzaError && e.condition === 'bad-request', c);
    }
  });
});

describe('SDP to Jingle (component/calls/jingle-sdp.ts)', () => {
  // The shape of a werift offer adding a forwarded source (recorded from the room, abridged).
  const offer = [
    'v=0', 'o=- 1 0 IN IP4 0.0.0.0', 's=-', 't=0 0', 'a=group:BUNDLE 0 2', 'a=msid-semantic:WMS *',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 0.0.0.0',
    'a=candidate:1 1 udp 2116026367 127.0.0.1 40000 typ host', 'a=candidate:2 1 udp 2116026367 192.0.2.2 40001 typ host',
    'a=ice-ufrag:abcd', 'a=ice-pwd:0123456789abcdef012345', 'a=fingerprint:sha-256 AA:BB', 'a=setup:active',
    'a=recvonly', 'a=mid:0', 'a=rtcp-mux', 'a=rtpmap:111 opus/48000/2',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 0.0.0.0',
    'a=ice-ufrag:abcd', 'a=ice-pwd:0123456789abcdef012345', 'a=fingerprint:sha-256 AA:BB', 'a=setup:active',
    'a=sendonly', 'a=mid:2', 'a=msid:stream1 track1', 'a=rtcp-mux', 'a=ssrc:42 cname:x', 'a=rtpmap:111 opus/48000/2', '',
  ].join('\r\n');

  it('gives one content per m-line named by its mid, senders from the direction, and the BUNDLE group', () => {
    const { contents, groups } = sdpToJingle(offer, 'responder');
    assert.deepEqual(contents.map((c) => [c.name, c.senders]), [['0', 'initiator'], ['2', 'responder']]);
    assert.deepEqual(groups, [{ semantics: 'BUNDLE', contents: ['0', '2'] }]);
  });

  it('writes every candidate with XEP-0176 §5.2\'s required generation, id and network', () => {
    const { contents } = sdpToJingle(offer, 'responder');
    const xml = jingleElement({ action: 'session-accept', sid: 's', contents } as Jingle).toString();
    const cands = xml.match(/<candidate [^>]*>/g) ?? [];
    assert.equal(cands.length, 2);
    for (const c of cands) for (const a of ['generation="0"', 'network="0"', 'id="']) assert.ok(c.includes(a), `${a} in ${c}`);
  });

  it('advertises only the bound address, or the public address behind NAT', () => {
    const a = sdpToJingle(offer, 'responder').contents;
    rewriteCandidates(a, { bindAddress: '127.0.0.1' });
    assert.deepEqual(transportCandidates(a[0]).map((c) => c.ip), ['127.0.0.1']);
    const b = sdpToJingle(offer, 'responder').contents;
    rewriteCandidates(b, { publicAddress: '203.0.113.5' });
    assert.deepEqual(transportCandidates(b[0]).map((c) => `${c.ip}:${c.port}`), ['203.0.113.5:40000', '203.0.113.5:40001']);
  });

  it('serializes content-add with the owner label (ssrc-info) and the msid as a XEP-0339 parameter', () => {
    const { contents, groups } = sdpToJingle(offer, 'responder');
    const el = jingleElement({ action: 'content-add', sid: 's1', contents: [{ ...contents[1], creator: 'responder' }], groups } as Jingle);
    labelSources(el, new Map([['2', 'room@call.example/Bob']]));
    const source = el.getChild('content')!.getChild('description')!.getChild('source')!;
    assert.equal(source.attrs.ssrc, '42');
    assert.equal(source.getChild('ssrc-info', 'http://jitsi.org/jitmeet')!.attrs.owner, 'room@call.example/Bob');
    assert.equal(source.getChildren('parameter').find((p) => p.attrs.name === 'msid')!.attrs.value, 'stream1 track1');
    assert.equal(source.getChildren('parameter').find((p) => p.attrs.name === 'owner')!.attrs.value, 'room@call.example/Bob');
    // and it parses back to the same contents
    const back = parseJingle(parseXml(`<iq type='set' id='1' from='r@c' to='a@b/c'>${el.toString()}</iq>`));
    assert.equal(back.action, 'content-add');
    assert.deepEqual(back.contents!.map((c) => [c.name, c.creator, c.senders]), [['2', 'responder', 'responder']]);
    const app = back.contents![0].application as { sources?: Array<{ parameters?: Record<string, string> }> };
    assert.equal(app.sources![0].parameters!.owner, 'room@call.example/Bob', 'visible to StanzaJS clients');
  });
});
