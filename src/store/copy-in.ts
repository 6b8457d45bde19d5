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

/** A pg client that runs `copyFromStdin` statements as COPY FROM STDIN and every other query as pg does. */
export class CopyingClient extends pg.Client {
  // biome-ignore lint/suspicious/noExplicitAny: pg's query is heavily overloaded; this forwards every form.
  override query(...args: any[]): any {
    const copy = args.length === 2 ? copyStatement(args[0], args[1]) : undefined;
    if (copy === undefined) return super.query(...(args as Parameters<pg.Client["query"]>));
    const submittable = new CopyIn(copy, (args[1] as Array<Iterable<string>>)[0]);
    super.query(submittable as never);
    return submittable.done;
  }
}
