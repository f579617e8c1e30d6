// The Jingle <-> SDP translation (xmpp/jingle-sdp/) on every fixture triple of test/xmpp/jingle-sdp/
// (cases.ts), in both directions: wire XML <-> StanzaJS object <-> SDP. Then the pieces the
// triples do not reach: trickled candidates, answers Carillon completes itself, owner labels.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { JXT } from 'stanza';
import type { JingleContent, JingleIce } from 'stanza/protocol/index.js';
import {
  PROFILE, answerTransport, candidateToSdp, completeAnswer, jingleToSdp, normalizeLocalJingle, normalizeRemoteJingle, restrictCandidates,
  sdpToCandidate, sdpToJingle, sourceOwner, transportCandidates, type Jingle,
} from '../../xmpp/jingle-sdp/index.js';
import { CASES } from './jingle-sdp/cases.js';
import { canonical, exportJingle, importJingle, plain, read, readXml } from './jingle-sdp/fixture-io.js';
import { jingleOf, sdpOf } from './jingle-sdp/write.js';

/** StanzaJS gives every SDP it writes a fresh o= session id; the rest is compared exactly. */
const masked = (sdp: string): string => sdp.replace(/^o=(\S+) \d+ /m, 'o=$1 0 ');
const candidateLines = (sdp: string): string[] => sdp.split('\r\n').filter((l) => l.startsWith('a=candidate:')).map((l) => l.slice(2));
/** A candidate without what SDP cannot carry (XEP-0176's id, network and generation). */
const sdpPart = (c: object): object => {
  const { id: _i, network: _n, generation: _g, relatedPort, ...rest } = c as Record<string, unknown>;
  // StanzaJS reads rel-port from XML as a string, from SDP as a number
  return relatedPort === undefined ? rest : { ...rest, relatedPort: Number(relatedPort) };
};

describe('Jingle <-> SDP fixture triples (test/xmpp/jingle-sdp/)', () => {
  for (const c of CASES) {
    describe(`${c.name} (${c.origin === 'jingle' ? "a peer's stanza" : "a local description"}, written by the ${c.role})`, () => {
      const xml = readXml(`${c.name}.xml`);
      const json = JSON.parse(read(`${c.name}.json`)) as Jingle;
      const sdp = read(`${c.name}.sdp`);
      const exported = exportJingle(json);

      if (c.origin === 'jingle') {
        it('xml -> json: StanzaJS reads the wire form as the .json', () => assert.deepEqual(plain(importJingle(xml)), json));
      } else {
        // an object made from SDP has empty fields the wire does not carry: compare what it means
        it('xml -> json: the peer reads the .xml as the .json, to the same SDP', () => {
          assert.equal(masked(jingleToSdp(importJingle(xml), c.role)), masked(jingleToSdp(json, c.role)));
        });
      }

      it(c.origin === 'sdp' ? 'json -> xml: written exactly as the .xml' : 'json -> xml -> json: nothing is lost on the wire', () => {
        if (c.origin === 'sdp') assert.equal(canonical(exported), canonical(JXT.parse(xml)));
        if (c.origin === 'jingle') assert.deepEqual(plain(importJingle(exported.toString())), json);
      });

      if (c.origin === 'jingle') {
        it('json -> sdp: the .sdp', () => assert.equal(masked(sdpOf(c, json)), masked(sdp)));
        if (!c.candidatesOnly && !c.noRoundTrip) {
          it('sdp -> json -> sdp: the Jingle made of that SDP says the same', () => {
            assert.equal(masked(jingleToSdp(sdpToJingle(sdp, c.role), c.role)), masked(sdp));
          });
        }
      } else {
        it('sdp -> json: the .json', () => assert.deepEqual(jingleOf(c, sdp, json.sid), json));
        it('json -> sdp -> json: the SDP made of that Jingle says the same', () => {
          assert.deepEqual(jingleOf(c, jingleToSdp(json, c.role), json.sid), json);
        });
      }

      it('candidates: trickled ones give the same SDP attribute as whole descriptions, and read back', () => {
        const contents = json.contents ?? [];
        const fromJson = contents.flatMap((k) => transportCandidates(k));
        const lines = c.candidatesOnly ? candidateLines(sdp) : candidateLines(c.origin === 'jingle' ? sdp : jingleToSdp(json, c.role));
        // whole SDP repeats candidates per m-line; the trickle writer must produce each of its lines
        for (const line of lines) assert.ok(fromJson.some((k) => candidateToSdp(k) === line), line);
        for (const k of contents) {
          const t = k.transport as JingleIce | undefined;
          for (const cand of transportCandidates(k)) {
            const back = sdpToCandidate(`a=${candidateToSdp(cand)}`, k.name, t?.usernameFragment);
            assert.deepEqual(plain(c.origin === 'sdp' ? back : sdpPart(back)), plain(c.origin === 'sdp' ? cand : sdpPart(cand)));
          }
        }
      });

      for (const [line, why] of c.sdpHas ?? []) {
        it(`SDP has ${line} (${why})`, () => {
          const text = c.origin === 'jingle' ? sdp : jingleToSdp(json, c.role);
          assert.ok(text.split('\r\n').includes(line), text);
        });
      }
      for (const [re, why] of c.sdpLacks ?? []) it(`SDP: ${why}`, () => assert.doesNotMatch(c.origin === 'jingle' ? sdp : jingleToSdp(json, c.role), re));
      for (const [re, why] of c.xmlHas ?? []) it(`XML: ${why}`, () => assert.match(exported.toString(), re));
      for (const [re, why] of c.xmlLacks ?? []) it(`XML: ${why}`, () => assert.doesNotMatch(exported.toString(), re));
    });
  }
});

describe('profile rules no fixture reaches', () => {
  const description = (media: 'audio' | 'video', codecs: Array<{ id: string; name: string; clockRate?: number; parameters?: Record<string, string> }>) =>
    ({ contents: [{ creator: 'initiator', name: '0', application: { applicationType: 'urn:xmpp:jingle:apps:rtp:1', media, codecs } }] }) as unknown as Jingle;
  const codecsOf = (j: Jingle) => (j.contents![0]!.application as unknown as { codecs: Array<{ id: string; clockRate?: number; parameters?: Record<string, string> }> }).codecs;

  it('RFC 3551 §6 clock rates of static payload types; the media default for a dynamic one', () => {
    const j = normalizeRemoteJingle(description('audio', [{ id: '6', name: 'DVI4' }, { id: '10', name: 'L16' }, { id: '0', name: 'PCMU' }, { id: '120', name: 'x-unknown' }]));
    assert.deepEqual(codecsOf(j).map((c) => c.clockRate), [16000, 44100, 8000, 8000]);
    assert.deepEqual(codecsOf(normalizeRemoteJingle(description('video', [{ id: '26', name: 'JPEG' }, { id: '99', name: 'x-video' }]))).map((c) => c.clockRate), [90000, 90000]);
    assert.equal(codecsOf(normalizeRemoteJingle(description('audio', [{ id: '0', name: 'PCMU', clockRate: 16000 }])))[0]!.clockRate, 16000, 'a given rate is kept');
  });

  it('no codec <parameter/> without a value goes out (StanzaJS 12 already drops those it reads from SDP)', () => {
    const j = normalizeLocalJingle(description('audio', [{ id: '63', name: 'red', parameters: { '111/111': '', useinbandfec: '1' } }]));
    assert.deepEqual(codecsOf(j)[0]!.parameters, { useinbandfec: '1' });
  });
});

describe('BUNDLE groups (RFC 8843, XEP-0338): never invented, never dropped', () => {
  const offer = JSON.parse(read('chromium-offer.json')) as Jingle;

  it('a peer that BUNDLEs keeps its group in the SDP', () => {
    assert.match(jingleToSdp(offer, 'initiator'), /\r\na=group:BUNDLE 0 1\r\n/);
  });

  it('a peer with one transport per content (Dino) gets no group, and keeps its own ICE per m-line', () => {
    const sdp = jingleToSdp({ ...offer, groups: [] }, 'responder');
    assert.doesNotMatch(sdp, /a=group:/);
    assert.equal(sdp.split('\r\n').filter((l) => l.startsWith('a=ice-ufrag:')).length, 2, 'ICE credentials on each m-line');
  });

  it('an SDP without a group translates to Jingle without one', () => {
    assert.deepEqual(sdpToJingle(read('chromium-offer.sdp').replace(/a=group:BUNDLE[^\r]*\r\n/, ''), 'responder').groups, []);
  });

  it('the web client asks for the policy that takes both (PROFILE.bundlePolicy)', () => assert.equal(PROFILE.bundlePolicy, 'balanced'));
});

describe('owner labels of forwarded sources (PROFILE.owner)', () => {
  const added = importJingle(readXml('room-content-add.xml'));

  it('a StanzaJS client reads the owner of each added content, and none on its own', () => {
    assert.deepEqual((added.contents ?? []).map((k) => [k.name, sourceOwner(k)]), [
      ['0', undefined], ['1', undefined],
      ['2', 'standup@call.example/Bob'], ['3', 'standup@call.example/Bob'],
      ['4', 'standup@call.example/Carol'], ['5', 'standup@call.example/Carol'],
    ]);
  });

  it('Jitsi ssrc-info alone is enough', () => {
    const xml = readXml('room-content-add.xml').replace(/<parameter name="owner" value="[^"]*"\/>/g, '');
    const k = importJingle(xml).contents!.find((c) => c.name === '4')!;
    assert.equal(sourceOwner(k), 'standup@call.example/Carol');
  });
});

describe('trickled candidates (XEP-0176 transport-info <-> RFC 8839 candidate attribute)', () => {
  it('reads what Chromium trickles, with its extensions, and completes XEP-0176 §5.2', () => {
    const line = 'candidate:842163049 1 udp 1686052607 198.51.100.4 61002 typ srflx raddr 192.168.1.20 rport 54321 generation 0 ufrag Wq8x network-id 1 network-cost 10';
    const c = sdpToCandidate(line, '0', 'Wq8x');
    assert.deepEqual(plain({ ...c, id: undefined }), {
      component: 1, foundation: '842163049', ip: '198.51.100.4', port: 61002, priority: 1686052607, protocol: 'udp', type: 'srflx',
      relatedAddress: '192.168.1.20', relatedPort: 54321, generation: 0, network: 0,
    });
    assert.match(c.id!, /^c[0-9a-f]{8}$/, 'an NCName');
    assert.equal(candidateToSdp(c), 'candidate:842163049 1 UDP 1686052607 198.51.100.4 61002 typ srflx raddr 192.168.1.20 rport 54321');
  });

  it('gives different candidates different ids, the same candidate the same id', () => {
    const a = sdpToCandidate('candidate:1 1 udp 1 192.0.2.1 1000 typ host', '0', 'u');
    const b = sdpToCandidate('candidate:1 1 udp 1 192.0.2.1 1001 typ host', '0', 'u');
    assert.notEqual(a.id, b.id);
    assert.equal(sdpToCandidate('candidate:1 1 udp 1 192.0.2.1 1000 typ host', '0', 'u').id, a.id);
    assert.notEqual(sdpToCandidate('candidate:1 1 udp 1 192.0.2.1 1000 typ host', '0', 'other-ufrag').id, a.id, 'an ICE restart gives new ids');
  });

  it('refuses a line that is not a candidate', () => {
    assert.throws(() => sdpToCandidate('candidate:1 1 udp 1 192.0.2.1 1000 host'), /Not an SDP candidate/);
  });

  it('advertises only the bound address, or the public address behind NAT', () => {
    const answer = read('werift-answer.sdp');
    const a = sdpToJingle(answer, 'responder').contents;
    restrictCandidates(a, { bindAddress: '127.0.0.1' });
    assert.deepEqual(transportCandidates(a[0]!).map((c) => c.ip), ['127.0.0.1']);
    const b = sdpToJingle(answer, 'responder').contents;
    restrictCandidates(b, { publicAddress: '203.0.113.5' });
    assert.deepEqual(transportCandidates(b[0]!).map((c) => `${c.ip}:${c.port}`), ['203.0.113.5:52807', '203.0.113.5:58852']);
  });
});

describe("completing a participant's answer to a room re-offer", () => {
  const rtp = (media: 'audio' | 'video') => ({ applicationType: 'urn:xmpp:jingle:apps:rtp:1', media, codecs: [] }) as unknown as JingleContent['application'];
  const transport = (setup: string) => ({
    transportType: 'urn:xmpp:jingle:transports:ice-udp:1', usernameFragment: 'u', password: 'p',
    candidates: [{ component: 1, foundation: '1', ip: '127.0.0.1', port: 5000, priority: 1, protocol: 'udp', type: 'host' }],
    fingerprints: [{ algorithm: 'sha-256', value: 'AA', setup }],
  }) as unknown as JingleContent['transport'];
  const content = (name: string, creator: 'initiator' | 'responder', senders: JingleContent['senders'], media: 'audio' | 'video' = 'audio'): JingleContent =>
    ({ name, creator, senders, application: rtp(media), transport: transport('actpass') });
  const setupOf = (c: JingleContent) => (c.transport as JingleIce).fingerprints![0]!.setup;

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

  it('answers setup passive instead of actpass (RFC 5763 §5, PROFILE.answer.setupFor), without candidates', () => {
    for (const c of out) {
      assert.deepEqual((c.transport as JingleIce).candidates, []);
      assert.equal(setupOf(c), 'passive');
    }
  });

  it('an answer translates to SDP with setup:passive on every m-line', () => {
    const sdp = jingleToSdp({ contents: out.map((c) => ({ ...c, transport: answerTransport(transport('actpass')) })), groups: [] }, 'initiator');
    assert.equal(sdp.split('\r\n').filter((l) => l === 'a=setup:passive').length, out.length, sdp);
  });

  it('a receive-only participant content stays inactive towards the room, and a decided role is kept', () => {
    const [c] = completeAnswer({ offered: [offered[0]!], own: [content('0', 'initiator', 'responder')], accepted: new Map(), transport: transport('active') });
    assert.equal(c!.senders, 'none');
    assert.equal(setupOf(c!), 'active');
  });
});

describe('one module for the browser and Node', function () {
  this.timeout(60_000); // esbuild takes well under a second, but the machine is shared
  const dir = new URL('../../xmpp/jingle-sdp/', import.meta.url);

  it('imports nothing but StanzaJS and itself, and no Node or DOM API', () => {
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
      const text = readFileSync(new URL(f, dir), 'utf8');
      for (const [, spec] of text.matchAll(/from '([^']+)'/g)) assert.ok(spec!.startsWith('./') || spec!.startsWith('stanza'), `${f} imports ${spec}`);
      assert.doesNotMatch(text, /\b(window|document|navigator|Buffer|process)\./, f);
    }
  });

  it('bundles for the browser with esbuild, as the web client does', async () => {
    const out = await build({
      entryPoints: [new URL('index.ts', dir).pathname], bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent',
      define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
    });
    assert.deepEqual(out.errors, []);
    assert.ok(out.outputFiles[0]!.text.includes('jitsi.org/jitmeet'));
  });
});
