// The boundary between the call control plane (rooms, Jingle, policy: component/calls/) and the
// media data plane (ICE, DTLS-SRTP, RTP forwarding). Everything that crosses it is an id or plain,
// structured-cloneable data, so the same interface is served in-process (werift/router.ts) or
// from worker threads over a MessagePort (worker-router.ts). Descriptions cross as SDP text: the
// control plane translates them to and from Jingle; the data plane never sees XMPP.

export type Kind = 'audio' | 'video';

/** Where and how a data plane opens its media sockets. */
export interface MediaSettings {
  /** First UDP port for media (inclusive). */
  portMin?: number;
  /** Last UDP port for media (inclusive). */
  portMax?: number;
  /** Local interface address to bind media sockets to; all IPv4 interfaces when absent. */
  bindAddress?: string;
  /** A connected peer that sends nothing (RTP or RTCP) for this long has failed (default 15 s). */
  inactivityTimeoutMs?: number;
  /** One TCP port for ICE over TCP shared by every peer (werift/ice-tcp.ts); off when absent. */
  tcpPort?: number;
}

/** One media source: what a peer sends on one m-line. */
export interface SourceRef {
  peerId: string;
  /** The m-line's mid on the sending peer's connection. */
  mid: string;
}

/** One forwarded stream on a receiving peer: the m-line (mid) a source is sent out on. */
export interface SinkRef {
  peerId: string;
  mid: string;
}

/** A sendonly m-line to add to a peer, carrying one forwarded source. */
export interface SenderSpec {
  kind: Kind;
  /** The msid stream id of the m-line, shared by an owner's audio and video so receivers pair them. */
  streamId: string;
}

export interface PeerStats {
  peerId: string;
  roomId: string;
  /** RTP received from the peer. */
  packetsIn: number;
  bytesIn: number;
  /** RTP sent out to the peer (forwarded from others). */
  packetsForwarded: number;
  bytesForwarded: number;
  /** Packets the peer reports lost of what we send it (RTCP receiver reports, RFC 3550 §6.4.1). */
  packetsLost: number;
}

export type ConnectionState = 'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

/** Why the data plane gave up on a peer. */
export type FailureReason =
  /** ICE consent lost, DTLS closed, or nothing heard for the inactivity timeout. */
  | 'connectivity'
  /** The data plane itself failed (a worker ended): the peer's media is gone. */
  | 'media';

export type MediaEvent =
  /** A peer started sending on an m-line (a new remote track). */
  | { type: 'source'; peerId: string; kind: Kind; mid: string; msid?: string }
  /** A source of a peer stopped existing (its m-line went away). */
  | { type: 'source-gone'; peerId: string; mid: string }
  | { type: 'state'; peerId: string; ice: string; dtls: string; connection: ConnectionState }
  /** The peer is lost for good; the control plane ends its session. The peer is closed already. */
  | { type: 'peer-failed'; peerId: string; reason: FailureReason; text: string }
  /** Periodic counters of every open peer. */
  | { type: 'stats'; peers: PeerStats[] }
  /**
   * Who speaks in a room, from the RFC 6464 audio levels its peers send: every audio source of the
   * room, sent when one of them starts or stops speaking (at most SPEAKERS_INTERVAL_MS apart).
   */
  | { type: 'speakers'; roomId: string; sources: SpeakerLevel[] };

/** One audio source's loudness over the last interval. */
export interface SpeakerLevel {
  peerId: string;
  mid: string;
  /** Mean RFC 6464 level over the interval: 0 is the loudest (0 dBov), 127 silence (−127 dBov). */
  level: number;
  speaking: boolean;
}

/**
 * A room's peers on one data-plane worker before its next ones go to the least loaded worker
 * (worker-router.ts): the default call cap, so a default room keeps all its forwarding in one thread.
 */
export const DEFAULT_SPREAD_ABOVE = 8;

/** How often a data plane looks at audio levels, hence the most often it sends `speakers` (4/s). */
export const SPEAKERS_INTERVAL_MS = 250;

/** How a forward starts. */
export interface ForwardOptions {
  /** Set up but paused: nothing is sent until setForwarding(sink, true). */
  paused?: boolean;
}

export type MediaListener = (event: MediaEvent) => void;

/**
 * The data plane as the control plane sees it. Peer ids are the control plane's: unique across
 * rooms. Every method settles once the data plane has done the work (or rejects with an Error
 * whose message says why); events arrive through `on`.
 */
export interface MediaRouter {
  /** Open a peer of a room. All peers of one room live in one data plane, so forwarding stays local. */
  createPeer(roomId: string, peerId: string): Promise<void>;
  /** Apply the participant's offer; the local answer SDP (ICE gathered, candidates inside). */
  answer(peerId: string, offerSdp: string): Promise<string>;
  /** Apply a new offer of the participant (its own content-add); `added` are the new m-lines' mids, which only receive. */
  answerAgain(peerId: string, offerSdp: string, added: string[]): Promise<string>;
  /**
   * ICE restart offered by the participant (XEP-0176 §2.4): its new ICE credentials applied to its
   * last description as an offer; resolves to our answer SDP with new credentials and candidates.
   * DTLS and SRTP stay as they are.
   */
  restartIce(peerId: string, remote: { ufrag: string; pwd: string }): Promise<string>;
  /** A trickled remote candidate (an SDP candidate line without "a="), kept if it comes before the offer. */
  addCandidate(peerId: string, candidate: string, mid: string): Promise<void>;
  /** Add one sendonly m-line per spec and create an offer: its SDP and the new m-lines' mids, in order. */
  offerSenders(peerId: string, senders: SenderSpec[]): Promise<{ sdp: string; mids: string[] }>;
  /** Apply the participant's answer to our last offer. */
  applyAnswer(peerId: string, answerSdp: string): Promise<void>;
  /** Forward a source to a sendonly m-line of another peer of the same room (keyframes requested). */
  forward(source: SourceRef, sink: SinkRef, options?: ForwardOptions): Promise<void>;
  /** Stop what is forwarded to that m-line (a no-op if nothing is). */
  unforward(sink: SinkRef): Promise<void>;
  /** Ask the sender of a video source for a keyframe (RTCP PLI, RFC 4585 §6.3.1). */
  requestKeyframe(source: SourceRef): Promise<void>;
  /**
   * Pause (false) or resume (true) what is forwarded to that m-line, keeping it set up (a no-op if
   * nothing is). Resuming asks the source for a keyframe at once, so the picture comes back at
   * the next frame rather than at the sender's next periodic keyframe.
   */
  setForwarding(sink: SinkRef, on: boolean): Promise<void>;
  /** Counters of every open peer. */
  stats(): Promise<PeerStats[]>;
  closePeer(peerId: string): Promise<void>;
  /** Close every peer and the data plane itself. */
  close(): Promise<void>;
  /** Subscribe to events; returns the unsubscribe function. */
  on(listener: MediaListener): () => void;
}

/**
 * What a data-plane worker serves besides the control plane's interface: forwarding between peers
 * of one room on two workers (a room spread over workers, worker-router.ts; werift/links.ts).
 */
export interface DataPlane extends MediaRouter {
  /** Forward a source of a peer on the worker numbered `link` to a sendonly m-line of a peer here. */
  forwardFrom(link: number, source: SourceRef, sink: SinkRef, options?: ForwardOptions): Promise<void>;
  /** Stop everything forwarded here from that peer (it closed on another worker). */
  dropForwardsFrom(peerId: string): Promise<void>;
}

/** The request methods, as sent over a port: a method name and its arguments. */
export type RouterMethod = Exclude<keyof DataPlane, 'on'>;
export type RouterRequest = { [M in RouterMethod]: { id: number; method: M; args: Parameters<DataPlane[M]> } }[RouterMethod];
export type RouterResponse = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
/** What a data-plane worker posts: responses to requests, and events. */
export type WorkerMessage = RouterResponse | { event: MediaEvent };

/** Call a router method from a request (the serving side of the port). */
export async function dispatch(router: DataPlane, req: RouterRequest): Promise<unknown> {
  // async: a method that throws before it returns its promise (werift/router.ts's `peer()` for a
  // peer the worker closed itself, while a request for it was on its way) is a refused request,
  // not an uncaught error that would end the worker thread and every call on it.
  const fn = router[req.method] as ((...args: unknown[]) => Promise<unknown>) | undefined;
  if (typeof fn !== 'function') throw new Error(`no media router method ${String(req.method)}`);
  return fn.apply(router, req.args);
}
