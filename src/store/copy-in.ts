import { type RawBuilder, sql } from "kysely";
import pg from "pg";

// Kysely hands a statement to the pg client as text and parameters, and keeps the transaction's connection
// to itself. A COPY travels the same way: its text ends with this marker and its one parameter is the data
// (in pieces), which CopyingClient streams as COPY FROM STDIN on the connection the statement was given to.
// No statement PostgreSQL accepts has that form (COPY takes no parameters), so the marker cannot change a
// real query.
const dataMarker = " /* copy data: */ $1";

/**
 * A `COPY target FROM STDIN` (text format) of the given data, for `execute(trx)` on PostgreSQL. The data
 * comes in pieces, each encoded and sent on its own, so no single buffer holds all of it. The pieces may be
 * a generator: each is then made only when the one before it is on its way, so PostgreSQL reads the first
 * while the next is built, instead of waiting for all of them.
 */
export function copyFromStdin(target: string, pieces: Iterable<string>): RawBuilder<unknown> {
  return sql`${sql.raw(`copy ${target} from stdin`)} /* copy data: */ ${pieces}`;
}

// Module constants: a regular expression literal in a function is a new object at every call (46 per row).
const needsEscape = /[\\\t\n\r]/;
const escapable = /[\\\t\n\r]/g;

/** A cell of COPY's text format: backslash escapes for the characters that end a cell or a row; \N for NULL. */
export function copyCell(text: string | null): string {
  if (text === null) return "\\N";
  // Most cells need nothing: one test of the whole cell instead of four replaces.
  if (!needsEscape.test(text)) return text;
  return text.replace(escapable, (c) =>
    c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r",
  );
}

/** Whether a statement's text is one `copyFromStdin` made. */
export function isCopyFromStdin(text: unknown): boolean {
  return typeof text === "string" && text.endsWith(dataMarker);
}

/** The COPY statement's text, or undefined when the query is anything else. */
function copyStatement(text: unknown, values: unknown): string | undefined {
  if (typeof text !== "string" || !isCopyFromStdin(text)) return undefined;
  if (!Array.isArray(values) || values.length !== 1) return undefined;
  const pieces = values[0];
  if (typeof pieces !== "object" || pieces === null || !(Symbol.iterator in pieces)) return undefined;
  return text.slice(0, -dataMarker.length);
}

/**
 * pg's submittable for COPY FROM STDIN: pg calls `submit`, then the handlers for the server's messages in
 * order (CopyInResponse, CommandComplete or ErrorResponse, ReadyForQuery), as pg-copy-streams does.
 */
class CopyIn {
  #rowCount = 0;
  /** what went wrong making the data on this side, reported instead of the server's "COPY failed" */
  #failure: Error | undefined;
  readonly done: Promise<pg.QueryResult>;
  #settle!: (error: Error | undefined) => void;

  constructor(
    readonly text: string,
    readonly pieces: Iterable<string>,
  ) {
    this.done = new Promise((resolve, reject) => {
      this.#settle = (error) =>
        error
          ? reject(error)
          : resolve({ command: "COPY", rowCount: this.#rowCount, rows: [], fields: [], oid: 0 });
    });
  }

  submit(connection: { query(text: string): void }): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: {
    sendCopyFromChunk(chunk: Buffer): void;
    endCopyFrom(): void;
    sendCopyFail(message: string): void;
  }): void {
    try {
      for (const piece of this.pieces) {
        if (typeof piece !== "string") throw new TypeError("a COPY data piece is not a string");
        connection.sendCopyFromChunk(Buffer.from(piece));
      }
    } catch (error) {
      // The server ends the COPY with an error of its own and the connection stays usable.
      this.#failure = error instanceof Error ? error : new Error(String(error));
      connection.sendCopyFail(this.#failure.message);
      return;
    }
    connection.endCopyFrom();
  }

  handleCommandComplete(message: { text?: string }): void {
    this.#rowCount = Number(/\d+$/.exec(message.text ?? "")?.[0] ?? 0);
  }

  // pg forgets the active query when the server reports an error (or the socket dies): the answer is now.
  handleError(error: Error): void {
    this.#settle(this.#failure ?? error);
  }

  handleReadyForQuery(): void {
    this.#settle(undefined);
  }

  // Not sent for COPY FROM; present because pg may call them on any active query.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}
}

// A binary COPY TO STDOUT travels as its text followed by this marker, which names its rows' columns.
const copyOutMarker = /\/\* copy out: ([a-z_]+(?:,[a-z_]+)*) \*\/$/;

/**
 * A query's rows as `COPY (query) TO STDOUT (FORMAT binary)` sends them, for `execute` on PostgreSQL: each
 * row an object of the named columns' binary values as they are stored (a bytea's bytes, an int8 as eight
 * bytes big-endian; null for NULL). pg reads every field of a result as UTF-8 text, so a bytea came as hex
 * text for pg to decode: a 1 MiB upload piece as 2 MiB of text, 0.9 s of the JavaScript thread per 54 MB
 * upload read back. The query takes no parameters (COPY cannot): only values the caller formats itself,
 * such as integers, may be in its text.
 */
export function copyOutBinary(
  query: string,
  columns: readonly string[],
): RawBuilder<Record<string, Buffer | null>> {
  return sql.raw(`copy (${query}) to stdout (format binary) /* copy out: ${columns.join(",")} */`);
}

/** pg's submittable for COPY TO STDOUT in binary format: collects the data, then answers its rows. */
class CopyOut {
  readonly #chunks: Buffer[] = [];
  #error: Error | undefined;
  readonly done: Promise<pg.QueryResult>;
  #resolve!: (result: pg.QueryResult) => void;
  #reject!: (error: Error) => void;

  constructor(
    readonly text: string,
    readonly columns: string[],
  ) {
    this.done = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  submit(connection: { query(text: string): void }): void {
    connection.query(this.text);
  }

  // The chunk is a view of pg's read buffer, which pg reuses: it is copied by the concat at the end.
  handleCopyData(message: { chunk: Buffer }): void {
    this.#chunks.push(Buffer.from(message.chunk));
  }

  handleError(error: Error): void {
    this.#error = error;
    this.#reject(error);
  }

  handleReadyForQuery(): void {
    if (this.#error) return;
    try {
      const rows = parseBinaryCopy(Buffer.concat(this.#chunks), this.columns);
      this.#resolve({ command: "COPY", rowCount: rows.length, rows, fields: [], oid: 0 });
    } catch (error) {
      this.#reject(error as Error);
    }
  }

  handleCommandComplete(): void {}
  handleCopyInResponse(connection: { sendCopyFail(message: string): void }): void {
    connection.sendCopyFail("not a COPY FROM");
  }
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
}

const binaryCopySignature = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1");

/** The rows of PostgreSQL's binary COPY format (header, tuples of length-prefixed fields, trailer). */
function parseBinaryCopy(data: Buffer, columns: readonly string[]): Array<Record<string, Buffer | null>> {
  if (data.length < 19 || !data.subarray(0, 11).equals(binaryCopySignature))
    throw new Error("COPY TO STDOUT did not answer binary COPY data");
  let at = 15 + 4 + data.readInt32BE(15);
  const rows: Array<Record<string, Buffer | null>> = [];
  for (;;) {
    const count = data.readInt16BE(at);
    at += 2;
    if (count === -1) return rows;
    if (count !== columns.length)
      throw new Error(`binary COPY row has ${count} fields, expected ${columns.length}`);
    const row: Record<string, Buffer | null> = {};
    for (const column of columns) {
      const length = data.readInt32BE(at);
      at += 4;
      row[column] = length === -1 ? null : data.subarray(at, at + length);
      if (length > 0) at += length;
    }
    rows.push(row);
  }
}

/**
 * A pg client that runs `copyFromStdin` statements as COPY FROM STDIN, `copyOutBinary` ones as binary COPY
 * TO STDOUT, and every other query as pg does.
 */
export class CopyingClient extends pg.Client {
  // biome-ignore lint/suspicious/noExplicitAny: pg's query is heavily overloaded; this forwards every form.
  override query(...args: any[]): any {
    const copy = args.length === 2 ? copyStatement(args[0], args[1]) : undefined;
    if (copy !== undefined) {
      const submittable = new CopyIn(copy, (args[1] as Array<Iterable<string>>)[0]);
      super.query(submittable as never);
      return submittable.done;
    }
    const out = typeof args[0] === "string" ? copyOutMarker.exec(args[0]) : null;
    if (out && (args.length === 1 || (Array.isArray(args[1]) && args[1].length === 0))) {
      const submittable = new CopyOut(args[0] as string, out[1].split(","));
      super.query(submittable as never);
      return submittable.done;
    }
    return super.query(...(args as Parameters<pg.Client["query"]>));
  }
}

/** The part of PGlite's query interface Kysely's PGlite dialect calls, on the instance and on a transaction. */
interface PgliteQueries {
  query(text: string, params?: unknown[], options?: Record<string, unknown>): Promise<unknown>;
}

/**
 * Kysely's PGlite dialect sees this in place of the PGlite instance: a `copyFromStdin` statement, on the
 * instance or inside a transaction, runs as `COPY … FROM '/dev/blob'` with its data as the query's blob
 * (PGlite's own way to feed COPY), and everything else goes to PGlite unchanged. PGlite parses COPY's text
 * format in its WebAssembly PostgreSQL, and the data skips the JavaScript parameter path that measures a
 * string's UTF-8 length character by character.
 */
export function pgliteWithCopy<T extends object & PgliteQueries>(pglite: T): T {
  const withCopy = <Q extends PgliteQueries>(target: Q): Q => {
    const query = (text: string, params?: unknown[], options?: Record<string, unknown>) => {
      const copy = copyStatement(text, params);
      if (copy === undefined) return target.query(text, params, options);
      const parts: string[] = [];
      for (const piece of (params as Array<Iterable<string>>)[0]) {
        if (typeof piece !== "string")
          return Promise.reject(new TypeError("a COPY data piece is not a string"));
        parts.push(piece);
      }
      return target.query(`${copy.replace(/ from stdin$/i, "")} from '/dev/blob'`, [], {
        ...options,
        // A Blob encodes its string parts as UTF-8.
        blob: new Blob(parts),
      });
    };
    return new Proxy(target, {
      get(object, property) {
        if (property === "query") return query;
        const value = Reflect.get(object, property, object);
        // PGlite's methods use private fields: they must run on the instance itself, not on the proxy.
        return typeof value === "function" ? value.bind(object) : value;
      },
    });
  };
  const instance = withCopy(pglite);
  return new Proxy(instance, {
    get(object, property) {
      if (property !== "transaction") return Reflect.get(object, property);
      return <R>(callback: (tx: PgliteQueries) => Promise<R>) =>
        (pglite as unknown as { transaction(cb: (tx: PgliteQueries) => Promise<R>): Promise<R> }).transaction(
          (tx) => callback(withCopy(tx)),
        );
    },
  });
}
