// SCRAM against the worked examples of RFC 5802 §5 (SHA-1) and RFC 7677 §3 (SHA-256).
import assert from 'node:assert/strict';
import { makeCredential, verifyPassword } from '../../server/sasl/credentials.js';
import { ScramExchange, SaslFailure, parseClientFirst, decodeSaslName } from '../../server/sasl/scram.js';

const CASES = [
  {
    rfc: 'RFC 5802 §5',
    hash: 'sha1' as const,
    clientFirst: 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL',
    serverNonce: '3rfcNHYJY1ZVvWVs7j',
    salt: 'QSXCR+Q6sek8bf92',
    serverFirst: 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096',
    clientFinal: 'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
    serverFinal: 'v=rmF9pqV8S7suAoZWja4dJRkFsKQ=',
  },
  {
    rfc: 'RFC 7677 §3',
    hash: 'sha256' as const,
    clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
    serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
    salt: 'W22ZaJ0SNY7soEsUEjb6gQ==',
    serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    clientFinal: 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
  },
];

describe('SCRAM (server side)', () => {
  for (const c of CASES) {
    it(`reproduces the ${c.rfc} exchange`, async () => {
      const cred = await makeCredential(c.hash, 'pencil', Buffer.from(c.salt, 'base64'), 4096);
      const ex = new ScramExchange(c.hash, parseClientFirst(c.clientFirst), cred, c.serverNonce);
      assert.equal(ex.serverFirst, c.serverFirst);
      assert.equal(ex.finish(c.clientFinal), c.serverFinal);
    });

    it(`refuses a wrong proof (${c.rfc})`, async () => {
      const cred = await makeCredential(c.hash, 'not pencil', Buffer.from(c.salt, 'base64'), 4096);
      const ex = new ScramExchange(c.hash, parseClientFirst(c.clientFirst), cred, c.serverNonce);
      assert.throws(() => ex.finish(c.clientFinal), (e: unknown) => e instanceof SaslFailure && e.condition === 'not-authorized');
    });
  }

  it('refuses a nonce that is not the one it issued', async () => {
    const c = CASES[0]!;
    const cred = await makeCredential(c.hash, 'pencil', Buffer.from(c.salt, 'base64'), 4096);
    const ex = new ScramExchange(c.hash, parseClientFirst(c.clientFirst), cred, 'other');
    assert.throws(() => ex.finish(c.clientFinal), (e: unknown) => e instanceof SaslFailure && e.condition === 'malformed-request');
  });

  it('parses GS2 headers and saslnames', () => {
    assert.equal(parseClientFirst('y,,n=a=2Cb=3Dc,r=x').username, 'a,b=c');
    assert.equal(parseClientFirst('n,a=admin,n=user,r=x').authzid, 'admin');
    assert.throws(() => parseClientFirst('p=tls-unique,,n=user,r=x'), SaslFailure);
    assert.throws(() => parseClientFirst('n,,r=x'), SaslFailure);
    assert.throws(() => decodeSaslName('a=2'), SaslFailure);
  });

  it('verifies PLAIN passwords against stored keys, with SASLprep (RFC 4013)', async () => {
    const cred = await makeCredential('sha256', 'I\u00ADX', Buffer.from('salt'), 4096); // soft hyphen maps to nothing
    assert.equal(await verifyPassword(cred, 'sha256', 'IX'), true);
    assert.equal(await verifyPassword(cred, 'sha256', 'ix'), false);
    assert.equal(await verifyPassword(cred, 'sha256', 'a\u0007'), false); // prohibited character
  });
});
