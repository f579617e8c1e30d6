// Jingle <-> SDP for the whole of Carillon: the web client and the call service both translate
// through here, on StanzaJS's Jingle objects. Pure and isomorphic (no Node or DOM APIs). The
// interop rules are data in profile.ts; fixtures in test/xmpp/jingle-sdp/. See docs/calls.md.
export { PROFILE } from './profile.js';
export { jingleToSdp, normalizeRemoteJingle, rtpDescription, type Role } from './jingle-to-sdp.js';
export { sdpToJingle, normalizeLocalJingle, type JingleDescription } from './sdp-to-jingle.js';
export { candidateToSdp, sdpToCandidate, completeCandidate, completeCandidates, restrictCandidates, transportCandidates } from './candidates.js';
export { answerTransport, completeAnswer } from './answer.js';
export { jingleRegistry, useJingleWire, labelSources, sourceOwner, SCREEN_PARAMETER, type LabelledSource } from './wire.js';
export type { Jingle, JingleContent } from 'stanza/protocol/index.js';
