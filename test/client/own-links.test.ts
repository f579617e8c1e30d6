// Upload links of the page's own server, loaded through the page's origin (client/src/features/own-links.ts).
import assert from 'node:assert/strict';
import { onPageOrigin, parseOrigins } from '../../client/src/features/own-links.js';

const OWN = ['http://localhost:5280', 'https://localhost:5443'];
const PATH = '/upload/kB-P9MOeGfhJpNbQqi4noRfHOaRxKliP/sunset.png?e=1796184658&s=ZWe2LbPrlBIuryMyT20W7Ejf4TBTmfkUAQ0IgWHZ0nw';

describe('own upload links', () => {
  it('reads the origins the server names, as URL.origin writes them, and nothing else', () => {
    assert.deepEqual(parseOrigins('{"origins":["http://localhost:5280","https://LOCALHOST:443","ftp://x.example","not a url",7]}'), ['http://localhost:5280', 'https://localhost']);
    assert.deepEqual(parseOrigins('{"links":[]}'), []);
    assert.deepEqual(parseOrigins('<html>'), []);
  });

  it('moves a link on another of the server\u2019s origins to the page\u2019s, keeping path, query and fragment', () => {
    // an http link (a contact on the HTTP page) in the https page, and the reverse
    assert.equal(onPageOrigin(`http://localhost:5280${PATH}`, OWN, 'https://localhost:5443'), `https://localhost:5443${PATH}`);
    assert.equal(onPageOrigin(`https://localhost:5443${PATH}#x`, OWN, 'http://localhost:5280'), `http://localhost:5280${PATH}#x`);
    // the page opened at another name of the same server (a LAN address)
    assert.equal(onPageOrigin(`https://localhost:5443${PATH}`, OWN, 'https://192.168.1.5:5443'), `https://192.168.1.5:5443${PATH}`);
  });

  it('leaves links of other servers, other paths, the page\u2019s own origin and bad URLs alone', () => {
    for (const url of [`https://upload.example.org${PATH}`, `http://localhost:5281${PATH}`, 'http://localhost:5280/index.html', `https://localhost:5443${PATH}`, 'not a url']) {
      assert.equal(onPageOrigin(url, OWN, 'https://localhost:5443'), url, url);
    }
    // a page without an http(s) origin (opened from a file) gains nothing
    assert.equal(onPageOrigin(`http://localhost:5280${PATH}`, OWN, 'null'), `http://localhost:5280${PATH}`);
    assert.equal(onPageOrigin(`http://localhost:5280${PATH}`, [], 'https://localhost:5443'), `http://localhost:5280${PATH}`);
  });
});
