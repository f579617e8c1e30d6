// XML namespaces used across the server, federation and call component, named after the
// specification that defines them.
export const NS = {
  CLIENT: 'jabber:client',
  SERVER: 'jabber:server',
  COMPONENT: 'jabber:component:accept',
  STREAM: 'http://etherx.jabber.org/streams',
  FRAMING: 'urn:ietf:params:xml:ns:xmpp-framing', // RFC 7395
  STREAMS_ERR: 'urn:ietf:params:xml:ns:xmpp-streams',
  STANZAS_ERR: 'urn:ietf:params:xml:ns:xmpp-stanzas',
  TLS: 'urn:ietf:params:xml:ns:xmpp-tls',
  SASL: 'urn:ietf:params:xml:ns:xmpp-sasl',
  BIND: 'urn:ietf:params:xml:ns:xmpp-bind',
  SESSION: 'urn:ietf:params:xml:ns:xmpp-session',
  ROSTER: 'jabber:iq:roster',
  REGISTER: 'jabber:iq:register',
  REGISTER_FEATURE: 'http://jabber.org/features/iq-register',
  DISCO_INFO: 'http://jabber.org/protocol/disco#info',
  DISCO_ITEMS: 'http://jabber.org/protocol/disco#items',
  PING: 'urn:xmpp:ping',
  VERSION: 'jabber:iq:version',
  DELAY: 'urn:xmpp:delay',
  VCARD: 'vcard-temp',
  CARBONS: 'urn:xmpp:carbons:2',
  FORWARD: 'urn:xmpp:forward:0',
  HINTS: 'urn:xmpp:hints',
  CHATSTATES: 'http://jabber.org/protocol/chatstates',
  DATA: 'jabber:x:data',
  PRIVATE: 'jabber:iq:private',
  DIALBACK: 'jabber:server:dialback',
  DIALBACK_FEATURE: 'urn:xmpp:features:dialback',
  RSM: 'http://jabber.org/protocol/rsm', // XEP-0059
  SID: 'urn:xmpp:sid:0', // XEP-0359
  EXTDISCO: 'urn:xmpp:extdisco:2', // XEP-0215
  EXTDISCO_1: 'urn:xmpp:extdisco:1', // XEP-0215 before 0.7 (no restricted, expires)
  // XEP-0045 Multi-User Chat
  MUC: 'http://jabber.org/protocol/muc',
  MUC_USER: 'http://jabber.org/protocol/muc#user',
  MUC_ADMIN: 'http://jabber.org/protocol/muc#admin',
  MUC_OWNER: 'http://jabber.org/protocol/muc#owner',
  MUC_ROOMCONFIG: 'http://jabber.org/protocol/muc#roomconfig',
  MUC_ROOMINFO: 'http://jabber.org/protocol/muc#roominfo',
  CONFERENCE: 'jabber:x:conference', // XEP-0249 direct invitations
  CALL_INVITES: 'urn:xmpp:call-invites:0', // XEP-0482
  // Jingle (XEP-0166) and its RTP sessions, transports and extensions
  JINGLE: 'urn:xmpp:jingle:1',
  JINGLE_ERRORS: 'urn:xmpp:jingle:errors:1',
  JINGLE_RTP: 'urn:xmpp:jingle:apps:rtp:1', // XEP-0167
  JINGLE_RTP_INFO: 'urn:xmpp:jingle:apps:rtp:info:1', // XEP-0167 §7
  JINGLE_AUDIO: 'urn:xmpp:jingle:apps:rtp:audio',
  JINGLE_VIDEO: 'urn:xmpp:jingle:apps:rtp:video',
  JINGLE_ICE: 'urn:xmpp:jingle:transports:ice-udp:1', // XEP-0176
  JINGLE_DTLS: 'urn:xmpp:jingle:apps:dtls:0', // XEP-0320
  SSMA: 'urn:xmpp:jingle:apps:rtp:ssma:0', // XEP-0339
  GROUPING: 'urn:xmpp:jingle:apps:grouping:0', // XEP-0338
  JINGLE_MSID: 'urn:xmpp:jingle:apps:rtp:msid:0',
  // XEP-0124 BOSH and XEP-0206 XMPP over BOSH
  HTTPBIND: 'http://jabber.org/protocol/httpbind',
  XBOSH: 'urn:xmpp:xbosh',
  // XEP-0352 Client State Indication
  CSI: 'urn:xmpp:csi:0',
  // XEP-0357 Push Notifications: the protocol, its summary form, and the XEP-0060 publish it makes
  PUSH: 'urn:xmpp:push:0',
  PUSH_SUMMARY: 'urn:xmpp:push:summary',
  PUSH_PUBSUB: 'http://jabber.org/protocol/pubsub',
  PUSH_PUBLISH_OPTIONS: 'http://jabber.org/protocol/pubsub#publish-options',
  JMI: 'urn:xmpp:jingle-message:0', // XEP-0353 Jingle Message Initiation (what push treats as a call)
  // XEP-0363 HTTP File Upload
  HTTP_UPLOAD: 'urn:xmpp:http:upload:0',
  // Room archives and voice requests: XEP-0313 Message Archive Management on rooms, XEP-0045 §8.6
  MAM: 'urn:xmpp:mam:2',
  MAM_EXTENDED: 'urn:xmpp:mam:2#extended',
  MUC_REQUEST: 'http://jabber.org/protocol/muc#request',
  // XEP-0084 User Avatar, XEP-0153 vCard-Based Avatars and XEP-0398 the server's conversion between them
  AVATAR_DATA: 'urn:xmpp:avatar:data',
  AVATAR_METADATA: 'urn:xmpp:avatar:metadata',
  VCARD_UPDATE: 'vcard-temp:x:update',
  PEP_VCARD_CONVERSION: 'urn:xmpp:pep-vcard-conversion:0',
  // XEP-0402 PEP Native Bookmarks and the XEP-0048 bookmarks older clients keep
  BOOKMARKS2: 'urn:xmpp:bookmarks:1',
  BOOKMARKS2_COMPAT: 'urn:xmpp:bookmarks:1#compat', // XEP-0402 §5.3: unified with XEP-0049 private storage
  BOOKMARKS2_COMPAT_PEP: 'urn:xmpp:bookmarks:1#compat-pep', // XEP-0402 §5.3: unified with XEP-0048 in PEP
  BOOKMARKS: 'storage:bookmarks', // XEP-0048

  // XEP-0122 Data Forms Validation (the bound of the room's call cap in its configuration form)
  XDATA_VALIDATE: 'http://jabber.org/protocol/xdata-validate',

  // Carillon's own Jingle session-info payload (XEP-0166 §7.2.7): which videos the room has paused
  // for a receiver (last-N) and resumed; see docs/calls.md
  CALL_FORWARDING: 'urn:carillon:call:forwarding:0',
} as const;
