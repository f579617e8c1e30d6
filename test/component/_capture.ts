import { startCallComponent } from '../../component/index.js';
import { startProsody } from './helpers/prosody.js';
import { User, xml } from './helpers/user.js';
import { joinCall, joinRoom, receivesFrom } from './helpers/call-scenario.js';
const prosody = await startProsody(21200);
for (const u of ['alice', 'bob']) prosody.register(u, 'pw');
const component = await startCallComponent({ service: `xmpp://127.0.0.1:${prosody.componentPort}`, domain: prosody.componentDomain, secret: 'secret', media: { bindAddress: '127.0.0.1' } });
const a = await User.connect(prosody.c2sPort, 'localhost', 'alice', 'pw');
const b = await User.connect(prosody.c2sPort, 'localhost', 'bob', 'pw');
const log: string[] = [];
for (const u of [a, b]) {
  const prev = u.onStanza; u.onStanza = (el) => { prev?.(el); if (el.getChild('jingle')) log.push(`RECV ${u.jid}: ${el.toString()}`); };
  const send = u.send.bind(u); u.send = (el) => { if (el.getChild('jingle')) log.push(`SEND ${u.jid}: ${el.toString()}`); return send(el); };
}
const room = 'standup@call.localhost';
await joinRoom(a, room, 'Alice'); await joinRoom(b, room, 'Bob');
const pa = await joinCall(a, room, 1);
const pb = await joinCall(b, room, 2);
await receivesFrom(pa, [`${room}/Bob`]);
await b.send(xml('presence', { to: `${room}/Bob`, type: 'unavailable' }));
await new Promise((r) => setTimeout(r, 1000));
console.log(log.join('\n\n'));
pa.close(); pb.close(); await a.stop(); await b.stop(); await component.stop(); await prosody.stop();
process.exit(0);
