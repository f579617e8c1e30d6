// The three test layers (see README, "Tests"): .mocharc.unit.json and .mocharc.interop.json list
// their files, and the integration layer (.mocharc.integration.cjs) is every other test file, so
// that `npm test` (every file) runs the union of the three, each file once.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LAYERS = ['unit', 'integration', 'interop'] as const;

const specOf = (layer: string): string[] =>
  layer === 'integration'
    ? (createRequire(import.meta.url)(`${ROOT}.mocharc.integration.cjs`) as { spec: string[] }).spec
    : (JSON.parse(readFileSync(`${ROOT}.mocharc.${layer}.json`, 'utf8')) as { spec: string[] }).spec;
const testFiles = (): string[] =>
  (readdirSync(`${ROOT}test`, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => `test/${f.split('\\').join('/')}`)
    .sort();

describe('test layers', () => {
  it('puts every test file in exactly one layer, and lists no file that does not exist', () => {
    const files = testFiles();
    const where = new Map<string, string[]>(files.map((f) => [f, []]));
    const stale: string[] = [];
    for (const layer of LAYERS) {
      for (const f of specOf(layer)) {
        const w = where.get(f);
        if (w) w.push(layer);
        else stale.push(`${f} (${layer})`);
      }
    }
    assert.deepEqual([...where].filter(([, l]) => l.length === 0).map(([f]) => f), [], 'in no layer');
    assert.deepEqual([...where].filter(([, l]) => l.length > 1).map(([f, l]) => `${f}: ${l.join(', ')}`), [], 'in more than one layer');
    assert.deepEqual(stale, [], 'listed but not a test file');
  });

  it('keeps servers, browsers and media stacks out of the unit layer', () => {
    // What a unit test must not load: our servers, the in-process test servers, Prosody, ejabberd, Chromium, libwebrtc.
    const heavy = /from '[^']*(server\/index|federation\/index|component\/index|support\/prosody|federation\/ejabberd|federation\/helpers|server\/helpers|helpers\/call-|helpers\/user|playwright-core|@roamhq\/wrtc|@xmpp\/client)(\.js)?'/;
    const offending = specOf('unit').filter((f) => heavy.test(readFileSync(`${ROOT}${f}`, 'utf8')));
    assert.deepEqual(offending, []);
  });
});

describe('the media boundary', () => {
  it('keeps the call control plane (component/calls/) off any media library: it speaks to a MediaRouter only', () => {
    const dir = `${ROOT}component/calls`;
    const files = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
    assert.ok(files.includes('room-call.ts'), 'the control plane is where this test looks');
    // A media stack, or a data plane behind the boundary (component/media/ beyond router.ts).
    const media = /from '(werift[^']*|@roamhq\/wrtc|[^']*media\/(?!router\.js')[^']*)'/;
    const offending = files.filter((f) => media.test(readFileSync(`${dir}/${f}`, 'utf8')));
    assert.deepEqual(offending, []);
  });
});

describe('the web client\'s layers', () => {
  // Protocol definitions in protocol/, behaviour in features/ and rooms/, views only in views/ (docs/client.md).
  const src = `${ROOT}client/src`;
  const files = (readdirSync(src, { recursive: true }) as string[]).map((f) => f.split('\\').join('/')).filter((f) => /\.tsx?$/.test(f));

  it('keeps every .tsx in views/, apart from the bundle\'s entry point main.tsx', () => {
    assert.ok(files.includes('views/rooms/RoomsView.tsx'), 'the views are where this test looks');
    assert.deepEqual(files.filter((f) => f.endsWith('.tsx') && !f.startsWith('views/') && f !== 'main.tsx'), []);
  });

  it('has nothing outside views/ import a view, apart from main.tsx', () => {
    const view = /from '[^']*\/views\/[^']*'/;
    const offending = files.filter((f) => !f.startsWith('views/') && f !== 'main.tsx' && view.test(readFileSync(`${src}/${f}`, 'utf8')));
    assert.deepEqual(offending, []);
  });
});
