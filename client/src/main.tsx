// Entry point of the web client bundle.
import { render } from 'preact';
import { App } from './app.js';
import { App as AppView } from './views/App.js';

const app = new App();
const root = document.getElementById('app');
if (root) render(<AppView app={app} />, root);
// closing the tab hangs up properly (session-terminate and JMI finish) instead of leaving the
// other side to time out
addEventListener('pagehide', () => app.calls?.hangup());
// exposed for diagnostics in the browser console and end-to-end tests
(globalThis as { carillon?: App }).carillon = app;
