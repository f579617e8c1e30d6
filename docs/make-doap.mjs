// Writes docs/carillon.doap (DOAP with the XMPP extensions of https://linkmauve.fr/ns/xmpp-doap#)
// from the tables of docs/protocols.md: `node docs/make-doap.mjs`. test/docs/protocols.test.ts
// checks that the two agree and that the tables match what the product announces.
import { readFileSync, writeFileSync } from 'node:fs';

const here = new URL('.', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('../package.json', here), 'utf8'));
const md = readFileSync(new URL('protocols.md', here), 'utf8');
const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const implementsLines = [];
for (const line of md.split('\n')) {
  const cells = line.split('|').slice(1, -1).map((c) => c.trim());
  if (cells.length < 5) continue;
  const [name, version, status, part] = cells;
  if (status === 'planned') continue;
  const rfc = /^RFC (\d{4})/.exec(name);
  const xep = /^XEP-(\d{4})/.exec(name);
  if (rfc) implementsLines.push(`    <implements rdf:resource="https://www.rfc-editor.org/info/rfc${rfc[1]}"/>`);
  if (xep) {
    const note = [part, cells[5]].filter(Boolean).join(': ').replace(/`/g, '');
    implementsLines.push(
      [
        '    <implements>',
        '      <xmpp:SupportedXep>',
        `        <xmpp:xep rdf:resource="https://xmpp.org/extensions/xep-${xep[1]}.html"/>`,
        `        <xmpp:version>${esc(version)}</xmpp:version>`,
        `        <xmpp:status>${esc(status)}</xmpp:status>`,
        `        <xmpp:since>0.1.0</xmpp:since>`,
        `        <xmpp:note xml:lang="en">${esc(note)}</xmpp:note>`,
        '      </xmpp:SupportedXep>',
        '    </implements>',
      ].join('\n'),
    );
  }
}

const doap = `<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated from docs/protocols.md by docs/make-doap.mjs; edit the tables there. -->
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://usefulinc.com/ns/doap#"
         xmlns:xmpp="https://linkmauve.fr/ns/xmpp-doap#">
  <Project>
    <name>Carillon</name>
    <shortdesc xml:lang="en">${esc(pkg.description)}</shortdesc>
    <description xml:lang="en">An XMPP server with a web client and a call service (rooms and group calls over Jingle) in one process, federating with any XMPP server.</description>
    <license rdf:resource="https://spdx.org/licenses/${pkg.license}.html"/>
    <programming-language>TypeScript</programming-language>
    <category rdf:resource="https://linkmauve.fr/ns/xmpp-doap#category-server"/>
    <category rdf:resource="https://linkmauve.fr/ns/xmpp-doap#category-component"/>
    <category rdf:resource="https://linkmauve.fr/ns/xmpp-doap#category-web"/>
    <os>Linux</os>
    <release>
      <Version>
        <revision>${esc(pkg.version)}</revision>
      </Version>
    </release>
${implementsLines.join('\n')}
  </Project>
</rdf:RDF>
`;
writeFileSync(new URL('carillon.doap', here), doap);
console.log(`docs/carillon.doap: ${implementsLines.length} specifications`);
