// XEP-0157: Contact Addresses for XMPP Services — the `contactInfo` config key (as Prosody's
// contact_info) published in the server's disco#info as a XEP-0128 data form scoped by the
// FORM_TYPE http://jabber.org/network/serverinfo.
import { buildForm } from '../../xmpp/forms.js';
import type { Element } from '../../xmpp/xml.js';
import { defineModule } from '../core/module.js';

const SERVERINFO = 'http://jabber.org/network/serverinfo';
/** The registered fields, `<role>-addresses` (XEP-0157 §7; `status` as later revisions and Prosody have it). */
export const CONTACT_ROLES = ['abuse', 'admin', 'feedback', 'sales', 'security', 'status', 'support'] as const;
export type ContactRole = (typeof CONTACT_ROLES)[number];
export type ContactInfo = Partial<Record<ContactRole, string[]>>;

/** An absolute URI (RFC 3986 §3: a scheme, a colon, the rest): mailto:, xmpp:, https:… */
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$/;

function form(info: ContactInfo): Element {
  return buildForm({
    type: 'result',
    formType: SERVERINFO,
    fields: CONTACT_ROLES.filter((r) => info[r]?.length).map((r) => ({ var: `${r}-addresses`, type: 'list-multi', value: info[r] })),
  });
}

export default defineModule<ContactInfo>({
  name: 'contact-info',
  config: {
    key: 'contactInfo',
    parse(raw, c) {
      const section = c.section('contactInfo', raw);
      c.only('contactInfo', section, [...CONTACT_ROLES]);
      const info: ContactInfo = {};
      for (const role of CONTACT_ROLES) {
        const key = `contactInfo.${role}`;
        const list = c.strList(key, section[role], []);
        list.forEach((uri, i) => {
          if (!URI.test(uri)) c.fail(`${key}[${i}]`, 'must be a URI such as mailto:abuse@example.org or xmpp:admin@example.org');
        });
        if (list.length) info[role] = list;
      }
      return info;
    },
  },
  setup(m) {
    if (Object.keys(m.config).length === 0) return;
    const extension = form(m.config);
    m.on('disco-info/host', ({ extensions }) => {
      extensions.push(extension);
    });
  },
});
