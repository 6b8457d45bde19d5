import { describe, expect, it } from "vitest";
import type { ImportPreview } from "../jobs/preview-import.js";
import { previewText } from "./preview-text.js";

type Row = ImportPreview["rows"][number];

function preview(rows: Row[], mapping: Record<string, string | null> = { Email: "email" }): ImportPreview {
  return {
    format: "csv",
    encoding: "utf-8",
    dateFormat: "YEAR_MONTH_DAY",
    shape: "native",
    idProperty: "email",
    mapping,
    unmappedColumns: Object.keys(mapping).filter((c) => mapping[c] === null),
    rows,
  };
}

const row = (n: number, status: Row["status"], extra: Partial<Row> = {}): Row => ({
  row: n,
  status,
  contactId: null,
  errors: [],
  ...extra,
});

describe("previewText", () => {
  it("lines up the columns, names the stored contact a row matches, and every error of a refused row", () => {
    const text = previewText(
      preview(
        [
          row(1, "created"),
          row(2, "updated", { contactId: 17 }),
          row(3, "error", {
            errors: [
              {
                code: "CONTACT_EMAIL_INVALID",
                field: "E-mail",
                message: "email 'x' is not an email address",
              },
              { code: "CONTACT_DATE_INVALID", field: null, message: "a date" },
            ],
          }),
        ],
        { "E-mail": "email", "Favourite Colour": null },
      ),
    );
    expect(text).toBe(
      [
        "preview: native shape, csv, matching on email",
        "columns:",
        "  E-mail            → email",
        "  Favourite Colour  (not imported)",
        "rows (the first 3):",
        "  row 1: created",
        "  row 2: updated contact 17",
        "  row 3: error",
        "    CONTACT_EMAIL_INVALID E-mail: email 'x' is not an email address",
        "    CONTACT_DATE_INVALID: a date",
        "would be: created 1, updated 1, unchanged 0, failed 1; nothing was written",
        "",
      ].join("\n"),
    );
  });

  it("says when the file has no rows, and counts skipped rows only when there are some", () => {
    expect(previewText(preview([]))).toContain("rows: none in the file\n");
    expect(previewText(preview([row(1, "skipped")]))).toContain(
      "would be: created 0, updated 0, unchanged 0, skipped 1, failed 0;",
    );
  });
});
