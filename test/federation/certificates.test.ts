// Certificates on s2s: servers with certificates from a CA both trust authenticate with SASL
// EXTERNAL (XEP-0178); with `s2s.requireValidCertificates` a self-signed peer is refused both ways,
// as with Prosody's s2s_secure_auth.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFederation, type Federation } from '../../federation/index.js';
import { startServer, pinEachOther, User, xml, isMessageBody, type TestServer } from './helpers.js';

/** A throwaway CA and certificates for domains (with their subdomains), via openssl. */
function makeCa(dir: string, domains: string[]): { ca: string; files: Record<string, { cert: string; key: string }> } {
  const run = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=Test CA', '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.crt'));
  const files: Record<string, { cert: string; key: string }> = {};
  for (const d of domains) {
    const key = join(dir, `${d}.key`);
    const csr = join(dir, `${d}.csr`);
    const cert = join(dir, `${d}.crt`);
    const ext = join(dir, `${d}.ext`);
    writeFileSync(ext, `subjectAltName=DNS:${d},DNS:*.${d}\nextendedKeyUsage=serverAuth,clientAuth\n`);
    run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${d}`, '-keyout', key, '-out', csr);
    run('x509', '-req', '-in', csr, '-CA', join(dir, 'ca.crt'), '-CAkey', join(dir, 'ca.key'), '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', cert);
    files[d] = { cert, key };
  }
  return { ca: readFileSync(join(dir, 'ca.crt'), 'utf8'), files };
}

describe('federation: certificates, SASL EXTERNAL and requireValidCertificates', function () {
  this.timeout(60000);
  let dir: string;
  let one: TestServer;
  let two: TestServer;
  let loose: TestServer; // self-signed, dialback only
  let fedOne: Federation;
  let fedTwo: Federation;
  let alice: User;
  let bob: User;
  let carol: User;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'carillon-fed-ca-'));
    const { ca, files } = makeCa(dir, ['one.test', 'two.test']);
    const strict = (d: string) => ({ tls: files[d]!, s2s: { port: null, hosts: {}, requireValidCertificates: true } });
    one = await startServer('one.test', strict('one.test'));
    two = await startServer('two.test', strict('two.test'));
    fedOne = await startFederation(one, { port: 0, extraCa: [ca] });
    fedTwo = await startFederation(two, { port: 0, extraCa: [ca] });
    loose = await startServer('loose.test');
    pinEachOther(one, two);
    pinEachOther(one, loose);
    for (const [srv, user] of [[one, 'alice'], [two, 'bob'], [loose, 'carol']] as const) await srv.users.add(`${user}@${srv.config.domain}`, 'pw');
    alice = await User.connect(one.ports.c2s!, 'one.test', 'alice', 'pw');
    bob = await User.connect(two.ports.c2s!, 'two.test', 'bob', 'pw');
    carol = await User.connect(loose.ports.c2s!, 'loose.test', 'carol', 'pw');
    for (const u of [alice, bob, carol]) await u.send(xml('presence'));
  });

  after(async () => {
    for (const u of [alice, bob, carol]) await u?.stop();
    for (const s of [one, two, loose]) await s?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('authenticates both directions with SASL EXTERNAL when certificates are valid', async () => {
    await alice.send(xml('message', { to: 'bob@two.test', type: 'chat' }, xml('body', {}, 'signed hello')));
    await bob.waitFor(isMessageBody('signed hello'));
    await bob.send(xml('message', { to: 'alice@one.test', type: 'chat' }, xml('body', {}, 'signed reply')));
    await alice.waitFor(isMessageBody('signed reply'));
    assert.deepEqual(fedOne.stats.outgoing, [{ from: 'one.test', to: 'two.test', auth: 'sasl-external', tls: 'starttls' }]);
    assert.deepEqual(fedTwo.stats.outgoing, [{ from: 'two.test', to: 'one.test', auth: 'sasl-external', tls: 'starttls' }]);
  });

  it('refuses to send to a peer whose certificate is not valid for it', async () => {
    await alice.send(xml('message', { to: 'carol@loose.test', type: 'chat', id: 'c1' }, xml('body', {}, 'hi carol')));
    const e = await alice.waitFor((el) => el.attrs.id === 'c1' && el.attrs.type === 'error', 8000, 'the bounce');
    assert.ok(e.getChild('error')?.getChild('remote-server-not-found', 'urn:ietf:params:xml:ns:xmpp-stanzas'), e.toString());
    assert.equal(carol.received.some(isMessageBody('hi carol')), false);
  });

  it('refuses a peer with a self-signed certificate instead of falling back to dialback', async () => {
    await carol.send(xml('message', { to: 'alice@one.test', type: 'chat', id: 'c2' }, xml('body', {}, 'hi alice')));
    const e = await carol.waitFor((el) => el.attrs.id === 'c2' && el.attrs.type === 'error', 8000, 'the bounce');
    assert.equal(e.attrs.type, 'error');
    assert.equal(alice.received.some(isMessageBody('hi alice')), false);
  });
});
