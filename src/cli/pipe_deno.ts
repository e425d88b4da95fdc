/**
 * Whether the reader of a pipe has taken what was written to it, under Deno on Linux (FFI:
 * `ioctl(FIONREAD)` counts the bytes still in the pipe, `poll` reports `POLLERR` once the reader
 * closed its end).
 *
 * Why: `subscribe ... | head -n 3` must ack exactly the three messages `head` printed. A write to a
 * pipe succeeds as soon as the bytes fit in the pipe's buffer, whether or not the reader will ever
 * read them: `head` reads line 3, and line 4, written a moment later, sits in the buffer while
 * `head` exits. Acking on write would lose it; acking once the pipe is empty again, writing one line
 * at a time, acks exactly what was read. Elsewhere (Node, other systems, no `--allow-ffi`) the CLI
 * acks once the system accepted the write, and says so in `--help`.
 *
 * @module
 */

const FIONREAD = 0x541b;
const POLLERR = 0x8;
const POLLHUP = 0x10;
/** The longest pause between two looks at the pipe: bounds the latency added per line. */
const MAX_PAUSE_US = 20_000;

const SYMBOLS = {
  ioctl: { parameters: ["i32", "u64", "buffer"], result: "i32" },
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32" },
  usleep: { parameters: ["u32"], result: "i32", nonblocking: true },
} as const;

/**
 * Watches one pipe's fill level.
 *
 * @example
 * ```ts ignore
 * const watcher = PipeWatcher.open(1);
 * if (watcher) console.log(await watcher.drained()); // true once the reader took everything
 * ```
 */
export class PipeWatcher {
  readonly #fd: number;
  readonly #lib: Deno.DynamicLibrary<typeof SYMBOLS>;
  readonly #count = new Int32Array(1);
  readonly #pollfd = new DataView(new ArrayBuffer(8));

  private constructor(fd: number, lib: Deno.DynamicLibrary<typeof SYMBOLS>) {
    this.#fd = fd;
    this.#lib = lib;
    this.#pollfd.setInt32(0, fd, true);
  }

  /** A watcher for `fd` when it is a pipe and FFI is allowed on Linux; otherwise undefined. */
  static open(fd: number, path: string): PipeWatcher | undefined {
    if (Deno.build.os !== "linux") return undefined;
    try {
      if (!Deno.statSync(path).isFifo) return undefined;
      const lib = Deno.dlopen("libc.so.6", SYMBOLS);
      const watcher = new PipeWatcher(fd, lib);
      return watcher.#unread() >= 0 ? watcher : undefined;
    } catch {
      return undefined; // no --allow-ffi / --allow-read, or no glibc: acks on write instead
    }
  }

  #unread(): number {
    return this.#lib.symbols.ioctl(this.#fd, BigInt(FIONREAD), this.#count) === 0 ? this.#count[0] : -1;
  }

  #readerGone(): boolean {
    this.#pollfd.setInt16(6, 0, true);
    this.#pollfd.setInt16(4, 0, true); // POLLERR and POLLHUP are reported whatever is asked
    this.#lib.symbols.poll(new Uint8Array(this.#pollfd.buffer), 1n, 0);
    return (this.#pollfd.getInt16(6, true) & (POLLERR | POLLHUP)) !== 0;
  }

  /**
   * Resolves true once the pipe is empty (the reader took everything), false when the reader
   * closed its end first. Looks again after pauses that double up to 20 ms (no event exists for it).
   */
  async drained(): Promise<boolean> {
    for (let pause = 25;; pause = Math.min(pause * 2, MAX_PAUSE_US)) {
      if (this.#readerGone()) return false;
      const unread = this.#unread();
      if (unread <= 0) return true;
      await this.#lib.symbols.usleep(pause);
    }
  }

  /** Releases the library. */
  close(): void {
    this.#lib.close();
  }
}
