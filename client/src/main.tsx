// Entry point of the web client bundle.
import { render } from 'preact';
import { App } from './app.js';
import { App as AppView } from './views/App.js';

const app = new App();
const root = document.getElementById('app');
if (root) render(<AppView app={app} />, root);
// "Keep me signed in": sign in again at once, resuming this tab's session after a reload
void app.restore();
// closing or reloading the tab ends a live call (session-terminate with <gone/>, JMI finish) and
// the stream, instead of leaving the other side with a call and a contact that look alive
addEventListener('pagehide', () => app.leave());
// exposed for diagnostics in the browser console and end-to-end tests
(globalThis as { carillon?: App }).carillon = app;
