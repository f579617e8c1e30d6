// The server's modules, one file per specification, in the order they are set up. Adding a XEP is
// adding its file here (see core/module.ts).
import type { ModuleDefinition } from '../core/module.js';
import adhoc from './adhoc.js';
import carbons from './carbons.js';
import contactInfo from './contact-info.js';
import disco from './disco.js';
import last from './last.js';
import offline from './offline.js';
import pep from './pep/index.js';
import ping from './ping.js';
import presence from './presence.js';
import register from './register.js';
import roster from './roster.js';
import vcard from './vcard.js';
import version from './version.js';
import blocking from './blocking.js';
import privateStorage from './private.js';
import caps from './caps.js';
import extdisco from './extdisco.js';
import mam from './mam.js';
import bosh from './bosh.js';
import csi from './csi.js';
import push from './push.js';
import upload from './upload/index.js';
import pubsub from './pubsub/index.js';
import avatarSync from './avatar-sync.js';
import bookmarks from './bookmarks.js';

export const MODULES: readonly ModuleDefinition<unknown>[] = [disco, roster, presence, offline, ping, version, vcard, carbons, register, pep, blocking, privateStorage, caps, last, contactInfo, adhoc, extdisco, mam, bosh, csi, push, upload, pubsub, avatarSync, bookmarks];
