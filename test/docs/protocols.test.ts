// docs/protocols.md and docs/carillon.doap say what Carillon implements; this test holds them to
// the running product. A server with every part enabled (the call service included) is asked what
// it announces — stream features before and after authentication, disco#info of the server, of an
// account, and of every service in the server's disco#items — and that must be exactly what the
// table's "Announced" column lists, place by place. The DOAP file must name the same
// specifications with the same versions and statuses as the table.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseXml, type Element } from '../../xmpp/xml.js';
import { connect, startTestServer, stopAll, xml, type TestServer, type XmlElement, type XmppClient } from '../server/helpers.js';

const DOCS = fileURLToPath(new URL('../../docs/', import.meta.url));
const DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';

interface Row {
  spec: string;
  version: string;
  status: string;
  part: string;
  /** place → features announced there */
  announced: Map<string, string[]>;
}

/** The rows of every table in docs/protocols.md whose first column names an RFC or a XEP. */
function readTable(): Row[] {
  const md = readFileSync(join(DOCS, 'protocols.md'), 'utf8');
  const rows: Row[] = [];
  for (const line of md.split('\n')) {
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    if (cells.length < 5) continue;
    const spec = /^\[?((?:RFC \d{4})|(?:XEP-\d{4}))/.exec(cells[0]!)?.[1];
    if (!spec) continue;
    const announced = new Map<string, string[]>();
    for (const part of cells[4]!.split(';').map((p) => p.trim()).filter((p) => p && p !== '—')) {
      const m = /^(\w+):\s*(.*)$/.exec(part);
      assert.ok(m, `${spec}: "Announced" entries are "place: \`feature\`, …", not "${part}"`);
      const features = [...m[2]!.matchAll(/`([^`]+)`/g)].map((f) => f[1]!);
      announced.set(m[1]!, [...(announced.get(m[1]!) ?? []), ...features]);
    }
    rows.push({ spec, version: cells[1]!, status: cells[2]!, part: cells[3]!, announced });
  }
  return rows;
}

/** The specifications of docs/carillon.doap: spec → version and status. */
function readDoap(): Map<string, { version: string; status: string }> {
  const doap = parseXml(readFileSync(join(DOCS, 'carillon.doap'), 'utf8'));
  const project = doap.getChild('Project')!;
  const out = new Map<string, { version: string; status: string }>();
  for (const impl of project.getChildren('implements')) {
    const rfc = /rfc(\d{4})/.exec(impl.attrs['rdf:resource'] ?? '');
    if (rfc) {
      out.set(`RFC ${rfc[1]}`, { version: '', status: 'complete' });
      continue;
    }
    const xep = impl.getChild('SupportedXep');
    if (!xep) continue;
    const n = /xep-(\d{4})/.exec(xep.getChild('xep')?.attrs['rdf:resource'] ?? '')?.[1];
    assert.ok(n, `a SupportedXep without its xmpp:xep: ${xep.toString()}`);
    out.set(`XEP-${n}`, { version: xep.getChildText('version') ?? '', status: xep.getChildText('status') ?? '' });
  }
  return out;
}

const features = (q: XmlElement | Element): string[] => q.getChildren('feature').map((f) => f.attrs.var as string);

describe('docs/protocols.md and docs/carillon.doap', () => {
  let srv: TestServer;
  let alice: XmppClient | undefined;
  const live = new Map<string, Set<string>>();
  const add = (place: string, vars: Iterable<string>) => {
    const s = live.get(place) ?? new Set<string>();
    for (const v of vars) s.add(v);
    live.set(place, s);
  };

  before(async function () {
    this.timeout(60_000);
    srv = await startTestServer({ call: { enabled: true }, components: { port: 0, secrets: {} }, registration: { open: true }, turn: { host: '127.0.0.1', port: 3478, secret: 'protocols-test' } });
    await srv.users.add('alice', 'secret');
    // Stream features over TCP (STARTTLS, SASL, then bind), as a native client sees them.
    const streamFeatures: XmlElement[] = [];
    const c = (await import('@xmpp/client')).client({ service: `xmpp://127.0.0.1:${srv.ports.c2s}`, domain: 'localhost', username: 'alice', password: 'secret' });
    (c as unknown as { timeout: number }).timeout = 20_000; // the library's 2 s stream-open wait fails on a loaded machine
    c.on('error', () => {});
    c.on('element', (el: XmlElement) => {
      if (el.is('features', 'http://etherx.jabber.org/streams')) streamFeatures.push(el);
    });
    (c as unknown as { reconnect?: { stop(): void } }).reconnect?.stop();
    await c.start();
    alice = c;
    for (const f of streamFeatures) add('stream', f.children.filter((e): e is XmlElement => typeof e !== 'string').map((e) => e.attrs.xmlns as string));
    const ask = async (to: string, ns: string) => (await alice!.iqCaller.request(xml('iq', { type: 'get', to }, xml('query', { xmlns: ns })))).getChild('query')!;
    add('server', features(await ask('localhost', DISCO_INFO)));
    add('account', features(await ask('alice@localhost', DISCO_INFO)));
    for (const item of (await ask('localhost', DISCO_ITEMS)).getChildren('item')) {
      const jid = item.attrs.jid as string;
      add(jid.split('.')[0]!, features(await ask(jid, DISCO_INFO)));
    }
  });

  after(async () => {
    await stopAll(alice);
    await srv?.stop();
  });

  it('lists every feature the product announces, where it announces it, and nothing it does not', () => {
    const listed = new Map<string, Set<string>>();
    for (const row of readTable()) for (const [place, vars] of row.announced) for (const v of vars) (listed.get(place) ?? listed.set(place, new Set()).get(place)!).add(v);
    for (const [place, vars] of live) {
      const missing = [...vars].filter((v) => !listed.get(place)?.has(v));
      assert.deepEqual(missing, [], `announced in ${place} but not in docs/protocols.md`);
    }
    for (const [place, vars] of listed) {
      if (place === 'client') continue; // the web client's own disco#info is tested with the client (test/client/)
      const extra = [...vars].filter((v) => !live.get(place)?.has(v));
      assert.deepEqual(extra, [], `listed for ${place} in docs/protocols.md but not announced`);
    }
  });

  it('gives each specification once, with a version, a known status and the part that implements it', () => {
    const rows = readTable();
    assert.ok(rows.length > 40, `only ${rows.length} rows read from docs/protocols.md`);
    const seen = new Set<string>();
    for (const r of rows) {
      assert.ok(!seen.has(r.spec), `${r.spec} is listed twice`);
      seen.add(r.spec);
      assert.match(r.status, /^(complete|partial|planned)$/, `${r.spec}: status`);
      assert.ok(r.spec.startsWith('RFC') || /^\d+\.\d+/.test(r.version), `${r.spec}: version "${r.version}"`);
      assert.ok(r.part.length > 0, `${r.spec}: part`);
    }
  });

  it('agrees with docs/carillon.doap, specification by specification', () => {
    const doap = readDoap();
    const rows = readTable().filter((r) => r.status !== 'planned');
    assert.deepEqual([...doap.keys()].sort(), rows.map((r) => r.spec).sort());
    for (const r of rows) {
      if (r.spec.startsWith('RFC')) continue;
      assert.deepEqual(doap.get(r.spec), { version: r.version, status: r.status }, r.spec);
    }
  });

  it('offers what Conversations and Dino look for on a server', () => {
    // What their "server info" screens check (Conversations' XmppConnection.Features, Dino's
    // modules): carbons, blocking, stream management, roster versioning, MAM and PEP with
    // publish-options on the account, STUN/TURN discovery, file uploads, push, client state
    // indication and bookmarks kept in sync (XEP-0402 #compat).
    const want: [string, string][] = [
      ['server', 'urn:xmpp:carbons:2'],
      ['server', 'urn:xmpp:blocking'],
      ['server', 'urn:xmpp:ping'],
      ['server', 'urn:xmpp:extdisco:2'],
      ['stream', 'urn:xmpp:sm:3'],
      ['stream', 'urn:xmpp:features:rosterver'],
      ['account', 'urn:xmpp:mam:2'],
      ['account', 'http://jabber.org/protocol/pubsub#publish-options'],
      ['account', 'urn:xmpp:push:0'],
      ['stream', 'urn:xmpp:csi:0'],
      ['upload', 'urn:xmpp:http:upload:0'],
      ['account', 'urn:xmpp:bookmarks:1#compat'],
    ];
    for (const [place, v] of want) assert.ok(live.get(place)?.has(v), `${v} in ${place}`);
  });
});
