// The StanzaJS client as Carillon configures it: WebSocket only (RFC 7395), the XEP-0353
// definitions StanzaJS lacks, Jingle that BUNDLEs when the peer does and ICE servers from XEP-0215, prefix-free
// XML, and the Jingle↔SDP interop profile (xmpp/jingle-sdp/) on every Jingle request in and out.
// Connection state is reported as plain values; the views decide what to show.
import { createClient, type Agent, type AgentConfig } from 'stanza';
import type { IQ, Jingle } from 'stanza/protocol/index.js';
import { domainOf } from './jid.js';
import { JmiProtocol, NS_JMI } from './xep0353-jmi.js';
import { NS_REPLY, RepliesProtocol } from './xep0461-replies.js';
import { PROFILE, normalizeLocalJingle, normalizeRemoteJingle, useJingleWire } from '../../../xmpp/jingle-sdp/index.js';
import { jingleIqError } from './jingle-errors.js';
import { keepIceServers } from '../features/ice-servers.js';

export type ConnectionStatus =
  | { kind: 'offline' }
  | { kind: 'connecting'; url: string }
  | { kind: 'online'; jid: string }
  | { kind: 'reconnecting'; attempt: number }
  | { kind: 'failed'; reason: 'auth' | 'unreachable' | 'other'; message: string };

export interface ConnectOptions {
  jid: string;
  /** The password, or instead `scram`: keys SCRAM signs in with (features/saved-session.ts). */
  password?: string;
  scram?: { salt: Uint8Array; clientKey: Uint8Array; serverKey: Uint8Array };
  websocketUrl: string;
  resource?: string;
  /** A stream-management state to resume (XEP-0198 §5), saved by an earlier page of this tab. */
  resume?: object;
  onStatus: (s: ConnectionStatus) => void;
  /** SCRAM's cacheable keys after a successful authentication (never the password). */
  onScramKeys?: (keys: { salt?: Uint8Array; clientKey?: Uint8Array; serverKey?: Uint8Array }) => void;
  /** The session started afresh (`resumed` false) or continued an earlier page's stream (`true`). */
  onSession?: (resumed: boolean) => void;
}

export interface Connection {
  client: Agent;
  close(): Promise<void>;
  /**
   * The page is going away but the session should live on for the next page of this tab: the
   * socket just closes, and the server keeps the session for resumption (XEP-0198 §5).
   */
  suspend(): void;
  /**
   * The page is going away: write the stream's end now (RFC 7395 §3.6), so that the server ends
   * the session at once instead of keeping it for resumption (XEP-0198) and showing us online.
   */
  leave(): void;
}

/**
 * Writes a stanza to the WebSocket at once, past StanzaJS's asynchronous send queue: on `pagehide`
 * nothing queued for later gets out. Returns false when there is no open socket.
 */
export function sendNow(client: Agent, kind: 'iq' | 'message' | 'presence', stanza: object): boolean {
  const socket = (client.transport as { socket?: WebSocket } | undefined)?.socket;
  const xml = client.stanzas.export(kind, stanza as never)?.toString();
  if (!socket || socket.readyState !== 1 || !xml) return false;
  socket.send(xml);
  return true;
}

/** XEP-0115 node naming this client; other clients decide from its features whether to offer calls. */
export const CAPS_NODE = 'urn:carillon:web';

/**
 * For testing relays only: `localStorage['carillon.test.iceTransportPolicy'] = 'relay'` makes every
 * call (1:1 and room calls) use TURN candidates only (W3C webrtc-pc §4.2.1 iceTransportPolicy).
 * Nothing in the interface sets it; a user who has not typed it into the browser's console
 * cannot end up with it. Read at sign-in.
 */
export const RELAY_ONLY_KEY = 'carillon.test.iceTransportPolicy';

function iceTransportPolicy(): RTCIceTransportPolicy {
  try {
    return globalThis.localStorage?.getItem(RELAY_ONLY_KEY) === 'relay' ? 'relay' : 'all';
  } catch {
    return 'all'; // storage refused (privacy settings): the default
  }
}

function randomResource(): string {
  const b = new Uint8Array(4);
  globalThis.crypto.getRandomValues(b);
  return 'carillon-' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** Creates the client, wires the protocol adjustments, and starts connecting. */
export function connect(opts: ConnectOptions): Connection {
  const client = createClient({
    jid: opts.jid,
    ...(opts.password !== undefined ? { password: opts.password } : {}),
    ...(opts.scram ? { credentials: { ...opts.scram } as unknown as AgentConfig['credentials'] } : {}),
    resource: opts.resource ?? randomResource(),
    transports: { websocket: opts.websocketUrl, bosh: false },
    autoReconnect: false, // turned on once a session has started: a wrong password must not loop
    allowResumption: true,
    useStreamManagement: true,
    capsNode: CAPS_NODE,
    jingle: {
      hasRTCPeerConnection: true,
      advertiseFileTransfer: false,
      bundlePolicy: PROFILE.bundlePolicy,
      rtcpMuxPolicy: 'require',
      iceServers: [], // only what the server lists (XEP-0215); host candidates work on a LAN
      iceTransportPolicy: iceTransportPolicy(),
      trickleIce: true,
    },
  });
  if (opts.resume) client.sm.load(opts.resume as Parameters<typeof client.sm.load>[0]);
  client.on('credentials:update', (c) => {
    const { salt, clientKey, serverKey } = c as { salt?: Uint8Array; clientKey?: Uint8Array; serverKey?: Uint8Array };
    opts.onScramKeys?.({ salt, clientKey, serverKey });
  });
  client.stanzas.define(JmiProtocol);
  client.stanzas.define(RepliesProtocol);
  useJingleWire(client.stanzas);
  client.disco.addFeature(NS_JMI);
  client.disco.addFeature(NS_REPLY); // XEP-0461 §2

  // Jingle requests pass through the interop adjustments in both directions.
  const manager = client.jingle;
  const process = manager.process.bind(manager);
  const recent = new Map<string, IQ & { jingle: Jingle }>(); // request id → request, for its error
  manager.process = (req: IQ & { jingle: Jingle }) => {
    if (req.jingle && req.type === 'set') {
      normalizeRemoteJingle(req.jingle);
      if (req.id) recent.set(req.id, req);
      if (recent.size > 32) recent.delete(recent.keys().next().value!);
    }
    process(req);
  };
  // A refused Jingle request gets an error with a defined condition (RFC 6120 §8.3.3, XEP-0166
  // §10), and a session whose description cannot be applied ends instead of waiting for a timer.
  const internal = manager as unknown as { _sendError(to: string, id: string, data: unknown): void };
  const sendError = internal._sendError.bind(manager);
  internal._sendError = (to, id, data) => {
    sendError(to, id, jingleIqError(data));
    const req = recent.get(id);
    recent.delete(id);
    // StanzaJS's own failure to apply a description (setRemoteDescription) is `general-error`
    if ((data as { condition?: string } | undefined)?.condition !== 'general-error') return;
    const session = req && manager.sessions[req.jingle.sid];
    if (!session || session.state === 'ended' || session.peerID !== to) return;
    // XEP-0166 §6.3.2: an initiate answered with an error never started; an accept we cannot
    // apply leaves the peer with a session it thinks is live, so it is terminated (§6.7).
    if (req.jingle.action === 'session-initiate') session.end('failed-application', true);
    if (req.jingle.action === 'session-accept') session.end('failed-application');
  };
  const signal = manager.signal.bind(manager);
  manager.signal = (session, data) => {
    if (data.jingle) {
      normalizeLocalJingle(data.jingle);
      // XEP-0166 §7.1: initiator SHOULD be on session-initiate, responder on session-accept
      if (data.jingle.action === 'session-initiate') data.jingle.initiator ??= client.jid;
      if (data.jingle.action === 'session-accept') data.jingle.responder ??= client.jid;
    }
    signal(session, data);
  };

  let started = false;
  let closing = false;
  let authFailed = false;
  let attempt = 0;

  client.on('auth:failed', () => {
    authFailed = true;
    opts.onStatus({ kind: 'failed', reason: 'auth', message: 'Wrong address or password.' });
    void client.disconnect();
  });
  // XEP-0215 services, asked for again before their credentials expire (features/ice-servers.ts)
  const iceServers = keepIceServers(client, () => domainOf(client.jid));
  const discoverIce = () => iceServers.start();
  // XEP-0198: a resumed stream keeps its roster, presence and calls — also the stream of an
  // earlier page of this tab, whose state the page restored (opts.resume)
  client.on('stream:management:resumed', () => {
    attempt = 0;
    const firstHere = !started;
    started = true;
    client.config.autoReconnect = true;
    opts.onStatus({ kind: 'online', jid: client.jid });
    if (firstHere) {
      opts.onSession?.(true);
      void discoverIce();
    }
  });
  client.on('session:started', async () => {
    started = true;
    attempt = 0;
    client.config.autoReconnect = true;
    opts.onStatus({ kind: 'online', jid: client.jid });
    opts.onSession?.(false);
    await discoverIce();
  });
  client.on('disconnected', () => {
    if (closing || authFailed) return;
    if (!started) {
      client.config.autoReconnect = false;
      opts.onStatus({ kind: 'failed', reason: 'unreachable', message: `Cannot reach the server at ${opts.websocketUrl}.` });
      return;
    }
    attempt += 1;
    opts.onStatus({ kind: 'reconnecting', attempt });
  });
  client.on('stream:error', (err) => {
    if (err.condition === 'conflict') {
      closing = true;
      opts.onStatus({ kind: 'failed', reason: 'other', message: 'Signed in elsewhere with the same device name.' });
    }
  });

  opts.onStatus({ kind: 'connecting', url: opts.websocketUrl });
  client.connect();

  return {
    client,
    suspend() {
      closing = true;
      client.config.autoReconnect = false;
      const socket = (client.transport as { socket?: WebSocket } | undefined)?.socket;
      // an ack first, so the server resends only what this page did not handle
      if (socket?.readyState === 1) {
        socket.send(`<a xmlns='urn:xmpp:sm:3' h='${client.sm.handled}'/>`);
        socket.close();
      }
    },
    leave() {
      closing = true;
      client.config.autoReconnect = false;
      const socket = (client.transport as { socket?: WebSocket } | undefined)?.socket;
      if (socket?.readyState === 1) socket.send("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>");
    },
    async close() {
      closing = true;
      iceServers.stop();
      client.config.autoReconnect = false;
      manager.endAllSessions('gone');
      await client.disconnect();
      opts.onStatus({ kind: 'offline' });
    },
  };
}
