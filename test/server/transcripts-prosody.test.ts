// Every transcript under test/transcripts/ (the format: test/support/transcript.ts) against
// Debian's Prosody 0.12, word for word as transcripts.test.ts runs them against Carillon.
import assert from 'node:assert/strict';
import { startProsody, type Prosody } from '../support/prosody.js';
import { allTranscripts, runTranscript } from '../support/transcript.js';

/**
 * Transcripts Prosody fails because it differs from the specification: why, and a piece of the
 * failure that must appear (each transcript's comment says so too). They run, and are expected
 * to fail that way: if Prosody changes, the test says so.
 */
const PROSODY_DIFFERS: Record<string, { why: string; failure: RegExp }> = {
  'roster-versioning.scs': { why: "a new account's empty roster and the roster after its first change both have ver='1'", failure: /ver='1', which it must not be/ },
};

/** Prosody's modules the transcripts need beyond the harness's own set. */
const PROSODY_MODULES = ['blocklist', 'private', 'mam'];

describe('transcripts (interop: Prosody 0.12)', function () {
  let prosody: Prosody;
  const transcripts = allTranscripts();
  before(async () => {
    prosody = await startProsody({ modules: PROSODY_MODULES });
  });
  after(() => prosody?.stop());

  it('names only existing transcripts as known differences', () => {
    const names = new Set(transcripts.map((t) => t.name));
    for (const f of Object.keys(PROSODY_DIFFERS)) if (!names.has(f)) throw new Error(`PROSODY_DIFFERS names ${f}, which is not a transcript`);
  });

  for (const { name, transcript } of transcripts) {
    const title = `${name}: ${transcript.title}`;
    const run = () => runTranscript(transcript, { name: 'Prosody', domain: prosody.domain, c2sPort: prosody.c2sPort, addUser: (local, password) => prosody.register(local, password) });
    const differs = PROSODY_DIFFERS[name];
    if (differs) {
      it(`${title} — fails on Prosody as expected: ${differs.why}`, async () => {
        await assert.rejects(run(), (e: Error) => differs.failure.test(e.message), 'Prosody now passes this transcript: remove it from PROSODY_DIFFERS');
      });
      continue;
    }
    it(title, run);
  }
});
