// The fixture cases of test/xmpp/jingle-sdp/, run by test/xmpp/jingle-sdp.test.ts. Each case is a
// triple <name>.{xml,json,sdp}. A case's origin is the file that was given; the other two were
// derived from it with write.ts and checked by hand, and the `expect` lines below hold what each
// case is there to prove, independently of the derived files.
import type { Role } from '../../../xmpp/jingle-sdp/index.js';

export interface Case {
  name: string;
  /**
   * 'jingle': a peer's stanza (the .xml is given): the translation makes SDP of it.
   * 'sdp': a local WebRTC stack's description (the .sdp is given): the translation makes Jingle of it.
   */
  origin: 'jingle' | 'sdp';
  /** The session role of whoever wrote the description. */
  role: Role;
  /** For an 'sdp' case: the action of the stanza it is sent in. */
  action?: 'session-initiate' | 'session-accept' | 'content-add';
  /** Owner labels put on contents after translation (a room's content-add): content name -> occupant JID. */
  owners?: Record<string, string>;
  /** A transport-info: the .sdp holds only the candidate attributes. */
  candidatesOnly?: boolean;
  /** Why the SDP of this case cannot come back through Jingle unchanged (the sdp -> json -> sdp check is left out). */
  noRoundTrip?: string;
  /** What the case proves: [SDP line that must be present, why]. */
  sdpHas?: Array<[string, string]>;
  /** [pattern the SDP must not match, why]. */
  sdpLacks?: Array<[RegExp, string]>;
  /** [pattern the serialized <jingle/> must match, why]. */
  xmlHas?: Array<[RegExp, string]>;
  /** [pattern the serialized <jingle/> must not match, why]. */
  xmlLacks?: Array<[RegExp, string]>;
}

const BOB = 'standup@call.example/Bob';
const CAROL = 'standup@call.example/Carol';
const NO_PREFIX: [RegExp, string] = [/xmlns:|<[a-z-]+:[a-z]/, 'namespaces as default xmlns, never as prefixes (PROFILE.outgoing.defaultNamespaces)'];

export const CASES: Case[] = [
  {
    name: 'xep0167-example1', origin: 'jingle', role: 'initiator',
    noRoundTrip: 'without DTLS the m-line is rejected (port 0), and a rejected m-line carries no ICE back',
    sdpHas: [
      ['m=audio 0 UDP/TLS/RTP/SAVPF 96 97 18 0 103 98', 'payload types in order; without DTLS (XEP-0320) WebRTC cannot use the section: port 0'],
      ['a=rtpmap:96 speex/16000', 'clockrate attribute'],
      ['a=rtpmap:18 G729/8000', 'RFC 3551 static payload type without clockrate gets its rate (PROFILE.incoming.staticClockRates)'],
      ['a=rtpmap:0 PCMU/8000', 'RFC 3551 static payload type'],
      ['a=rtpmap:103 L16/16000/2', 'channels'],
      ['a=mid:voice', 'content name is the mid'],
      ['a=ice-ufrag:8hhy', 'XEP-0176 ufrag'],
      ['a=ice-pwd:asd88fgpdd777uzjYhagZg', 'XEP-0176 pwd'],
      ['a=candidate:1 1 UDP 2130706431 10.0.1.1 8998 typ host', 'host candidate'],
      ['a=candidate:2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 10.0.1.1 rport 8998', 'srflx candidate with its related address'],
    ],
  },
  {
    name: 'xep0176-transport-info', origin: 'jingle', role: 'initiator', candidatesOnly: true,
    sdpHas: [['a=candidate:3 1 UDP 1694498815 192.0.2.1 3478 typ srflx raddr 10.0.1.1 rport 8998', 'a trickled candidate is one SDP candidate attribute']],
  },
  {
    name: 'xep0320-example1', origin: 'jingle', role: 'initiator',
    sdpHas: [
      ['a=fingerprint:sha-256 02:1A:CC:54:27:AB:EB:9C:53:3F:3E:4B:65:2E:7D:46:3F:54:42:CD:54:F1:7A:03:A2:7D:F9:B0:7F:46:19:B2', 'XEP-0320 fingerprint'],
      ['a=setup:actpass', 'XEP-0320 setup role of an offer'],
      ['m=audio 9 UDP/TLS/RTP/SAVPF 0', 'with DTLS the section is usable'],
    ],
  },
  {
    name: 'xep0294-example1', origin: 'jingle', role: 'initiator',
    sdpHas: [
      ['a=extmap:1 urn:ietf:params:rtp-hdrext:toffset', 'XEP-0294 §5: rtp-hdrext is an extmap'],
      ['a=extmap:4907 urn:ietf:params:rtp-hdrext:ntp-64', 'an id of the two-byte range'],
    ],
  },
  {
    name: 'xep0294-example5', origin: 'jingle', role: 'initiator',
    sdpHas: [
      ['a=extmap:1 URI-toffset', 'XEP-0294 Example 4 <-> 5'],
      ['a=extmap:2/sendonly URI-gps-string', "senders='initiator' is a direction: the initiator only sends it"],
      ['a=extmap:3 URI-frametype', 'XEP-0294 Example 4 <-> 5'],
    ],
  },
  {
    name: 'xep0338-xep0339', origin: 'jingle', role: 'initiator',
    // StanzaJS's SDP model has one SSRC (plus its RTX) per m-line: of XEP-0339's two FID groups only the
    // first reaches the SDP, and the RTX SSRC gets the primary's cname (docs/calls.md, limits).
    noRoundTrip: 'XEP-0339 §4 has no RTX payload type: an SDP parser does not take the FID group without one (RFC 4588 §8.6)',
    sdpHas: [
      ['a=group:BUNDLE voice webcam', 'XEP-0338 group of content names = mids'],
      ['a=ssrc-group:FID 2301230316 386328120', 'XEP-0339 ssrc-group, order kept'],
      ['a=ssrc:2301230316 cname:T5qvrIZj42v//eYQ', 'XEP-0339 source parameter of the primary'],
      ['a=ssrc:386328120 cname:T5qvrIZj42v//eYQ', 'the RTX SSRC of the FID group declared'],
      ['a=rtpmap:18 G729/8000', 'RFC 3551 static clock rate'],
    ],
  },
  {
    name: 'xep0339-rtx-listed-first', origin: 'jingle', role: 'initiator',
    sdpHas: [['a=ssrc-group:FID 2301230316 386328120', 'the group as given'], ['a=ssrc:2301230316 cname:T5qvrIZj42v//eYQ', 'the primary']],
    sdpLacks: [[/m=video(?:(?!a=ssrc:)[\s\S])*a=ssrc:386328120/, 'the primary is the first SSRC of the FID group, not the first <source/> (PROFILE.incoming.primarySsrcGroup)']],
  },
  {
    name: 'conversations-style-video', origin: 'jingle', role: 'initiator',
    sdpHas: [
      ['a=group:BUNDLE 0 1', 'XEP-0338'],
      ['a=fmtp:111 minptime=10;useinbandfec=1', 'codec parameters'],
      ['a=rtcp-fb:111 transport-cc', 'XEP-0293 on a payload type'],
      ['a=rtcp-fb:96 nack pli', 'XEP-0293 with subtype'],
      ['a=rtcp-fb:96 ccm fir', 'XEP-0293'],
      ['a=fmtp:97 apt=96', 'RTX apt'],
      ['a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level', 'XEP-0294'],
      ['a=extmap:13 urn:3gpp:video-orientation', 'XEP-0294'],
      ['a=ssrc-group:FID 3785307227 1150393410', 'primary first, as the FID group says'],
      ['a=msid:my-media-stream my-audio-track', 'XEP-0339 msid parameter -> a=msid (PROFILE.incoming.msidFromSourceParameter)'],
      ['a=msid:my-media-stream my-video-track', 'the same for video'],
      ['a=ssrc:2930542233 cname:sE1L8cBB3bSp5a6k', 'audio SSRC'],
      ['a=ice-ufrag:T4Fv', 'ICE'],
    ],
    sdpLacks: [[/m=video(?:(?!a=ssrc:)[\s\S])*a=ssrc:1150393410/, 'the first a=ssrc of the video is the primary (FID first), not the numerically lower RTX (PROFILE.incoming.primarySsrcGroup)']],
  },
  {
    name: 'conversations-session-initiate', origin: 'jingle', role: 'initiator',
    sdpHas: [['a=group:BUNDLE 0 1', 'Conversations BUNDLEs']],
  },
  {
    name: 'dino-session-initiate', origin: 'jingle', role: 'initiator',
    sdpLacks: [[/a=group:BUNDLE/, 'Dino sends no group: none is invented (RFC 8843 §7.3.3)']],
    sdpHas: [['a=mid:audio', "Dino names contents after their media"], ['a=mid:video', 'one m-line each, own ICE per m-line']],
  },
  {
    name: 'monal-session-initiate', origin: 'jingle', role: 'initiator',
    sdpHas: [['a=setup:actpass', 'Monal offers actpass']],
  },
  {
    name: 'chromium-offer', origin: 'sdp', role: 'initiator', action: 'session-initiate',
    xmlHas: [
      [/<group xmlns="urn:xmpp:jingle:apps:grouping:0" semantics="BUNDLE"><content name="0"\/><content name="1"\/><\/group>/, 'XEP-0338 group from a=group'],
      [/<fingerprint xmlns="urn:xmpp:jingle:apps:dtls:0" hash="sha-256" setup="actpass">/, 'XEP-0320'],
      [/<rtcp-mux\/>/, 'rtcp-mux'],
      [/<rtcp-fb xmlns="urn:xmpp:jingle:apps:rtp:rtcp-fb:0" type="nack" subtype="pli"\/>/, 'XEP-0293 with a default namespace'],
      [/<rtp-hdrext xmlns="urn:xmpp:jingle:apps:rtp:rtp-hdrext:0" /, 'XEP-0294 with a default namespace'],
      [/<parameter name="apt" value="96"\/>/, 'RTX apt'],
      [/<ssrc-group xmlns="urn:xmpp:jingle:apps:rtp:ssma:0" semantics="FID"><source ssrc="696981887"\/><source ssrc="671359643"\/><\/ssrc-group>/, 'FID group, primary first'],
      [/<source xmlns="urn:xmpp:jingle:apps:rtp:ssma:0" ssrc="671359643"><parameter name="cname"/, 'the RTX SSRC declared as a source too (PROFILE.outgoing.declareGroupedSources)'],
    ],
    xmlLacks: [NO_PREFIX, [/<parameter name="[^"]*"\/>/, 'no parameter without a value: Conversations refuses them (PROFILE.outgoing.dropValuelessParameters)']],
  },
  {
    name: 'werift-answer', origin: 'sdp', role: 'responder', action: 'session-accept',
    xmlHas: [
      [/<fingerprint xmlns="urn:xmpp:jingle:apps:dtls:0" hash="sha-256" setup="active">/, 'the answerer takes the DTLS client role'],
      [/<candidate [^>]*generation="0"[^>]*id="c[0-9a-f]{8}"[^>]*network="0"/, 'XEP-0176 §5.2 required attributes (PROFILE.outgoing.candidateDefaults)'],
      [/<content creator="initiator" name="0" senders="initiator">/, 'recvonly answer to the initiator: only the initiator sends'],
    ],
    xmlLacks: [NO_PREFIX],
  },
  {
    name: 'room-content-add', origin: 'sdp', role: 'responder', action: 'content-add',
    owners: { 2: BOB, 3: BOB, 4: CAROL, 5: CAROL },
    xmlHas: [
      [/<source xmlns="urn:xmpp:jingle:apps:rtp:ssma:0" ssrc="4176225061"><parameter name="cname" value="[^"]+"\/><parameter name="msid" value="a1b2c3d4e5f60718 [^"]+"\/><parameter name="owner" value="standup@call.example\/Bob"\/><ssrc-info xmlns="http:\/\/jitsi.org\/jitmeet" owner="standup@call.example\/Bob"\/><\/source>/, 'owner label as a XEP-0339 parameter and as Jitsi ssrc-info, msid as a parameter (PROFILE.owner)'],
      [/ssrc="2028894330"><parameter name="cname" value="[^"]+"\/><parameter name="msid" value="90a1b2c3d4e5f607 [^"]+"\/><parameter name="owner" value="standup@call.example\/Carol"\//, "Carol's video labelled with Carol"],
      [/<stream xmlns="urn:xmpp:jingle:apps:rtp:msid:0" id="a1b2c3d4e5f60718"/, "Bob's audio and video share a stream, so receivers pair them"],
      [/<group xmlns="urn:xmpp:jingle:apps:grouping:0" semantics="BUNDLE"><content name="0"\/><content name="1"\/><content name="2"\/><content name="3"\/><content name="4"\/><content name="5"\/><\/group>/, 'the BUNDLE group of the whole session'],
    ],
    xmlLacks: [NO_PREFIX, [/<content [^>]*name="[01]"[^>]*>(?:(?!<\/content>)[\s\S])*owner/, 'the participant’s own contents carry no owner label']],
  },
  {
    name: 'candidates', origin: 'sdp', role: 'initiator', action: 'session-initiate',
    xmlHas: [
      [/<candidate component="1" foundation="1467250027" [^>]*ip="192.168.1.20" [^>]*port="54321" [^>]*protocol="udp" type="host"\/>/, 'host'],
      [/<candidate [^>]*foundation="435653019" [^>]*port="9" [^>]*protocol="tcp" [^>]*tcptype="active" type="host"\/>/, 'RFC 6544 active TCP host'],
      [/<candidate [^>]*foundation="2999745851" [^>]*protocol="tcp" [^>]*tcptype="passive" type="host"\/>/, 'RFC 6544 passive TCP host'],
      [/<candidate [^>]*foundation="842163049" [^>]*rel-addr="192.168.1.20" rel-port="54321" type="srflx"\/>/, 'srflx with related address'],
      [/<candidate [^>]*foundation="3186125133" [^>]*ip="203.0.113.7" [^>]*rel-addr="198.51.100.4" rel-port="61002" type="relay"\/>/, 'relay (TURN) with related address'],
    ],
    xmlLacks: [NO_PREFIX],
    sdpHas: [
      ['a=candidate:435653019 1 TCP 1518280447 192.168.1.20 9 typ host tcptype active', 'TCP candidates keep tcptype (RFC 6544 §4.5)'],
      ['a=candidate:3186125133 1 UDP 41885439 203.0.113.7 64001 typ relay raddr 198.51.100.4 rport 61002', 'relay'],
    ],
  },
];
