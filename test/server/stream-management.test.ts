// XEP-0198 Stream Management: acknowledgements, and resumption after a dropped connection, driven
// by raw XML with the XEP's own elements (Examples 4, 5, 8, 11, 12). @xmpp/client, which enables
// Stream Management by itself, exercises it in every other test.
import assert from 'node:assert/strict';
import { collect, connect, next, startTestServer, stopAll, xml, type TestServer } from './helpers.js';
import { RawConnection } from './raw.js';

const SM = 'urn:xmpp:sm:3';

describe('stream management (XEP-0198)', function () {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
    await srv.users.add('juliet@localhost', 'secret');
    await srv.users.add('romeo@localhost', 'secret');
  });
  after(() => srv.stop());

  it('offers <sm/> after authentication and answers <r/> with the count of handled stanzas', async () => {
    const raw = await RawConnection.open(srv.ports.c2s!);
    await raw.authenticate('juliet', 'secret');
    assert.match(raw.received, /<sm xmlns="urn:xmpp:sm:3"\/>/);
    raw.send(`<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>acks</resource></bind></iq>`);
    await raw.waitFor(/<jid>/);
    raw.send(`<enable xmlns='${SM}'/>`);
    await raw.waitFor(/<enabled xmlns="urn:xmpp:sm:3" id="[^"]+"\/>/);
    raw.send(`<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq><iq type='get' id='p2' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq><r xmlns='${SM}'/>`);
    await raw.waitFor(/<a xmlns="urn:xmpp:sm:3" h="2"\/>/);
    raw.end();
  });

  it('resumes a dropped session: presence stays, and messages sent meanwhile arrive after <resumed/>', async () => {
    const first = await RawConnection.open(srv.ports.c2s!);
    await first.login('juliet', 'secret', 'balcony');
    first.send(`<enable xmlns='${SM}' resume='true'/>`);
    const [, id] = await first.waitFor(/<enabled xmlns="urn:xmpp:sm:3" id="([^"]+)" resume="true" max="\d+"\/>/);
    first.send(`<presence/>`);
    await first.waitFor(/<presence/);
    first.end(); // the connection drops without a closing tag
    await first.waitClosed();

    // Whether the server has noticed the drop yet or not, what Romeo sends now is kept for the
    // session: queued unacknowledged on the dead stream, or queued while it hibernates.
    const romeo = await connect(srv, 'romeo', 'secret');
    // Juliet's session is kept: Romeo gets no error for either, and no answer to the IQ yet.
    const answers = collect(romeo, (el) => el.attrs.from === 'juliet@localhost/balcony' || el.attrs.id === 'to-juliet');
    await romeo.send(xml('message', { to: 'juliet@localhost/balcony', type: 'chat' }, xml('body', {}, 'Are you still there?')));
    await romeo.send(xml('iq', { type: 'get', to: 'juliet@localhost/balcony', id: 'to-juliet' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.deepEqual((await answers.done()).map(String), [], 'an IQ to a hibernating session waits for the resumed stream');

    const second = await RawConnection.open(srv.ports.c2s!);
    await second.authenticate('juliet', 'secret');
    second.send(`<resume xmlns='${SM}' h='1' previd='${id}'/>`);
    await second.waitFor(new RegExp(`<resumed xmlns="urn:xmpp:sm:3" h="\\d+" previd="${id}"/>`));
    await second.waitFor(/Are you still there\?/);
    await second.waitFor(/<iq [^>]*id="to-juliet"/);
    second.send(`<message to='romeo@localhost' type='chat'><body>Yes, from the same resource</body></message>`);
    const reply = await next(romeo, (el) => el.is('message') && el.getChildText('body') === 'Yes, from the same resource');
    assert.equal(reply.attrs.from, 'juliet@localhost/balcony');
    second.end();
    await stopAll(romeo);
  });

  it('refuses to resume an unknown or someone else\'s session with <failed/>', async () => {
    const raw = await RawConnection.open(srv.ports.c2s!);
    await raw.authenticate('romeo', 'secret');
    raw.send(`<resume xmlns='${SM}' h='0' previd='no-such-id'/>`);
    await raw.waitFor(/<failed xmlns="urn:xmpp:sm:3"><item-not-found/);
    // The stream goes on: the client binds a fresh session instead.
    raw.send(`<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>`);
    await raw.waitFor(/<jid>romeo@localhost\//);
    raw.end();
  });
});
