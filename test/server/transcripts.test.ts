// Every transcript under test/transcripts/ (the format: test/support/transcript.ts) against
// Carillon. The same transcripts run against Prosody 0.12 in transcripts-prosody.test.ts (the
// interop layer), so a difference between the two servers shows as a failing transcript.
import { startTestServer, type TestServer } from './helpers.js';
import { allTranscripts, runTranscript } from '../support/transcript.js';

describe('transcripts (Carillon)', function () {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ components: { port: null } });
  });
  after(() => srv?.stop());

  for (const { name, transcript } of allTranscripts()) {
    it(`${name}: ${transcript.title}`, () =>
      runTranscript(transcript, {
        name: 'Carillon',
        domain: srv.config.domain,
        c2sPort: srv.ports.c2s!,
        addUser: (local, password) => srv.users.add(`${local}@${srv.config.domain}`, password),
      }));
  }
});
