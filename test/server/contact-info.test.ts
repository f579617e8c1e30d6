// Contact addresses (XEP-0157) in the server's disco#info, as a XEP-0128 extension, with the XEP's
// Example 2 as the configuration and the expected form.
import assert from 'node:assert/strict';
import { client as xmppClient } from '@xmpp/client';
import { verifyCaps } from '../../xmpp/caps.js';
import { parseXml } from '../../xmpp/xml.js';
import { ConfigError, resolveConfig } from '../../server/config.js';
import { configSections } from '../../server/core/module.js';
import { MODULES } from '../../server/modules/index.js';
import { connect, startTestServer, stopAll, xml, type TestServer, type XmlElement } from './helpers.js';

const DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const DATA = 'jabber:x:data';
const SERVERINFO = 'http://jabber.org/network/serverinfo';

// XEP-0157 Example 2, as the contactInfo key.
const SHAKESPEARE = {
  abuse: ['mailto:abuse@shakespeare.lit', 'xmpp:abuse@shakespeare.lit'],
  admin: ['mailto:xmpp@shakespeare.lit', 'xmpp:admins@shakespeare.lit'],
  feedback: ['http://shakespeare.lit/feedback.php', 'mailto:feedback@shakespeare.lit', 'xmpp:feedback@shakespeare.lit'],
  sales: ['xmpp:bard@shakespeare.lit'],
  security: ['xmpp:security@shakespeare.lit'],
  support: ['http://shakespeare.lit/support.php', 'xmpp:support@shakespeare.lit'],
};

function fields(form: XmlElement): [string, string[]][] {
  return form.getChildren('field').map((f) => [f.attrs.var, f.getChildren('value').map((v) => v.getText())]);
}

describe('contact addresses (XEP-0157)', function () {
  let srv: TestServer | undefined;
  afterEach(async () => {
    await srv?.stop();
    srv = undefined;
  });

  async function serverInfo(contactInfo?: unknown): Promise<XmlElement> {
    srv = await startTestServer({ domain: 'shakespeare.lit', components: { port: null }, ...(contactInfo === undefined ? {} : { contactInfo }) });
    await srv.users.add('juliet@shakespeare.lit', 'secret');
    // Example 1.
    const juliet = await connect(srv, 'juliet', 'secret', { resource: 'chamber' });
    try {
      const r = await juliet.iqCaller.request(xml('iq', { type: 'get', to: 'shakespeare.lit', id: 'disco1' }, xml('query', { xmlns: DISCO_INFO })));
      return r.getChild('query', DISCO_INFO)!;
    } finally {
      await stopAll(juliet);
    }
  }

  it('adds the serverinfo form of Example 2 to the server disco#info', async () => {
    const q = await serverInfo(SHAKESPEARE);
    assert.equal(q.getChild('identity')!.attrs.category, 'server');
    assert.ok(q.getChildren('feature').some((f) => f.attrs.var === DISCO_INFO), 'the features stay');
    const forms = q.getChildren('x', DATA);
    assert.equal(forms.length, 1);
    assert.equal(forms[0]!.attrs.type, 'result');
    const formType = forms[0]!.getChildren('field').find((f) => f.attrs.var === 'FORM_TYPE')!;
    assert.equal(formType.attrs.type, 'hidden');
    assert.deepEqual(fields(forms[0]!), [
      ['FORM_TYPE', [SERVERINFO]],
      ['abuse-addresses', SHAKESPEARE.abuse],
      ['admin-addresses', SHAKESPEARE.admin],
      ['feedback-addresses', SHAKESPEARE.feedback],
      ['sales-addresses', SHAKESPEARE.sales],
      ['security-addresses', SHAKESPEARE.security],
      ['support-addresses', SHAKESPEARE.support],
    ]);
    // The form belongs to the server, not to a node of it.
    await srv!.users.add('romeo@shakespeare.lit', 'secret');
    const romeo = await connect(srv!, 'romeo', 'secret');
    await assert.rejects(romeo.iqCaller.request(xml('iq', { type: 'get', to: 'shakespeare.lit' }, xml('query', { xmlns: DISCO_INFO, node: 'urn:example:none' }))), { condition: 'item-not-found' });
    await stopAll(romeo);
  });

  it('lists only the roles that are configured, and no form without contactInfo', async () => {
    const q = await serverInfo({ abuse: ['mailto:abuse@shakespeare.lit'], status: ['https://status.shakespeare.lit/'] });
    assert.deepEqual(fields(q.getChild('x', DATA)!), [
      ['FORM_TYPE', [SERVERINFO]],
      ['abuse-addresses', ['mailto:abuse@shakespeare.lit']],
      ['status-addresses', ['https://status.shakespeare.lit/']],
    ]);
    await srv!.stop();
    srv = undefined;
    const plain = await serverInfo();
    assert.equal(plain.getChildren('x', DATA).length, 0);
  });

  it("keeps the server's XEP-0115 caps ver the hash of its disco#info, form included (§5.4)", async () => {
    srv = await startTestServer({ domain: 'shakespeare.lit', components: { port: null }, contactInfo: SHAKESPEARE });
    await srv.users.add('juliet@shakespeare.lit', 'secret');
    const c = xmppClient({ service: `xmpp://127.0.0.1:${srv.ports.c2s}`, domain: 'shakespeare.lit', username: 'juliet', password: 'secret' });
    c.on('error', () => {});
    let caps: XmlElement | undefined;
    c.on('element', (el: XmlElement) => {
      if (el.name === 'stream:features') caps = el.getChild('c', 'http://jabber.org/protocol/caps') ?? caps;
    });
    try {
      await c.start();
      const r = await c.iqCaller.request(xml('iq', { type: 'get', to: 'shakespeare.lit' }, xml('query', { xmlns: DISCO_INFO })));
      const q = parseXml(r.getChild('query')!.toString());
      assert.equal(q.getChildren('x', DATA).length, 1);
      assert.ok(caps);
      assert.ok(verifyCaps({ hash: caps.attrs.hash, ver: caps.attrs.ver }, q));
    } finally {
      await stopAll(c);
    }
  });

  const bad: [unknown, string][] = [
    [{ phone: ['tel:+15551234'] }, 'contactInfo.phone'],
    [{ abuse: 'mailto:abuse@shakespeare.lit' }, 'contactInfo.abuse'],
    [{ admin: ['xmpp:admins@shakespeare.lit', 'admins at shakespeare'] }, 'contactInfo.admin[1]'],
    [['mailto:abuse@shakespeare.lit'], 'contactInfo'],
  ];
  for (const [contactInfo, key] of bad) {
    it(`refuses ${JSON.stringify(contactInfo)} naming "${key}"`, () => {
      assert.throws(
        () => resolveConfig({ contactInfo }, '/etc/carillon.json', undefined, configSections(MODULES)),
        (e: unknown) => e instanceof ConfigError && e.key === key && e.message.includes('/etc/carillon.json'),
      );
    });
  }

  it('stops the start of a server with an unknown contactInfo key', async () => {
    await assert.rejects(startTestServer({ contactInfo: { abuse: [], press: ['mailto:press@shakespeare.lit'] } }), (e: unknown) => e instanceof ConfigError && e.key === 'contactInfo.press');
  });
});
