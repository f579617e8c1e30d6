// The native clients' stanzas in fixtures/native/, parsed with StanzaJS's definitions (as the web
// client reads them): JMI messages by their id, Jingle requests by their id (si, ti, sa).
import { readFileSync } from 'node:fs';
import { JXT } from 'stanza';
import type { IQ, Jingle, Message } from 'stanza/protocol/index.js';

export interface NativeClient {
  name: string;
  file: string;
  /** What its fixture call carries. */
  media: 'audio' | 'video';
  /** Whether it BUNDLEs (RFC 8843, XEP-0338 group) in its offers and answers. */
  bundle: boolean;
}

export const NATIVE_CLIENTS: readonly NativeClient[] = [
  { name: 'Conversations', file: 'conversations.xml', media: 'video', bundle: true },
  { name: 'Monal', file: 'monal.xml', media: 'audio', bundle: true },
  { name: 'Movim', file: 'movim.xml', media: 'video', bundle: true },
  { name: 'Dino', file: 'dino.xml', media: 'video', bundle: false },
];

export interface NativeFixture {
  messages: Map<string, Message & { from?: string; to?: string }>;
  jingle: Map<string, Jingle>;
  /** The XML text of each stanza, by id. */
  xml: Map<string, string>;
}

interface Registry { import(xml: JXT.XMLElement): unknown }

export function nativeFixture(client: NativeClient, stanzas: Registry): NativeFixture {
  const text = readFileSync(new URL(`./fixtures/native/${client.file}`, import.meta.url), 'utf8').replace(/<!--[\s\S]*?-->/g, '');
  const root = JXT.parse(text);
  const out: NativeFixture = { messages: new Map(), jingle: new Map(), xml: new Map() };
  for (const child of root.children) {
    if (typeof child === 'string') continue;
    child.attributes.xmlns ??= 'jabber:client';
    const id = child.attributes.id!;
    out.xml.set(id, child.toString());
    const parsed = stanzas.import(JXT.parse(child.toString())) as (IQ & { jingle?: Jingle }) | Message;
    if (child.name === 'iq') out.jingle.set(id, (parsed as IQ & { jingle: Jingle }).jingle);
    else out.messages.set(id, parsed as Message);
  }
  return out;
}
