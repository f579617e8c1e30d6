// The integration layer: every test file that .mocharc.unit.json and .mocharc.interop.json do not
// list — Carillon's own servers in-process, with independent clients. A new module's test file
// lands here without being listed anywhere.
const { readFileSync, readdirSync } = require('node:fs');
const { join } = require('node:path');

const listed = new Set(['unit', 'interop'].flatMap((l) => JSON.parse(readFileSync(join(__dirname, `.mocharc.${l}.json`), 'utf8')).spec));
const all = readdirSync(join(__dirname, 'test'), { recursive: true })
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => `test/${f.split('\\').join('/')}`)
  .sort();

module.exports = {
  'node-option': ['import=tsx'],
  timeout: 60000,
  exit: true,
  reporter: 'spec',
  spec: all.filter((f) => !listed.has(f)),
};
