// Derives the missing files of fixture cases from the given one (cases.ts: `origin`), with the
// translation as it is now. Run: npx tsx test/xmpp/jingle-sdp/write.ts <case> [--force]. Check
// every derived file by hand before committing it: the runner then holds the translation to it.
import { writeFileSync } from 'node:fs';
import { candidateToSdp, jingleToSdp, labelSources, sdpToJingle, transportCandidates, type Jingle } from '../../../xmpp/jingle-sdp/index.js';
import { CASES, type Case } from './cases.js';
import { exists, exportJingle, importJingle, path, plain, pretty, read, readXml } from './fixture-io.js';

/** The SDP a case's Jingle translates to (candidate attributes only for a transport-info). */
export function sdpOf(c: Case, jingle: Jingle): string {
  if (!c.candidatesOnly) return jingleToSdp(jingle, c.role);
  return (jingle.contents ?? []).flatMap((k) => transportCandidates(k).map((cand) => `a=${candidateToSdp(cand)}\r\n`)).join('');
}

/** The Jingle object a case's SDP translates to, labelled as the case says. */
export function jingleOf(c: Case, sdp: string, sid: string): Jingle {
  const { contents, groups } = sdpToJingle(sdp, c.role);
  const labelled = contents.map((k) => (c.owners?.[k.name] ? labelSources(k, c.owners[k.name]!) : k));
  return plain({ action: c.action, sid, contents: labelled, groups } as Jingle);
}

function write(name: string, text: string, force: boolean): void {
  if (exists(name) && !force) return;
  writeFileSync(path(name), text);
  console.log(`wrote ${name}`);
}

const [want, flag] = process.argv.slice(2);
for (const c of CASES.filter((k) => !want || k.name === want)) {
  const force = flag === '--force';
  if (c.origin === 'jingle') {
    const json = plain(importJingle(readXml(`${c.name}.xml`)));
    write(`${c.name}.json`, `${JSON.stringify(json, null, 2)}\n`, force);
    write(`${c.name}.sdp`, sdpOf(c, json), force);
  } else {
    const json = jingleOf(c, read(`${c.name}.sdp`), `${c.name}-sid`);
    write(`${c.name}.json`, `${JSON.stringify(json, null, 2)}\n`, force);
    write(`${c.name}.xml`, `${pretty(exportJingle(json))}\n`, force);
  }
}
