// The web client's layout checks shared by the browser tests: nothing scrolls sideways, and a
// control is wholly inside the window.
import { strict as assert } from 'node:assert';
import type { Locator, Page } from 'playwright-core';

/**
 * Page width against the screen: the layout must never scroll sideways. A phone browser widens its
 * layout viewport (innerWidth) to fit content that overflows, so the page is compared with the
 * device's width as well as with innerWidth. The elements that stick out are named in the message.
 */
export async function assertNoSideScroll(page: Page, view: string): Promise<void> {
  const screen = page.viewportSize()!.width;
  const { scroll, inner, wide } = await page.evaluate(() => {
    const wide: string[] = [];
    for (const el of Array.from(document.querySelectorAll('body *'))) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > document.documentElement.clientWidth + 1) wide.push(`${el.tagName.toLowerCase()}.${String((el as HTMLElement).className).split(' ')[0]} ${Math.round(r.right)}`);
    }
    return { scroll: document.documentElement.scrollWidth, inner: innerWidth, wide: wide.slice(0, 5) };
  });
  assert.ok(scroll <= inner && inner <= screen, `${view}: the page is ${scroll} px wide (layout viewport ${inner} px) on a ${screen} px screen; too wide: ${wide.join(', ')}`);
}

/** A control is visible and its box lies wholly inside the window (not cut off at either side). */
export async function assertOnScreen(page: Page, control: Locator, what: string): Promise<void> {
  await control.waitFor({ state: 'visible' });
  const box = await control.boundingBox();
  const win = page.viewportSize()!;
  assert.ok(box, `${what} has a box`);
  assert.ok(box.x >= 0 && box.x + box.width <= win.width + 0.5 && box.width > 0 && box.height > 0,
    `${what} is cut off: x ${Math.round(box.x)}..${Math.round(box.x + box.width)} in a ${win.width} px window`);
}
