// Finding a peer's s2s endpoints: pins, SRV (RFC 6120 §3.2, XEP-0368), fallback — against a real
// DNS server on loopback.
import assert from 'node:assert/strict';
import { orderSrv, parsePin, resolveServer, addressesOf } from '../../federation/resolve.js';
import { startDns, type TestDns } from './dns-server.js';

describe('s2s endpoint resolution', () => {
  let dns: TestDns;
  let dnsServers: string[];

  before(async () => {
    dns = await startDns({
      'plain.test': { ip: '127.0.0.7', s2sPort: 5999 },
      'both.test': { ip: '127.0.0.8', s2sPort: 5269, s2sTlsPort: 5270 },
    });
    dnsServers = [`127.0.0.1:${dns.port}`];
  });
  after(() => dns.close());

  it('uses a pinned address without asking DNS', async () => {
    assert.deepEqual(await resolveServer('example.org', { pins: { 'example.org': '127.0.0.2:5269' }, dnsServers }), [{ host: '127.0.0.2', port: 5269, directTls: false }]);
    assert.deepEqual(parsePin('[::1]:5270'), { host: '::1', port: 5270, directTls: false });
  });

  it('follows _xmpp-server._tcp SRV records', async () => {
    assert.deepEqual(await resolveServer('plain.test', { pins: {}, dnsServers }), [{ host: 'plain.test', port: 5999, directTls: false }]);
    assert.deepEqual(await addressesOf('plain.test', { dnsServers }), ['127.0.0.7']);
  });

  it('prefers _xmpps-server._tcp (direct TLS) at equal priority (XEP-0368 §3)', async () => {
    assert.deepEqual(await resolveServer('both.test', { pins: {}, dnsServers }), [
      { host: 'both.test', port: 5270, directTls: true },
      { host: 'both.test', port: 5269, directTls: false },
    ]);
  });

  it('falls back to the domain on 5269 without SRV records (RFC 6120 §3.2.2)', async () => {
    assert.deepEqual(await resolveServer('nosrv.example', { pins: {}, dnsServers }), [{ host: 'nosrv.example', port: 5269, directTls: false }]);
    await assert.rejects(addressesOf('nosrv.example', { dnsServers }));
  });

  const r = (name: string, priority: number, weight: number, directTls = false) => ({ name, port: 1, priority, weight, directTls });
  const table: { name: string; records: ReturnType<typeof r>[]; random: number; want: string[] }[] = [
    { name: 'ascending priority', records: [r('b', 20, 0), r('a', 10, 0)], random: 0, want: ['a', 'b'] },
    { name: 'weight picks within a priority', records: [r('light', 10, 1), r('heavy', 10, 99)], random: 0.5, want: ['heavy', 'light'] },
    { name: 'zero weights keep direct TLS first', records: [r('starttls', 5, 0), r('tls', 5, 0, true)], random: 0.9, want: ['tls', 'starttls'] },
  ];
  for (const t of table) {
    it(`orders SRV records (RFC 2782): ${t.name}`, () => {
      assert.deepEqual(orderSrv(t.records, () => t.random).map((e) => e.host), t.want);
    });
  }
});
