// Polling with a deadline, for state that emits no event to wait on (media counters, browser
// state, files another process writes). Anything that does emit an event is waited for directly.
const EVERY_MS = 100;

export type What = string | (() => string);

/** Resolves once `condition` holds; rejects with `what` after `timeoutMs`. */
export async function until(condition: () => boolean | Promise<boolean>, what: What, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, EVERY_MS));
  }
}

/** Reads a value until `accept` takes it, and resolves with it; the last value read is in the timeout error. */
export async function untilValue<T>(read: () => T | Promise<T>, accept: (v: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  let last: T | undefined;
  let seen = false;
  await until(async () => {
    last = await read();
    seen = true;
    return accept(last);
  }, () => `${what}: ${seen ? JSON.stringify(last) : 'nothing read'}`, timeoutMs);
  return last as T;
}
