// A minimal observable value: features write, views subscribe.
export class Store<T> {
  #value: T;
  readonly #subs = new Set<(v: T) => void>();

  constructor(initial: T) {
    this.#value = initial;
  }

  get value(): T {
    return this.#value;
  }

  set(next: T | ((prev: T) => T)): void {
    this.#value = typeof next === 'function' ? (next as (prev: T) => T)(this.#value) : next;
    for (const fn of this.#subs) fn(this.#value);
  }

  subscribe(fn: (v: T) => void): () => void {
    this.#subs.add(fn);
    return () => this.#subs.delete(fn);
  }
}
