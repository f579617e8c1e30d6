// StanzaJS declares some child namespaces once as prefixes on <description/> (e.g.
// `xmlns:rtcpf='urn:xmpp:jingle:apps:rtp:rtcp-fb:0'` and then `<rtcpf:rtcp-fb/>`). That is valid
// XML, but several XMPP clients' parsers do not resolve prefixes and silently drop such elements
// (losing rtcp-fb and header extensions). Writing a default `xmlns` on each element instead is
// equally valid and understood by everyone.
import type { JXT } from 'stanza';

interface PrefixedExporter { optionalNamespaces?: Map<string, string> }
interface TranslatorInternals { exporters?: Map<string, PrefixedExporter> }
interface RegistryInternals { translators?: Map<string, TranslatorInternals> }

export function writeDefaultNamespaces(registry: JXT.Registry): void {
  const translators = (registry as unknown as RegistryInternals).translators;
  for (const t of translators?.values() ?? []) {
    for (const e of t.exporters?.values() ?? []) e.optionalNamespaces?.clear();
  }
}
