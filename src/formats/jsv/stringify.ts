// Plain JS values into compact JSV, written the way ServiceStack.Text's TypeSerializer writes them.

// CSV-style quoting for what would end or open a token; `:` too, so a value never looks like a key.
const NEEDS_QUOTES = /[":,{}[\]\r\n]/;
// Readers trim keys, so a key's own edge whitespace survives only inside quotes.
const EDGE_WHITESPACE = /^\s|\s$/;

function quote(text: string): string {
  return `"${text.replaceAll('"', '""')}"`;
}

function stringText(text: string): string {
  if (text === "") return '""';
  return NEEDS_QUOTES.test(text) ? quote(text) : text;
}

function keyText(key: string): string {
  if (key === "") return '""';
  return NEEDS_QUOTES.test(key) || EDGE_WHITESPACE.test(key) ? quote(key) : key;
}

/**
 * ServiceStack's shortest XSD form: the date alone at UTC midnight, no fraction on whole seconds, and a
 * fraction without trailing zeros (`.1Z`, not `.100Z`), as XmlConvert's UTC mode writes it.
 */
function dateText(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError("stringifyJsv: invalid Date");
  const iso = date.toISOString();
  const t = iso.indexOf("T");
  if (date.getUTCHours() === 0 && date.getUTCMinutes() === 0 && date.getUTCSeconds() === 0) {
    if (date.getUTCMilliseconds() === 0) return iso.slice(0, t);
  }
  if (date.getUTCMilliseconds() === 0) return `${iso.slice(0, -5)}Z`;
  return `${iso.slice(0, -1).replace(/0+$/, "")}Z`;
}

class JsvWriter {
  private readonly ancestors = new Set<object>();

  /** The JSV for `value`, or undefined for null and undefined, which maps omit. */
  write(value: unknown): string | undefined {
    switch (typeof value) {
      case "string":
        return stringText(value);
      case "number":
        if (!Number.isFinite(value)) throw new RangeError(`stringifyJsv: ${value} has no JSV form`);
        return String(value);
      case "bigint":
        return String(value);
      case "boolean":
        return value ? "True" : "False";
      case "undefined":
        return undefined;
      case "object":
        if (value === null) return undefined;
        if (value instanceof Date) return dateText(value);
        return this.container(value);
      default:
        throw new TypeError(`stringifyJsv: cannot write a ${typeof value}`);
    }
  }

  private container(value: object): string {
    if (this.ancestors.has(value)) throw new TypeError("stringifyJsv: circular reference");
    this.ancestors.add(value);
    let out: string;
    if (Array.isArray(value)) {
      out = "[";
      for (let i = 0; i < value.length; i++) {
        if (i > 0) out += ",";
        // JSV has no null: a null item is an empty item, read back as "".
        out += this.write(value[i]) ?? "";
      }
      out += "]";
    } else {
      out = "{";
      for (const [key, item] of Object.entries(value)) {
        const text = this.write(item);
        if (text === undefined) continue;
        if (out.length > 1) out += ",";
        out += `${keyText(key)}:${text}`;
      }
      out += "}";
    }
    this.ancestors.delete(value);
    return out;
  }
}

/**
 * Compact JSV for a plain value: objects as `{k:v}` (null and undefined values left out), arrays as `[a,b]`,
 * booleans `True`/`False`, numbers as JS writes them, Dates in the shortest XSD form, strings quoted only
 * when they hold `" : , { } [ ]` CR or LF. null or undefined alone give the empty text.
 * Throws on NaN, infinities, invalid Dates, functions, symbols and cycles.
 */
export function stringifyJsv(value: unknown): string {
  return new JsvWriter().write(value) ?? "";
}
