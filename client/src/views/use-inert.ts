// Modal views: while one is in front, what lies behind it cannot be focused or read.
import { useEffect } from 'preact/hooks';

/** While `on`, the elements matching `selector` are inert. */
export function useInert(on: boolean, selector: string): void {
  useEffect(() => {
    if (!on) return;
    const els = [...document.querySelectorAll<HTMLElement>(selector)].filter((e) => !e.inert);
    for (const e of els) e.inert = true;
    return () => { for (const e of els) e.inert = false; };
  }, [on, selector]);
}
