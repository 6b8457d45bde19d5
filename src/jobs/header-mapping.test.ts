import { describe, expect, it } from "vitest";
import type { DateFormat } from "../core/dates.js";
import { samImportShape as samShape } from "../dialects/sam/import-shape.js";
import { ColumnMapper, normaliseHeader, unknownMappingTargets } from "./header-mapping.js";
import { nativeShape } from "./import-shapes.js";

const absent = Symbol("absent");

describe("automatic header mapping (native shape)", () => {
  const cases = [
    { header: "First Name", target: "givenName" },
    { header: "first_name", target: "givenName" },
    { header: "GIVENNAME", target: "givenName" },
    { header: "given-name", target: "givenName" },
    { header: "E-mail", target: "email" },
    { header: "Email Address", target: "email" },
    { header: "DOB", target: "dateOfBirth" },
    { header: "Birth Date", target: "dateOfBirth" },
    { header: "Zip Code", target: "correspondencePostcode" },
    { header: "External ID", target: "identifiers.external_id" },
    { header: "identifiers.regent_id", target: "identifiers.regent_id" },
    { header: "Identifiers.Crm Number", target: "identifiers.crm_number" },
    { header: "Identifiers.My Scheme", target: "identifiers.my_scheme" },
    { header: "Tags", target: "tags" },
    { header: "Favourite Colour", target: null },
    { header: "__proto__", target: null },
  ];
  it.each(cases)("$header → $target", ({ header, target }) => {
    expect(new ColumnMapper(nativeShape, null).targetOf(header)).toBe(target);
  });

  it("an explicit mapping reads only the columns it names, and remembers which column fed a field", () => {
    const mapper = new ColumnMapper(nativeShape, { Mail: "email", Nom: "surname" });
    expect(mapper.apply({ Mail: "a@b.org", Nom: "Curie", email: "ignored@b.org" })).toEqual({
      email: "a@b.org",
      surname: "Curie",
    });
    expect(mapper.columnOf.get("email")).toBe("Mail");
  });

  it("two columns for one field: a filled cell wins over an empty one", () => {
    const mapper = new ColumnMapper(nativeShape, null);
    expect(mapper.apply({ Email: "a@b.org", "E-mail": "" })).toEqual({ email: "a@b.org" });
    // Both filled: the last one, as docs/imports.md says; both ways of mapping agree.
    expect(mapper.apply({ Email: "old@b.org", "E-mail": "new@b.org" })).toEqual({ email: "new@b.org" });
    const explicit = new ColumnMapper(nativeShape, { Mail: "email", Other: "email" });
    for (let i = 0; i < 20; i++) {
      expect(explicit.apply({ Mail: "", Other: "x@b.org" })).toEqual({ email: "x@b.org" });
      expect(explicit.apply({ Mail: "m@b.org", Other: "" })).toEqual({ email: "m@b.org" });
    }
    expect(explicit.columnOf.get("email")).toBe("Mail");
  });

  it("names the column a row's value for a twice-fed field was read from", () => {
    const mapper = new ColumnMapper(nativeShape, null);
    expect(mapper.sharedTargets.size).toBe(0);
    mapper.apply({ Email: "", "E-mail": "", surname: "Curie" });
    expect([...mapper.sharedTargets]).toEqual(["email"]);
    expect(mapper.sourceColumn("email", { Email: "", "E-mail": "b@c.org" })).toBe("E-mail");
    expect(mapper.sourceColumn("email", { Email: "a@c.org", "E-mail": "" })).toBe("Email");
    expect(mapper.sourceColumn("email", { Email: "", "E-mail": "" })).toBe("Email");
    // An NDJSON record may hold its keys in another order: the rule follows the record's own order.
    expect(mapper.sourceColumn("email", { "E-mail": "b@c.org", Email: "a@c.org" })).toBe("Email");
    expect(mapper.sourceColumn("surname", { surname: "Curie" })).toBe("surname");
    expect(mapper.sourceColumn("givenName", { surname: "Curie" })).toBeUndefined();
  });

  it("the named column always holds the value the mapping took", () => {
    const explicit = new ColumnMapper(nativeShape, { A: "email", B: "email", C: "email", D: "surname" });
    // A cell may be empty, set, undefined (an NDJSON key without a value) or absent.
    const cells = ["", "x@b.org", "y@b.org", undefined, absent];
    for (const a of cells)
      for (const b of cells)
        for (const c of cells) {
          const record: Record<string, unknown> = { D: "S" };
          for (const [column, value] of [
            ["C", c],
            ["A", a],
            ["B", b],
          ] as const)
            if (value !== absent) record[column] = value;
          const mapped = explicit.apply(record);
          const source = explicit.sourceColumn("email", record);
          expect(source === undefined ? undefined : record[source]).toBe(mapped.email);
        }
  });

  it("names the unknown targets of a mapping", () => {
    expect(
      unknownMappingTargets(nativeShape, { a: "email", b: "emailAddress", c: "identifiers.Bad" }),
    ).toEqual(["emailAddress", "identifiers.Bad"]);
    expect(unknownMappingTargets(samShape, { a: "firstname", b: "givenName" })).toEqual(["givenName"]);
  });

  it("normalises case, spaces, underscores, hyphens and dots away", () => {
    expect(normaliseHeader(" Post_Code-2.x ")).toBe("postcode2x");
  });
});

describe("native shape cells", () => {
  const references = (kind: string, name: string) =>
    kind === "country" && name.toLowerCase() === "australia" ? 13 : undefined;
  const toInput = nativeShape.toContactInput;
  if (!toInput) throw new Error("the native shape maps row by row");
  const shape = (record: Record<string, unknown>, dateFormat: DateFormat = "YEAR_MONTH_DAY") =>
    toInput(record, 1, { references, dateFormat, userName: () => undefined });

  it("reads day-first and month-first dates in the job's dateFormat, and says which one it used when it cannot", () => {
    const record = {
      dateOfBirth: "31/12/1990",
      visaExpiryDate: "2/3/2030",
      sourceCreatedAt: "1/2/2026 9:30",
    };
    expect(shape(record, "DAY_MONTH_YEAR")).toEqual({
      input: {
        fields: {
          dateOfBirth: "1990-12-31",
          visaExpiryDate: "2030-03-02",
          sourceCreatedAt: "2026-02-01T09:30:00",
        },
      },
    });
    expect(shape({ ...record, dateOfBirth: "12/31/1990" }, "MONTH_DAY_YEAR")).toEqual({
      input: {
        fields: {
          dateOfBirth: "1990-12-31",
          visaExpiryDate: "2030-02-03",
          sourceCreatedAt: "2026-01-02T09:30:00",
        },
      },
    });
    // ISO dates read the same in every order.
    expect(shape({ dateOfBirth: "1990-12-31" }, "MONTH_DAY_YEAR")).toEqual({
      input: { fields: { dateOfBirth: "1990-12-31" } },
    });
    expect(shape({ dateOfBirth: "31/12/1990" }, "MONTH_DAY_YEAR")).toEqual({
      errors: [
        {
          code: "CONTACT_DATE_INVALID",
          field: "dateOfBirth",
          message: "dateOfBirth '31/12/1990' is not a date as MONTH_DAY_YEAR (MM/DD/YYYY)",
        },
      ],
    });
    expect(shape({ dateOfBirth: "31/12/1990" })).toEqual({
      errors: [
        {
          code: "CONTACT_DATE_INVALID",
          field: "dateOfBirth",
          message:
            "dateOfBirth '31/12/1990' is not YYYY-MM-DD; name the file's dateFormat (DAY_MONTH_YEAR or MONTH_DAY_YEAR) to read it",
        },
      ],
    });
  });

  it("converts text cells by field type; empty leaves alone, #N/A clears", () => {
    expect(
      shape({
        givenName: "Ada",
        surname: "",
        middleName: "#N/A",
        inactive: "Yes",
        correspondenceCountryId: "Australia",
        tags: "a; b;",
      }),
    ).toEqual({
      input: {
        fields: { givenName: "Ada", middleName: null, inactive: true, correspondenceCountryId: 13 },
        tags: [{ tag: "a" }, { tag: "b" }],
      },
    });
  });

  it("gives the same input from a compiled layout as cell by cell, row after row", () => {
    // The same rows shaped many times: the first ones cell by cell, later ones by the compiled builder.
    const rows = Array.from({ length: 60 }, (_, i) => ({
      "identifiers.external_id": i % 7 === 0 ? "" : `X-${i}`,
      givenName: i % 3 === 0 ? "" : `Ada${i}`,
      surname: i % 4 === 0 ? "#N/A" : `Lovelace "${i}"`,
      email: i % 5 === 0 ? 42 : `a${i}@b.org`,
      inactive: ["yes", "no", "perhaps", ""][i % 4],
      dateOfBirth: i % 6 === 0 ? "1990-02-30" : "1990-02-03",
      correspondenceCountryId: i % 2 ? "Australia" : "Atlantis",
      tags: i % 2 ? "a; b" : "",
      id: i % 9 === 0 ? "x" : "",
    }));
    // A key no shape target has, unique per row, gives each row a layout of its own: never compiled.
    const cellByCell = rows.map((r, i) => shape({ ...r, [`unmapped ${i}`]: "ignored" }));
    expect(cellByCell.filter((x) => "errors" in x).length).toBeGreaterThan(10);
    expect(cellByCell.filter((x) => "input" in x).length).toBeGreaterThan(10);
    // The shared layout is compiled after it repeats; every pass after that runs compiled.
    for (let pass = 0; pass < 3; pass++) {
      rows.forEach((r, i) => {
        const result = shape({ ...r });
        expect(result).toEqual(cellByCell[i]);
        const reference = cellByCell[i];
        if ("input" in result && "input" in reference) {
          expect(result.input.fields).toStrictEqual(reference.input.fields);
          expect(Object.keys(result.input.fields)).toEqual(Object.keys(reference.input.fields));
          expect(Object.getPrototypeOf(result.input.fields)).toBe(Object.prototype);
        }
      });
    }
  });

  it("reports every bad cell of a row", () => {
    expect(shape({ inactive: "perhaps", salutationId: "Sir", id: "x" })).toEqual({
      errors: [
        {
          code: "CONTACT_FIELD_INVALID",
          field: "inactive",
          message: "inactive must be true or false, got 'perhaps'",
        },
        {
          code: "CONTACT_REFERENCE_UNKNOWN",
          field: "salutationId",
          message: "salutationId 'Sir' names no salutation of this tenant",
        },
        { code: "CONTACT_FIELD_INVALID", field: "id", message: "id must be a positive integer, got 'x'" },
      ],
    });
  });
});

describe("a column list that repeats is mapped by a compiled plan", () => {
  // Column names that would break naive code generation, and two columns feeding one field.
  const columns = ['Mail"); throw 1; ("', "E-mail", "Email", "First\\Name", "Nom\u2028x", "junk", "ok\ud800"];
  const mapping = {
    'Mail"); throw 1; ("': "email",
    "E-mail": "email",
    Email: "email",
    "First\\Name": "givenName",
    "Nom\u2028x": "surname",
    "ok\ud800": "middleName",
  };
  const row = (i: number): Record<string, unknown> => {
    const values = [i % 3 === 0 ? "" : `a${i}@b.org`, i % 2 ? "" : `e${i}@b.org`, i % 5 ? "" : `m${i}@b.org`];
    const record: Record<string, unknown> = {};
    columns.forEach((c, k) => {
      record[c] = k < 3 ? values[k] : `${c}-${i}`;
    });
    return record;
  };

  it("gives what the column-by-column mapping gives, row after row and after the columns change", () => {
    const compiled = new ColumnMapper(nativeShape, mapping);
    const reference = new ColumnMapper(nativeShape, mapping);
    const byColumn = (r: Record<string, unknown>) =>
      (reference as unknown as { applyByColumn(r: Record<string, unknown>): unknown }).applyByColumn(r);
    for (let i = 0; i < 100; i++) {
      const r = row(i);
      const mapped = compiled.apply(r);
      expect(mapped).toEqual(byColumn(r));
      expect(Object.keys(mapped)).toEqual(Object.keys(byColumn(r) as object));
    }
    const planFor = (r: Record<string, unknown>) =>
      (compiled as unknown as { planFor(r: Record<string, unknown>): unknown }).planFor(r);
    expect(planFor(row(0))).toBeTypeOf("function");
    // Another column order, then fewer columns: no stale plan applies.
    const reordered = Object.fromEntries(Object.entries(row(7)).reverse());
    const fewer = { Email: "x@b.org", junk: "1" };
    for (let i = 0; i < 40; i++) {
      expect(compiled.apply(reordered)).toEqual(byColumn(reordered));
      expect(compiled.apply(fewer)).toEqual({ email: "x@b.org" });
    }
  });

  it("never lets a value reach the prototype", () => {
    const mapper = new ColumnMapper(nativeShape, { a: "email" });
    for (let i = 0; i < 40; i++) {
      const mapped = mapper.apply({ a: "x@b.org", b: "y" });
      expect(Object.getPrototypeOf(mapped)).toBe(Object.prototype);
    }
  });
});
