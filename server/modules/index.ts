// The feature modules of the server, one file per specification.
import type { XmppServer } from '../core/server.js';
import { registerCarbons } from './carbons.js';
import { registerDisco } from './disco.js';
import { registerOffline } from './offline.js';
import { registerPep } from './pep/index.js';
import { registerPing } from './ping.js';
import { registerPresence } from './presence.js';
import { registerInBandRegistration } from './register.js';
import { registerRoster } from './roster.js';
import { registerVcard } from './vcard.js';
import { registerVersion } from './version.js';

export function registerModules(server: XmppServer): void {
  registerDisco(server);
  registerRoster(server);
  registerPresence(server);
  registerOffline(server);
  registerPing(server);
  registerVersion(server);
  registerVcard(server);
  registerCarbons(server);
  registerInBandRegistration(server);
  registerPep(server); // after disco: it extends the account's disco#info and disco#items
}
