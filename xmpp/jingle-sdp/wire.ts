// Jingle on the wire: StanzaJS's JXT definitions (XEP-0166/0167/0176/0293/0294/0320/0338/0339),
// with what the interop profile adds. The web client applies it to its StanzaJS client's registry;
// the call service builds its own registry with it.
import { JXT, Stanzas } from 'stanza';
import type { JingleRtpSource } from 'stanza/protocol/index.js';
import { PROFILE } from './profile.js';

const NS_SSMA = 'urn:xmpp:jingle:apps:rtp:ssma:0';

/** A XEP-0339 source as Carillon reads and writes it: with its owner label (PROFILE.owner). */
export type LabelledSource = JingleRtpSource & { owner?: string };

const DEFINITIONS: JXT.DefinitionOptions[] = [
  {
    element: 'source',
    namespace: NS_SSMA,
    fields: { owner: JXT.childAttribute(PROFILE.owner.namespace, PROFILE.owner.element, PROFILE.owner.attribute) },
  },
];

interface PrefixedExporter { optionalNamespaces?: Map<string, string> }
interface RegistryInternals { translators?: Map<string, { exporters?: Map<string, PrefixedExporter> }> }

/**
 * PROFILE.outgoing.defaultNamespaces. StanzaJS offers no option for it: the prefixes come from
 * `optionalNamespaces` of its XEP-0167 definition, kept per exporter inside the registry, and
 * defining more cannot remove them. So they are cleared there, in this one place; if a StanzaJS
 * version keeps them elsewhere this throws at startup instead of sending prefixed XML.
 */
function writeDefaultNamespaces(registry: JXT.Registry): void {
  const translators = (registry as unknown as RegistryInternals).translators;
  const rtp = translators?.get('{urn:xmpp:jingle:apps:rtp:1}description');
  if (!translators || !rtp?.exporters) throw new Error('StanzaJS registry internals changed: cannot write default namespaces');
  for (const t of translators.values()) {
    for (const e of t.exporters?.values() ?? []) e.optionalNamespaces?.clear();
  }
}

/** Adds the profile's definitions to a registry (a StanzaJS client's `stanzas`); returns it. */
export function useJingleWire(registry: JXT.Registry): JXT.Registry {
  registry.define(DEFINITIONS);
  if (PROFILE.outgoing.defaultNamespaces) writeDefaultNamespaces(registry);
  return registry;
}

/** A registry of all StanzaJS stanza definitions with the profile's (for code without a StanzaJS client). */
export function jingleRegistry(): JXT.Registry {
  const registry = new JXT.Registry();
  registry.define(Stanzas.default);
  return useJingleWire(registry);
}

/** A copy of a content with every source labelled with its owner (PROFILE.owner). */
export function labelSources<T extends { application?: unknown }>(content: T, owner: string, screen = false): T {
  const copy = structuredClone(content);
  const app = copy.application as { sources?: LabelledSource[] } | undefined;
  for (const src of app?.sources ?? []) {
    src.owner = owner;
    src.parameters = { ...src.parameters, [PROFILE.owner.parameter]: owner };
    if (screen) src.parameters[SCREEN_PARAMETER.name] = SCREEN_PARAMETER.value;
  }
  return copy;
}

/**
 * A shared screen among a participant's sources: a XEP-0339 source parameter borrowing RFC 4796's
 * `a=content:slides` (Carillon's own marker; clients that do not know it see one more video).
 */
export const SCREEN_PARAMETER = { name: 'content', value: 'slides' } as const;

/** The owner label of a content's sources: the XEP-0339 parameter, else the ssrc-info element. */
export function sourceOwner(content: { application?: unknown }): string | undefined {
  const sources = (content.application as { sources?: LabelledSource[] } | undefined)?.sources ?? [];
  for (const src of sources) {
    const owner = src.parameters?.[PROFILE.owner.parameter] ?? src.owner;
    if (owner) return owner;
  }
  return undefined;
}
