// The "component" section of `carillon component --config FILE` (the command itself, attached to
// a server, is in attach.test.ts).
import assert from 'node:assert/strict';
import { parseComponentConfig, ComponentConfigError } from '../../component/config.js';

describe('component configuration', () => {
  const ok = { component: { service: 'xmpp://127.0.0.1:5347', domain: 'call.example.org', secret: 's' } };

  it('accepts a minimal config and host/port instead of service', () => {
    assert.deepEqual(parseComponentConfig(ok, 'c.json'), {
      service: 'xmpp://127.0.0.1:5347', domain: 'call.example.org', secret: 's', dataDir: undefined, maxParticipants: undefined, media: undefined, turn: undefined,
      archiveDays: undefined, maxRoomsPerUser: undefined,
    });
    const turned = parseComponentConfig({ component: { ...ok.component, turn: { host: 'turn.example.org', secret: 't', tlsPort: 5349 } } }, 'c.json');
    assert.deepEqual(turned.turn, { host: 'turn.example.org', port: 3478, tlsPort: 5349, secret: 't', ttl: 86400, transports: ['udp', 'tcp'] });
    const hp = parseComponentConfig({ component: { host: 'xmpp.example.org', port: 5275, domain: 'call.example.org', secret: 's',
      media: { portMin: 40000, portMax: 40099, publicAddress: '203.0.113.5' }, maxParticipants: 6 } }, 'c.json');
    assert.equal(hp.service, 'xmpp://xmpp.example.org:5275');
    assert.deepEqual(hp.media, { portMin: 40000, portMax: 40099, publicAddress: '203.0.113.5', bindAddress: undefined, inactivityTimeoutMs: undefined });
    assert.equal(hp.maxParticipants, 6);
    const two = parseComponentConfig({ component: { ...ok.component, media: { workers: 2 } } }, 'c.json');
    assert.equal(two.media?.workers, 2);
    assert.equal(parseComponentConfig({ component: { ...ok.component, media: { workers: 0 } } }, 'c.json').media?.workers, 0);
    assert.equal(parseComponentConfig({ component: { ...ok.component, media: { spreadAbove: 12 } } }, 'c.json').media?.spreadAbove, 12);
    assert.equal(two.media?.spreadAbove, undefined, 'absent: the component applies DEFAULT_SPREAD_ABOVE');
    const rooms = parseComponentConfig({ component: { ...ok.component, archiveDays: 30, maxRoomsPerUser: 5 } }, 'c.json');
    assert.deepEqual([rooms.archiveDays, rooms.maxRoomsPerUser], [30, 5]);
  });

  const cases: Array<[string, unknown, string]> = [
    ['no component object', {}, 'component'],
    ['missing domain', { component: { secret: 's' } }, 'component.domain'],
    ['missing secret', { component: { domain: 'call.x' } }, 'component.secret'],
    ['unknown key', { component: { ...ok.component, secrte: 'x' } }, 'component.secrte'],
    ['bad service', { component: { ...ok.component, service: 'http://x' } }, 'component.service'],
    ['port out of range', { component: { domain: 'call.x', secret: 's', port: 70000 } }, 'component.port'],
    ['half a port range', { component: { ...ok.component, media: { portMin: 40000 } } }, 'component.media.portMax'],
    ['inverted port range', { component: { ...ok.component, media: { portMin: 40010, portMax: 40000 } } }, 'component.media.portMax'],
    ['a fractional worker count', { component: { ...ok.component, media: { workers: 1.5 } } }, 'component.media.workers'],
    ['negative workers', { component: { ...ok.component, media: { workers: -1 } } }, 'component.media.workers'],
    ['a room spread above 0 peers', { component: { ...ok.component, media: { spreadAbove: 0 } } }, 'component.media.spreadAbove'],
    ['two workers with the one ICE-TCP port', { component: { ...ok.component, media: { tcpPort: 3479, workers: 2 } } }, 'component.media.workers'],
    ['negative archive days', { component: { ...ok.component, archiveDays: -1 } }, 'component.archiveDays'],
    ['a room quota that is not a number', { component: { ...ok.component, maxRoomsPerUser: 'ten' } }, 'component.maxRoomsPerUser'],
    ['negative max participants', { component: { ...ok.component, maxParticipants: -1 } }, 'component.maxParticipants'],
    ['turn without a secret', { component: { ...ok.component, turn: { host: 'turn.x' } } }, 'component.turn.secret'],
    ['turn with an unknown transport', { component: { ...ok.component, turn: { host: 'turn.x', secret: 's', transports: ['sctp'] } } }, 'component.turn.transports[0]'],
  ];
  for (const [what, input, key] of cases) {
    it(`names the key: ${what}`, () => {
      assert.throws(() => parseComponentConfig(input, 'conf.json'), (e: unknown) =>
        e instanceof ComponentConfigError && e.key === key && e.message.includes('conf.json') && e.message.includes(`"${key}"`));
    });
  }
});
