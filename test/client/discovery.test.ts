// XEP-0156 host-meta discovery of the WebSocket endpoint, with the examples of the specification.
import { strict as assert } from 'node:assert';
import {
  discoverWebsocket, pageWebsocket, websocketFromJson, websocketFromXrd, type Fetch,
} from '../../client/src/protocol/xep0156-discovery.js';

const XRD = `<?xml version='1.0' encoding='utf-8'?>
<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>
  <Link rel="urn:xmpp:alt-connections:xbosh" href="https://web.example.com:5280/bosh" />
  <Link rel="urn:xmpp:alt-connections:websocket" href="wss://web.example.com:443/ws" />
</XRD>`;
const JSON_DOC = `{"links":[{"rel":"urn:xmpp:alt-connections:xbosh","href":"https://web.example.com:5280/bosh"},
  {"rel":"urn:xmpp:alt-connections:websocket","href":"wss://web.example.com:443/ws"}]}`;

function fakeFetch(pages: Record<string, string>, seen: string[] = []): Fetch {
  return async (url) => {
    seen.push(url);
    if (!(url in pages)) throw new TypeError('Failed to fetch');
    return { ok: true, text: async () => pages[url]! };
  };
}

const page = { protocol: 'https:', host: 'chat.example.org:5443', hostname: 'chat.example.org' };

describe('XEP-0156 WebSocket discovery', () => {
  it('reads the websocket link of Example 2 (XRD)', () => assert.equal(websocketFromXrd(XRD), 'wss://web.example.com:443/ws'));
  it('reads the websocket link of Example 3 (JSON)', () => assert.equal(websocketFromJson(JSON_DOC), 'wss://web.example.com:443/ws'));
  it('finds nothing in a document without one', () => {
    assert.equal(websocketFromJson('{"links":[]}'), undefined);
    assert.equal(websocketFromJson('not json'), undefined);
    assert.equal(websocketFromXrd('<XRD/>'), undefined);
  });
  it('derives the page endpoint from its scheme', () => {
    assert.equal(pageWebsocket({ protocol: 'https:', host: 'a:1' }), 'wss://a:1/xmpp-websocket');
    assert.equal(pageWebsocket({ protocol: 'http:', host: '127.0.0.1:8080' }), 'ws://127.0.0.1:8080/xmpp-websocket');
  });
  it('prefers a manually entered URL and fetches nothing', async () => {
    const seen: string[] = [];
    assert.equal(await discoverWebsocket({ domain: 'example.com', manual: ' ws://x/y ', page, fetch: fakeFetch({}, seen) }), 'ws://x/y');
    assert.deepEqual(seen, []);
  });
  it('asks the account domain first, JSON before XRD', async () => {
    const seen: string[] = [];
    const url = await discoverWebsocket({ domain: 'example.com', page, fetch: fakeFetch({ 'https://example.com/.well-known/host-meta': XRD }, seen) });
    assert.equal(url, 'wss://web.example.com:443/ws');
    assert.deepEqual(seen, ['https://example.com/.well-known/host-meta.json', 'https://example.com/.well-known/host-meta']);
  });
  it('falls back to the page\'s own /xmpp-websocket when the domain has no host-meta', async () => {
    assert.equal(await discoverWebsocket({ domain: 'example.com', page, fetch: fakeFetch({}) }), 'wss://chat.example.org:5443/xmpp-websocket');
  });
  it('asks only the page when it is served by the account domain', async () => {
    const seen: string[] = [];
    await discoverWebsocket({ domain: 'chat.example.org', page, fetch: fakeFetch({}, seen) });
    assert.ok(seen.every((u) => u.startsWith('https://chat.example.org:5443/')), seen.join());
  });
  it('gives up on a host that does not answer within the timeout', async () => {
    const hanging: Fetch = (_url, init) => new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(new Error('aborted'))));
    const t0 = Date.now();
    assert.equal(await discoverWebsocket({ domain: 'slow.example', page, fetch: hanging, timeoutMs: 30 }), 'wss://chat.example.org:5443/xmpp-websocket');
    assert.ok(Date.now() - t0 < 1000);
  });
});
