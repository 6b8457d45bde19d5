import type { Migration, MigrationProvider } from "kysely/migration";
import * as initial from "./0001-initial.js";
import * as imports from "./0002-imports.js";
import * as importFailedRows from "./0003-import-failed-rows.js";
import * as importEncoding from "./0004-import-encoding.js";
import * as importUnmappedColumns from "./0005-import-unmapped-columns.js";
import * as importUploadLz4 from "./0006-import-upload-lz4.js";
import * as importColumnMapping from "./0007-import-column-mapping.js";
import * as canonicalChildFingerprints from "./0008-canonical-child-fingerprints.js";
import * as importDateFormat from "./0009-import-date-format.js";

// Migrations live in code (not read from a folder) so the built package and the tests see the same list.
const migrations: Record<string, Migration> = {
  "0001-initial": initial,
  "0002-imports": imports,
  "0003-import-failed-rows": importFailedRows,
  "0004-import-encoding": importEncoding,
  "0005-import-unmapped-columns": importUnmappedColumns,
  "0006-import-upload-lz4": importUploadLz4,
  "0007-import-column-mapping": importColumnMapping,
  "0008-canonical-child-fingerprints": canonicalChildFingerprints,
  "0009-import-date-format": importDateFormat,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};

export const latestSchemaVersion = Object.keys(migrations).sort().at(-1) as string;
