// Signing in to the web client as a person does: the page, the address and password fields, the
// Sign in button; done when the contact list is shown.
import type { Page } from 'playwright-core';

/** Signs `user`@`domain` in on the page served at 127.0.0.1:`httpPort` (password `<user>-pass` unless given). */
export async function signIn(page: Page, httpPort: number | null, user: string, opts: { password?: string; domain?: string } = {}): Promise<void> {
  if (httpPort === null) throw new Error('The server under test serves no HTTP port');
  await page.goto(`http://127.0.0.1:${httpPort}/`);
  await page.getByLabel('Address').fill(`${user}@${opts.domain ?? 'localhost'}`);
  await page.getByLabel('Password').fill(opts.password ?? `${user}-pass`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('region', { name: 'Contacts' }).waitFor();
}
