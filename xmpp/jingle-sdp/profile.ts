// The interop profile: what Carillon changes between StanzaJS's literal Jingle <-> SDP translation
// and what real peers send and accept. Every rule is data here, with why and who needs it; the
// translation code (jingle-to-sdp.ts, sdp-to-jingle.ts, candidates.ts, answer.ts, wire.ts) only
// reads it. To add a rule: add it here, use it there, and add a fixture case that fails without it
// (docs/calls.md, "The Jingle <-> SDP translation").

/** What a Jingle content's <description media=…/> says. */
export type Media = 'audio' | 'video';

export const PROFILE = {
  incoming: {
    /**
     * RFC 3551 §6: static payload types may omit the clock rate in Jingle (XEP-0167 Example 1 sends
     * <payload-type id='18' name='G729'/>), but an SDP rtpmap must name it, and libwebrtc refuses an
     * rtpmap without one. Monal and older Jingle clients (Psi, Jitsi desktop) leave it out.
     */
    staticClockRates: {
      0: 8000, 3: 8000, 4: 8000, 5: 8000, 6: 16000, 7: 8000, 8: 8000, 9: 8000, 10: 44100, 11: 44100,
      12: 8000, 13: 8000, 14: 90000, 15: 8000, 16: 11025, 17: 22050, 18: 8000,
      25: 90000, 26: 90000, 28: 90000, 31: 90000, 32: 90000, 33: 90000, 34: 90000,
    } as Readonly<Record<string, number>>,
    /** A dynamic payload type without a clock rate: the usual rate of its media (RFC 3551 §4.5, §4.6). */
    defaultClockRate: { audio: 8000, video: 90000 } as Readonly<Record<Media, number>>,
    /**
     * XEP-0339: Conversations, Dino and Monal describe every SSRC with <source/> and pair primary and
     * RTX with <ssrc-group semantics='FID'/>, without XEP-0167's `ssrc` attribute on <description/>.
     * StanzaJS writes a=ssrc lines only from that attribute, so it is filled in: the first SSRC of
     * this group is the primary (RFC 5576 §4.2; RFC 4588 §8.1 lists primary then RTX), else the
     * first <source/>. The primary's source is moved first (StanzaJS takes the cname from the first
     * one); all other order is kept: it is meaningful and must never be re-sorted.
     */
    primarySsrcGroup: 'FID',
    /**
     * XEP-0339 §3.2 (msid parameter): Conversations and Dino give the stream and track ids only as
     * <parameter name='msid'/> of a source, not as <stream/>; without a=msid a browser puts the
     * track in a stream of its own and cannot pair audio with video.
     */
    msidFromSourceParameter: 'msid',
  },
  outgoing: {
    /**
     * An fmtp without key=value pairs (libwebrtc's RED: `a=fmtp:63 111/111`) becomes a <parameter/>
     * without a value, which Conversations' SDP writer refuses (the whole call fails). Left out, as
     * Conversations does itself.
     */
    dropValuelessParameters: true,
    /**
     * StanzaJS names the RTX SSRC only inside the FID group; a group that names an SSRC without its
     * own <source/> is refused by libwebrtc-based parsers (Conversations' WebRTC), so every grouped
     * SSRC is declared, with the primary's parameters (cname, msid), after the primary.
     */
    declareGroupedSources: true,
    /** The msid of <stream/> as a XEP-0339 source parameter too, for clients that read it there (Conversations, Dino). */
    msidSourceParameter: 'msid',
    /**
     * XEP-0176 §5.2 makes generation, id and network REQUIRED on every <candidate/>; StanzaJS leaves
     * all three out of what it builds from SDP, and strict parsers (xmpp-parsers, which Monal's
     * Jingle goes through) refuse such a candidate. SDP has no network index: network 0 (one network
     * per peer, as a browser exposes it), generation 0 (RFC 8445 has no generations; an ICE restart
     * changes ufrag and pwd instead). The id is derived from the candidate (candidates.ts).
     */
    candidateDefaults: { generation: 0, network: 0 },
    /**
     * Namespaces as a default xmlns on each element, never as a prefix: StanzaJS declares rtcp-fb
     * and rtp-hdrext once as prefixes on <description/>; valid XML, but several clients' parsers
     * do not resolve prefixes and silently drop those elements (losing rtcp-fb and extmap).
     */
    defaultNamespaces: true,
  },
  answer: {
    /**
     * RFC 5763 §5: an answer cannot say setup:actpass. When Carillon completes an answer from what a
     * participant said in its offer (the call service re-offers to a participant that offered
     * actpass), the participant takes the role left to it: the room is the DTLS client (active)
     * of every session, so the participant is the server (passive).
     */
    setupFor: { actpass: 'passive' } as Readonly<Record<string, string>>,
  },
  /**
   * BUNDLE (RFC 8843) when the peer takes it, one ICE transport per content when it does not: Dino
   * negotiates a transport per content and answers without <group semantics='BUNDLE'/>, which
   * RFC 8843 §7.3.3 allows. With 'max-bundle' Chromium refuses such an answer ("cannot remove m=
   * section ... from already-established BUNDLE group"); 'balanced' gathers per media type, offers
   * the group, and uses whichever the answer says. Peers that BUNDLE still share one transport.
   */
  bundlePolicy: 'balanced' as RTCBundlePolicy,
  /**
   * The owner of a forwarded source in a room call (docs/calls.md): Jitsi Meet's
   * <ssrc-info xmlns='http://jitsi.org/jitmeet' owner=…/> in each <source/>, and the same as a
   * XEP-0339 <parameter name='owner'/> for clients that keep only parsed parameters.
   */
  owner: { parameter: 'owner', namespace: 'http://jitsi.org/jitmeet', element: 'ssrc-info', attribute: 'owner' },
} as const;
