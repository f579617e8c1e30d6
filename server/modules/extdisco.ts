// XEP-0215: External Service Discovery — the STUN/TURN relay of the `turn` key, for the server's
// own signed-in users, with TURN REST credentials made per user and per request
// (xmpp/turn-credentials.ts). Calls between two networks behind NAT need such a relay; see
// docs/nat.md.
//
// Who may ask follows Prosody's mod_external_services (prosody 0.12, plugins/mod_external_services.lua):
// its handlers hook iq-get/host/… only, answer a c2s session, and refuse everyone else with
// <forbidden/> (type auth). Here too: an IQ to the server from one of our client sessions is
// answered; one arriving over federation or from a component (no client session) is forbidden;
// an IQ to an account's bare JID has no handler and gets service-unavailable (RFC 6120 §8.4).
import { StanzaError } from '../../xmpp/errors.js';
import { EXTDISCO_NAMESPACES, answerExtdisco } from '../../xmpp/extdisco.js';
import { parseTurnSettings, turnServices, type TurnSettings } from '../../xmpp/turn-credentials.js';
import type { CarillonConfig } from '../config.js';
import { defineModule } from '../core/module.js';

/** The server's `turn` settings (null when the key is absent). */
export function turnSettings(config: CarillonConfig): TurnSettings | null {
  return (config.modules.turn as TurnSettings | null | undefined) ?? null;
}

export default defineModule<TurnSettings | null>({
  name: 'extdisco',
  config: {
    key: 'turn',
    parse: (raw, c) => (raw === undefined ? null : parseTurnSettings(raw, 'turn', c)),
  },
  setup(m) {
    const turn = m.config;
    if (!turn) {
      m.log.info('no "turn" relay configured: calls between networks behind NAT need one (see docs/nat.md)');
    } else {
      m.log.info({ host: turn.host, port: turn.port, tlsPort: turn.tlsPort, transports: turn.transports }, 'announcing the TURN relay (XEP-0215)');
    }
    for (const ns of EXTDISCO_NAMESPACES) {
      m.iq('get', 'host', ns, ({ payload, from, origin }) => {
        if (!origin || from.domain !== m.server.domain || !from.local) throw new StanzaError('forbidden', 'external services are for this server\u2019s own users');
        return answerExtdisco(payload, () => (turn ? turnServices(turn, from.bare) : []));
      });
    }
  },
});
