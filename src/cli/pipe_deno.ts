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

/** Where `st_mode` sits in glibc's `struct stat`, per architecture. */
const ST_MODE_OFFSET: Partial<Record<typeof Deno.build.arch, number>> = { x86_64: 24, aarch64: 16 };
const S_IFMT = 0o170000;
const S_IFIFO = 0o010000;

const SYMBOLS = {
  fstat: { parameters: ["i32", "buffer"], result: "i32" },
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

  /**
   * A watcher for `fd` when it is a pipe and FFI is allowed on Linux (glibc); otherwise undefined.
   * (`fstat` through FFI: Deno's own stat of /dev/stdout needs --allow-all.)
   */
  static open(fd: number): PipeWatcher | undefined {
    const modeAt = ST_MODE_OFFSET[Deno.build.arch];
    if (Deno.build.os !== "linux" || modeAt === undefined) return undefined;
    let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
    try {
      lib = Deno.dlopen("libc.so.6", SYMBOLS);
    } catch {
      return undefined; // no --allow-ffi, or no glibc: acks on write instead
    }
    const stat = new Uint8Array(256);
    const mode = lib.symbols.fstat(fd, stat) === 0 ? new DataView(stat.buffer).getUint32(modeAt, true) : 0;
    const watcher = new PipeWatcher(fd, lib);
    if ((mode & S_IFMT) === S_IFIFO && watcher.#unread() >= 0) return watcher;
    lib.close();
    return undefined;
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
      // Empty first: a reader that took the line and then exited (head) did read it.
      if (this.#unread() <= 0) return true;
      // Gone since the look above, maybe after taking the line: what is still unread now is final.
      if (this.#readerGone()) return this.#unread() <= 0;
      await this.#lib.symbols.usleep(pause);
    }
  }

  /** Releases the library. */
  close(): void {
    this.#lib.close();
  }
}
