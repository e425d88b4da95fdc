/**
 * {@link Fifo}: the queue a subscription buffers its messages in.
 *
 * @module
 */

/**
 * A first-in first-out queue with O(1) `push` and `shift`. `Array.prototype.shift` moves every
 * element once the array is too large for V8 to trim it in place, and an auto-ack subscription may
 * buffer a million messages; here the taken slots are dropped in one step once they are half the array.
 *
 * @example
 * ```ts
 * import { Fifo } from "./fifo.ts";
 * const q = new Fifo<number>();
 * q.push(1);
 * q.push(2);
 * console.log(q.shift(), q.length); // 1 1
 * ```
 */
export class Fifo<T> {
  #items: (T | undefined)[] = [];
  #head = 0;

  /** How many items are queued. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Adds an item at the end. */
  push(item: T): void {
    this.#items.push(item);
  }

  /** Takes the first item, or undefined when empty. */
  shift(): T | undefined {
    const items = this.#items;
    if (this.#head >= items.length) return undefined;
    const item = items[this.#head];
    items[this.#head++] = undefined;
    if (this.#head === items.length) {
      items.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= items.length) {
      items.splice(0, this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Drops every item. */
  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}
