// Rows of a CSV (and most NDJSON files) share one key list, in one order. Code compiled for such a
// layout reads and writes each property by its constant name: V8 keeps the objects it builds in fast mode
// (a keyed store past a dozen properties turns an object into a hash table) and every access hits one
// inline cache. Compiling costs about as much as handling a few hundred rows, so only a layout that keeps
// repeating is compiled.
const repeatsBeforeCompiling = 16;
// Layouts kept per cache: a few interleaved jobs' files, not every NDJSON key set ever seen.
const maxLayouts = 32;

interface Layout<F> {
  keys: string[];
  seen: number;
  compiled: F | null | undefined;
}

/** Functions compiled per record layout (its key list in order), by a given compiler; null while none is. */
export class LayoutCache<F> {
  #current: Layout<F> | null = null;
  readonly #layouts = new Map<string, Layout<F>>();

  /**
   * `compile` answers null for a layout it will not compile (the caller's slow path handles it). `repeats`:
   * how often a layout must be seen before it is compiled (1 for a compiler that generates no code).
   */
  constructor(
    private readonly compile: (keys: readonly string[]) => F | null,
    private readonly repeats = repeatsBeforeCompiling,
  ) {}

  /** The function compiled for this record's layout, or null (not compiled yet, or not compilable). */
  compiledFor(record: Record<string, unknown>): F | null {
    let layout = this.#current;
    if (!layout || !hasKeys(record, layout.keys)) {
      const keys = Object.keys(record);
      const id = keys.join("\u0000");
      layout = this.#layouts.get(id) ?? null;
      if (!layout) {
        if (this.#layouts.size >= maxLayouts) this.#layouts.clear();
        layout = { keys, seen: 0, compiled: undefined };
        this.#layouts.set(id, layout);
      }
      this.#current = layout;
    }
    if (layout.compiled !== undefined) return layout.compiled;
    if (++layout.seen < this.repeats) return null;
    layout.compiled = this.compile(layout.keys);
    return layout.compiled;
  }
}

function hasKeys(record: Record<string, unknown>, keys: readonly string[]): boolean {
  let i = 0;
  for (const key in record) if (keys[i++] !== key) return false;
  return i === keys.length;
}

/** `this.name` for a plain identifier, else `this["name"]`: a property store of a compiled constructor. */
export function thisProperty(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `this.${name}` : `this[${JSON.stringify(name)}]`;
}

/**
 * A constructor compiled from `body` (which stores by `thisProperty`), with `bindings` in its scope. V8 sizes
 * its objects for every property the body names, where a field-by-field build regrows the property store
 * a dozen times for 45 fields; they are plain objects to their readers (Object.prototype, as a literal's).
 */
export function compilePlainConstructor<T extends object, A extends unknown[]>(
  params: readonly string[],
  body: readonly string[],
  bindings: Readonly<Record<string, unknown>> = {},
): new (
  ...args: A
) => T {
  const names = Object.keys(bindings);
  const make = new Function(...names, `return function (${params.join(", ")}) {\n${body.join("\n")}\n};`);
  const Plain = make(...names.map((n) => bindings[n]));
  Plain.prototype = Object.prototype;
  return Plain;
}
