// Data forms (XEP-0004) read and written with the examples of XEP-0004 §6 (the bot configuration
// form, its submission, and the search result with reported fields and items).
import assert from 'node:assert/strict';
import { StanzaError } from '../../xmpp/errors.js';
import { buildForm, field, formValue, parseBoolean, parseForm } from '../../xmpp/forms.js';
import { parseXml, type Element } from '../../xmpp/xml.js';

const compact = (s: string) => s.replace(/>\s+</g, '><').trim();
/** Serialization with sorted attributes, to compare XML regardless of attribute order. */
const canonical = (el: Element): string => `<${el.name}${Object.keys(el.attrs).sort().map((k) => ` ${k}="${el.attrs[k]}"`).join('')}>`
  + el.children.map((c) => (typeof c === 'string' ? c : canonical(c))).join('') + `</${el.name}>`;

const BOT_FORM = compact(`
<x xmlns='jabber:x:data' type='form'>
  <title>Bot Configuration</title>
  <instructions>Fill out this form to configure your new bot!</instructions>
  <field type='hidden' var='FORM_TYPE'><value>jabber:bot</value></field>
  <field type='fixed'><value>Section 1: Bot Info</value></field>
  <field type='text-single' label='The name of your bot' var='botname'/>
  <field type='text-multi' label='Helpful description of your bot' var='description'/>
  <field type='boolean' label='Public bot?' var='public'><required/></field>
  <field type='text-private' label='Password for special access' var='password'/>
  <field type='fixed'><value>Section 2: Features</value></field>
  <field type='list-multi' label='What features will the bot support?' var='features'>
    <option label='Contests'><value>contests</value></option>
    <option label='News'><value>news</value></option>
    <option label='Polls'><value>polls</value></option>
    <option label='Reminders'><value>reminders</value></option>
    <option label='Search'><value>search</value></option>
    <value>news</value>
    <value>search</value>
  </field>
  <field type='fixed'><value>Section 3: Subscriber List</value></field>
  <field type='list-single' label='Maximum number of subscribers' var='maxsubs'>
    <value>20</value>
    <option label='10'><value>10</value></option>
    <option label='20'><value>20</value></option>
    <option label='30'><value>30</value></option>
    <option label='50'><value>50</value></option>
    <option label='100'><value>100</value></option>
    <option label='None'><value>none</value></option>
  </field>
  <field type='fixed'><value>Section 4: Invitations</value></field>
  <field type='jid-multi' label='People to invite' var='invitelist'>
    <desc>Tell all your friends about your new bot!</desc>
  </field>
</x>`);

const BOT_SUBMIT = compact(`
<x xmlns='jabber:x:data' type='submit'>
  <field type='hidden' var='FORM_TYPE'><value>jabber:bot</value></field>
  <field type='text-single' var='botname'><value>The Jabber Google Bot</value></field>
  <field type='text-multi' var='description'>
    <value>This bot enables you to send requests to</value>
    <value>Google and receive the search results right</value>
    <value>in your Jabber client. It&apos; really cool!</value>
    <value>It even supports Google News!</value>
  </field>
  <field type='boolean' var='public'><value>0</value></field>
  <field type='text-private' var='password'><value>v3r0na</value></field>
  <field type='list-multi' var='features'><value>news</value><value>search</value></field>
  <field type='list-single' var='maxsubs'><value>50</value></field>
  <field type='jid-multi' var='invitelist'><value>juliet@capulet.com</value><value>benvolio@montague.net</value></field>
</x>`);

const SEARCH_RESULT = compact(`
<x xmlns='jabber:x:data' type='result'>
  <title>Joogle Search: verona</title>
  <reported><field var='name'/><field var='url'/></reported>
  <item>
    <field var='name'><value>Comune di Verona - Benvenuti nel sito ufficiale</value></field>
    <field var='url'><value>http://www.comune.verona.it/</value></field>
  </item>
  <item>
    <field var='name'><value>benvenuto!</value></field>
    <field var='url'><value>http://www.hellasverona.it/</value></field>
  </item>
</x>`);

describe('data forms (XEP-0004)', () => {
  it('reads the bot configuration form: type, FORM_TYPE, title, instructions, fields by var', () => {
    const form = parseForm(parseXml(BOT_FORM));
    assert.equal(form.type, 'form');
    assert.equal(form.formType, 'jabber:bot');
    assert.equal(form.title, 'Bot Configuration');
    assert.deepEqual(form.instructions, ['Fill out this form to configure your new bot!']);
    assert.deepEqual([...form.fields.keys()], ['botname', 'description', 'public', 'password', 'features', 'maxsubs', 'invitelist']);
    assert.deepEqual(form.fields.get('features'), ['news', 'search']);
    assert.deepEqual(form.fields.get('botname'), []);
    assert.equal(formValue(form, 'maxsubs'), '20');
    assert.equal(formValue(form, 'password'), undefined);
  });

  it('reads the submitted form, multi-valued fields in order', () => {
    const form = parseForm(parseXml(BOT_SUBMIT));
    assert.equal(form.type, 'submit');
    assert.equal(form.formType, 'jabber:bot');
    assert.equal(form.fields.get('description')?.length, 4);
    assert.equal(form.fields.get('description')?.[2], "in your Jabber client. It' really cool!");
    assert.equal(parseBoolean(formValue(form, 'public')!), false);
    assert.deepEqual(form.fields.get('invitelist'), ['juliet@capulet.com', 'benvolio@montague.net']);
    assert.equal(form.fields.has('FORM_TYPE'), false);
  });

  it('reads a multi-item result: reported fields and items', () => {
    const form = parseForm(parseXml(SEARCH_RESULT));
    assert.equal(form.type, 'result');
    assert.deepEqual(form.reported, ['name', 'url']);
    assert.equal(form.items.length, 2);
    assert.deepEqual(form.items[1].get('url'), ['http://www.hellasverona.it/']);
    assert.equal(form.fields.size, 0);
  });

  it('builds the submitted bot form as XEP-0004 writes it', () => {
    const built = buildForm({
      type: 'submit',
      formType: 'jabber:bot',
      fields: [
        { type: 'text-single', var: 'botname', value: 'The Jabber Google Bot' },
        { type: 'text-multi', var: 'description', value: [
          'This bot enables you to send requests to', 'Google and receive the search results right',
          "in your Jabber client. It' really cool!", 'It even supports Google News!'] },
        { type: 'boolean', var: 'public', value: false },
        { type: 'text-private', var: 'password', value: 'v3r0na' },
        { type: 'list-multi', var: 'features', value: ['news', 'search'] },
        { type: 'list-single', var: 'maxsubs', value: 50 },
        { type: 'jid-multi', var: 'invitelist', value: ['juliet@capulet.com', 'benvolio@montague.net'] },
      ],
    });
    // Attribute order aside, the same XML: compare through a parse of both.
    assert.equal(canonical(built), canonical(parseXml(BOT_SUBMIT)));
  });

  it('builds fields with desc, required and options in schema order', () => {
    const f = field({ var: 'maxsubs', type: 'list-single', label: 'Maximum number of subscribers', desc: 'How many', required: true,
      value: '20', options: [{ label: '10', value: '10' }, { label: 'None', value: 'none' }] });
    assert.equal(f.toString(), "<field var=\"maxsubs\" type=\"list-single\" label=\"Maximum number of subscribers\"><desc>How many</desc><required/>"
      + '<value>20</value><option label="10"><value>10</value></option><option label="None"><value>none</value></option></field>');
  });

  it('builds a multi-item result that reads back the same', () => {
    const built = buildForm({ type: 'result', title: 'Joogle Search: verona', reported: [{ var: 'name' }, { var: 'url' }],
      items: [{ name: 'benvenuto!', url: 'http://www.hellasverona.it/' }] });
    const back = parseForm(built);
    assert.deepEqual(back.reported, ['name', 'url']);
    assert.deepEqual(back.items[0].get('name'), ['benvenuto!']);
    assert.equal(back.title, 'Joogle Search: verona');
  });

  it('writes and reads booleans as 1/0 and true/false', () => {
    assert.equal(field({ var: 'b', value: true }).getChildText('value'), '1');
    assert.deepEqual(['1', 'true', '0', 'false', 'yes'].map(parseBoolean), [true, true, false, false, undefined]);
  });

  const bad: Array<[string, string]> = [
    ['a form without type', "<x xmlns='jabber:x:data'/>"],
    ['an unknown form type', "<x xmlns='jabber:x:data' type='draft'/>"],
    ['a non-fixed field without var', "<x xmlns='jabber:x:data' type='submit'><field type='text-single'><value>a</value></field></x>"],
    ['a var used twice', "<x xmlns='jabber:x:data' type='submit'><field var='a'/><field var='a'/></x>"],
    ['another namespace', "<x xmlns='jabber:x:oob' type='submit'/>"],
  ];
  for (const [what, xml] of bad) {
    it(`refuses ${what} with bad-request`, () => {
      assert.throws(() => parseForm(parseXml(xml)), (e: unknown) => e instanceof StanzaError && e.condition === 'bad-request');
    });
  }
});
