// Errors for refused Jingle requests (client/src/protocol/jingle-errors.ts): a defined condition always.
import { strict as assert } from 'node:assert';
import { createClient } from 'stanza';
import type { IQ } from 'stanza/protocol/index.js';
import { jingleIqError } from '../../client/src/protocol/jingle-errors.js';

const registry = createClient({}).stanzas;

describe('errors for refused Jingle requests (RFC 6120 §8.3.3, XEP-0166 §10)', () => {
  it('a Jingle reason where a stanza condition belongs becomes bad-request, with the reason as text', () => {
    assert.deepEqual(jingleIqError({ condition: 'general-error' }), { type: 'modify', condition: 'bad-request', text: 'general-error' });
  });
  it('an exception becomes bad-request with its message', () => {
    assert.deepEqual(jingleIqError(new Error('Failed to set remote answer sdp')), { type: 'modify', condition: 'bad-request', text: 'Failed to set remote answer sdp' });
  });
  it('nothing at all still names a condition', () => {
    assert.equal(jingleIqError(undefined).condition, 'bad-request');
  });
  it('defined conditions and Jingle conditions pass through', () => {
    assert.deepEqual(jingleIqError({ condition: 'item-not-found', jingleError: 'unknown-session' }), { type: 'cancel', condition: 'item-not-found', jingleError: 'unknown-session' });
    assert.deepEqual(jingleIqError({ condition: 'feature-not-implemented', jingleError: 'unsupported-info', type: 'modify' }), { type: 'modify', condition: 'feature-not-implemented', jingleError: 'unsupported-info' });
  });
  it('serializes with the condition element', () => {
    const xml = registry.export('iq', { type: 'error', id: 'e', to: 'a@b/c', error: jingleIqError({ condition: 'general-error' }) } as IQ)!.toString();
    assert.match(xml, /<error type="modify"><bad-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"\/><text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">general-error<\/text><\/error>/);
  });
});
