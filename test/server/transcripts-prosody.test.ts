// Every transcript under test/transcripts/ (the format: test/support/transcript.ts) against
// Debian's Prosody 0.12, word for word as transcripts.test.ts runs them against Carillon.
import { startProsody, type Prosody } from '../support/prosody.js';
import { allTranscripts, runTranscript } from '../support/transcript.js';

/**
 * Transcripts Prosody fails because it differs from the specification, with why (each
 * transcript's comment says so too). They show as pending below, never silently left out.
 */
const CARILLON_ONLY: Record<string, string> = {
  'roster-versioning.scs': "a new account's empty roster and the roster after its first change both have ver='1'",
};

/** Prosody's modules the transcripts need beyond the harness's own set. */
const PROSODY_MODULES = ['blocklist', 'private'];

describe('transcripts (interop: Prosody 0.12)', function () {
  let prosody: Prosody;
  const transcripts = allTranscripts();
  before(async () => {
    prosody = await startProsody({ modules: PROSODY_MODULES });
  });
  after(() => prosody?.stop());

  it('names only existing transcripts as Carillon-only', () => {
    const names = new Set(transcripts.map((t) => t.name));
    for (const f of Object.keys(CARILLON_ONLY)) if (!names.has(f)) throw new Error(`CARILLON_ONLY names ${f}, which is not a transcript`);
  });

  for (const { name, transcript } of transcripts) {
    const title = `${name}: ${transcript.title}`;
    const reason = CARILLON_ONLY[name];
    if (reason) {
      it.skip(`${title} — Carillon only: ${reason}`);
      continue;
    }
    it(title, () =>
      runTranscript(transcript, { name: 'Prosody', domain: prosody.domain, c2sPort: prosody.c2sPort, addUser: (local, password) => prosody.register(local, password) }));
  }
});
