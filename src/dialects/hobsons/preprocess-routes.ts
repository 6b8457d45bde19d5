// `POST api/processes/preprocessupsertcontacts` (page 002): flat rows in (JSON, or the spreadsheet itself
// as text/csv), one ContactUpsertDto per person out; nothing is written.
import type { FastifyInstance } from "fastify";
import { type FieldError, fieldError, TributaryError } from "../../core/errors.js";
import { readCsvRecords } from "../../formats/csv/read-csv.js";
import { FileRejectedError } from "../../formats/records.js";
import { invalidRequestMessage } from "./errors.js";
import { groupFlatRows } from "./group-flat-rows.js";

// 100,000 rows of a wide spreadsheet run to tens of MiB; the pre-processor holds them only as long as
// it groups them (it writes nothing), so its body limit is above the server's default.
const preprocessBodyLimit = 128 * 1024 * 1024;

interface CsvRows {
  csvRows: Record<string, string>[];
  csvErrors: FieldError[];
}

/** Registers the pre-processor and its text/csv body parser on the (authenticated) Hobsons scope. */
export function registerPreprocessRoute(app: FastifyInstance): void {
  app.addContentTypeParser(
    "text/csv",
    { parseAs: "buffer", bodyLimit: preprocessBodyLimit },
    async (_request: unknown, body: Buffer): Promise<CsvRows> => {
      const csvRows: Record<string, string>[] = [];
      const csvErrors: FieldError[] = [];
      try {
        for await (const outcome of readCsvRecords([body])) {
          if (outcome.kind === "record") csvRows.push(outcome.fields as Record<string, string>);
          else
            csvErrors.push(
              fieldError(
                "REQUEST_BODY_INVALID",
                `contacts[${outcome.row - 1}]`,
                `Row ${outcome.row} (line ${outcome.line}): ${outcome.message}`,
                outcome.row - 1,
              ),
            );
        }
      } catch (error) {
        if (error instanceof FileRejectedError)
          throw new TributaryError("REQUEST_BODY_INVALID", invalidRequestMessage, [
            fieldError("REQUEST_BODY_INVALID", "contacts", error.message),
          ]);
        throw error;
      }
      return { csvRows, csvErrors };
    },
  );

  app.post("/api/processes/preprocessupsertcontacts", { bodyLimit: preprocessBodyLimit }, async (request) => {
    const body = request.body as unknown;
    const csv = isCsvRows(body) ? body : undefined;
    if (csv && csv.csvErrors.length > 0)
      throw new TributaryError("REQUEST_BODY_INVALID", invalidRequestMessage, csv.csvErrors);
    const { contacts, errors } = groupFlatRows(csv ? csv.csvRows : body, { textCells: csv !== undefined });
    if (errors.length > 0) throw new TributaryError("REQUEST_BODY_INVALID", invalidRequestMessage, errors);
    return contacts;
  });
}

function isCsvRows(body: unknown): body is CsvRows {
  return (
    typeof body === "object" &&
    body !== null &&
    !Array.isArray(body) &&
    Array.isArray((body as CsvRows).csvRows)
  );
}
