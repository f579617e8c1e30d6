// The TURN REST credentials (draft-uberti-behave-turn-rest-00 §2.2) that coturn's use-auth-secret
// and eturnal check, the services made from the `turn` settings, and the settings' checks.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { checks } from '../../xmpp/config-checks.js';
import { parseTurnSettings, turnRestCredentials, turnServices, type TurnSettings } from '../../xmpp/turn-credentials.js';

const fail = checks('carillon.json');

describe('TURN REST credentials', () => {
  it('matches a vector computed outside Node (openssl dgst -sha1 -hmac north-wind -binary | base64)', () => {
    const c = turnRestCredentials('north-wind', 'bard@shakespeare.lit', 1700000000);
    assert.equal(c.username, '1700000000:bard@shakespeare.lit');
    assert.equal(c.password, '/14AZLYnFpTlAYiJ8TeVjVlLjqY=');
    assert.equal(c.expires, 1700000000);
  });

  it('is base64(HMAC-SHA1(secret, username)) as the draft defines it', () => {
    for (const [secret, user, expires] of [['s', 'alice@example.org', 1], ['a long secret \u00e9', 'juliet@capulet.lit', 2000000000]] as const) {
      const username = `${expires}:${user}`;
      const expected = createHmac('sha1', Buffer.from(secret, 'utf8')).update(Buffer.from(username, 'utf8')).digest().toString('base64');
      assert.deepEqual(turnRestCredentials(secret, user, expires), { username, password: expected, expires });
    }
  });

  it('has the shape of the draft\u2019s example response ("12334939:mbzrxpgjys", a base64 password)', () => {
    // §2.2 Example: "username" : "12334939:mbzrxpgjys" — "<timestamp>:<username parameter>".
    const c = turnRestCredentials('north-wind', 'mbzrxpgjys', 12334939);
    assert.equal(c.username, '12334939:mbzrxpgjys');
    assert.match(c.username, /^\d+:[^:]+$/);
    // A SHA-1 HMAC is 20 bytes: 28 base64 characters with one '=' of padding.
    assert.match(c.password, /^[A-Za-z0-9+/]{27}=$/);
    assert.equal(Buffer.from(c.password, 'base64').length, 20);
    assert.equal(c.password, 'Cgcn8DSt5R7HIOgH9Ry2lUpVKvI=');
  });

  it('differs per user and per expiry, and refuses a fractional expiry', () => {
    const a = turnRestCredentials('s', 'alice@example.org', 100);
    assert.notEqual(a.password, turnRestCredentials('s', 'bob@example.org', 100).password);
    assert.notEqual(a.password, turnRestCredentials('s', 'alice@example.org', 101).password);
    assert.notEqual(a.password, turnRestCredentials('t', 'alice@example.org', 100).password);
    assert.throws(() => turnRestCredentials('s', 'alice@example.org', 1.5), RangeError);
  });
});

describe('TURN services', () => {
  const turn: TurnSettings = { host: 'turn.example.org', port: 3478, tlsPort: 5349, secret: 's', ttl: 600, transports: ['udp', 'tcp'] };

  it('lists stun, turn per transport and turns, with credentials expiring ttl from now', () => {
    const now = Date.UTC(2024, 0, 1, 12, 0, 0, 500);
    const list = turnServices(turn, 'alice@example.org', now);
    const expires = Math.floor(now / 1000) + 600;
    const cred = turnRestCredentials('s', 'alice@example.org', expires);
    assert.deepEqual(list, [
      { type: 'stun', host: 'turn.example.org', port: 3478, transport: 'udp' },
      { type: 'turn', host: 'turn.example.org', port: 3478, transport: 'udp', restricted: true, ...cred },
      { type: 'turn', host: 'turn.example.org', port: 3478, transport: 'tcp', restricted: true, ...cred },
      { type: 'turns', host: 'turn.example.org', port: 5349, transport: 'tcp', restricted: true, ...cred },
    ]);
    const { tlsPort: _, ...plain } = turn;
    assert.deepEqual(turnServices({ ...plain, transports: ['udp'] }, 'a@b', now).map((s) => `${s.type}/${s.transport}`), ['stun/udp', 'turn/udp']);
  });
});

describe('turn settings', () => {
  it('fills in the defaults', () => {
    assert.deepEqual(parseTurnSettings({ host: 'turn.example.org', secret: 's' }, 'turn', fail), {
      host: 'turn.example.org', port: 3478, secret: 's', ttl: 86400, transports: ['udp', 'tcp'],
    });
    assert.equal(parseTurnSettings({ host: '203.0.113.7', secret: 's', tlsPort: 443 }, 'turn', fail).tlsPort, 443);
  });

  const cases: Array<[string, unknown, string]> = [
    ['not an object', 'turn.example.org', 'turn'],
    ['no secret', { host: 'h' }, 'turn.secret'],
    ['no host', { secret: 's' }, 'turn.host'],
    ['empty secret', { host: 'h', secret: '' }, 'turn.secret'],
    ['a URL as host', { host: 'turn://h:3478', secret: 's' }, 'turn.host'],
    ['port out of range', { host: 'h', secret: 's', port: 70000 }, 'turn.port'],
    ['tlsPort not a number', { host: 'h', secret: 's', tlsPort: '5349' }, 'turn.tlsPort'],
    ['ttl too short', { host: 'h', secret: 's', ttl: 0 }, 'turn.ttl'],
    ['unknown transport', { host: 'h', secret: 's', transports: ['udp', 'tls'] }, 'turn.transports[1]'],
    ['empty transports', { host: 'h', secret: 's', transports: [] }, 'turn.transports'],
    ['unknown key', { host: 'h', secret: 's', realm: 'x' }, 'turn.realm'],
  ];
  for (const [what, raw, key] of cases) {
    it(`names the key: ${what}`, () => {
      assert.throws(() => parseTurnSettings(raw, 'turn', fail), (e: { key?: string }) => e.key === key);
    });
  }
});
