// What the contact's clients can do, for the check before ringing (calls.ts): the XEP-0115 caps
// each available full JID announced in its presence, and its XEP-0030 disco#info features, asked
// once per resource and caps `ver` (the hash is not verified, so answers are not shared between JIDs).
import type { Agent } from 'stanza';
import type { PeerResource } from '../protocol/call-checks.js';

/** How long the check before ringing waits for a client's disco#info answer before ringing anyway. */
const DISCO_TIMEOUT_MS = 4000;

/** Starts following presence; the returned function lists a contact's resources with their features. */
export function watchPeerCapabilities(client: Agent, resourcesOf: (peer: string) => readonly string[] | undefined): (peer: string) => Promise<PeerResource[] | undefined> {
  /** XEP-0115: the caps each available full JID announced, and the features learnt for it. */
  const caps = new Map<string, { ver?: string; node?: string; features?: Promise<readonly string[] | undefined> }>();
  client.on('presence', (p) => {
    if (!p.from) return;
    if (p.type === 'unavailable' || p.type === 'error') { caps.delete(p.from); return; }
    if (p.type !== undefined) return; // subscription requests say nothing about a client
    const c = p.legacyCapabilities?.[0];
    const known = caps.get(p.from);
    if (known && known.ver === c?.value) return; // same caps: what we learnt still holds
    caps.set(p.from, { ...(c ? { ver: c.value, node: c.node } : {}) });
  });

  /** The disco#info features of one resource (XEP-0030), by its caps node when it sent one. */
  function featuresOf(full: string): Promise<readonly string[] | undefined> {
    let entry = caps.get(full);
    if (!entry) { entry = {}; caps.set(full, entry); }
    if (entry.features) return entry.features;
    const node = entry.node && entry.ver ? `${entry.node}#${entry.ver}` : undefined;
    const query = client.getDiscoInfo(full, node).then(
      (info) => info.features ?? [],
      // an error answer means the client has no disco#info to give: it cannot negotiate Jingle;
      // no answer in time means we do not know, and the call rings anyway
      (err: { error?: { condition?: string } }) => (err?.error?.condition ? [] : undefined),
    );
    const timeout = new Promise<undefined>((r) => setTimeout(() => r(undefined), DISCO_TIMEOUT_MS));
    const result = Promise.race([query, timeout]);
    entry.features = result;
    void result.then((f) => { if (f === undefined && caps.get(full) === entry) delete entry.features; });
    return result;
  }

  return async function peerCapabilities(peer: string): Promise<PeerResource[] | undefined> {
    const resources = resourcesOf(peer);
    if (!resources) return undefined;
    return Promise.all(resources.map(async (jid) => {
      const features = await featuresOf(jid);
      return features ? { jid, features } : { jid };
    }));
  };
}
