// XEP-0215 v2: service entries from the specification's examples become RTCIceServers.
import { strict as assert } from 'node:assert';
import { createClient, JXT } from 'stanza';
import { iceServersFromServices, NS_EXTDISCO } from '../../client/src/protocol/xep0215-extdisco.js';

const registry = createClient({}).stanzas;

describe('XEP-0215 external service discovery', () => {
  it('reads the v2 namespace and maps STUN/TURN to ICE servers (Example 2 shape)', () => {
    const iq = registry.import(JXT.parse(`<iq xmlns='jabber:client' from='shakespeare.lit' to='bard@shakespeare.lit/globe' id='ul2bc7y6' type='result'>
      <services xmlns='${NS_EXTDISCO}'>
        <service host='stun.shakespeare.lit' port='9998' transport='udp' type='stun'/>
        <service expires='2026-11-21T02:00:00Z' host='turn.shakespeare.lit' password='jj929jkj5sadjfj93v3n' port='3478' restricted='1' transport='udp' type='turn' username='nb78932lkjlskjfdb7g8'/>
        <service host='turn.shakespeare.lit' port='3478' transport='tcp' type='turn'/>
        <service host='ftp.shakespeare.lit' port='20' transport='tcp' type='ftp'/>
      </services></iq>`)) as { externalServices?: { version?: string; services?: [] } };
    assert.equal(iq.externalServices?.services?.length, 4);
    assert.deepEqual(iceServersFromServices(iq.externalServices?.services ?? []), [
      { urls: 'stun:stun.shakespeare.lit:9998' },
      { urls: 'turn:turn.shakespeare.lit:3478?transport=udp', username: 'nb78932lkjlskjfdb7g8', credential: 'jj929jkj5sadjfj93v3n' },
    ]);
  });

  it('brackets IPv6 hosts', () => {
    assert.deepEqual(iceServersFromServices([{ type: 'stun', host: '::1', port: 3478 }]), [{ urls: 'stun:[::1]:3478' }]);
  });
});
