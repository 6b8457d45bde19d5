#!/usr/bin/env node
import { setFlagsFromString } from "node:v8";

// V8 sizes its heap by how fast a process allocates, not by what it keeps: an import on PostgreSQL
// allocates ~150 MB/s of short-lived rows, and V8 let the heap reach 400+ MiB around a live set of 40-50 MiB.
// A growing factor of 1.3 keeps the server under 256 MiB; it costs CPU (a fifth to a third of the server's
// during an import, more collections; docs/benchmarks-import.md has the runs), and unlike a heap cap it
// never makes a large request fail. On PGlite the
// process's memory is PGlite's WebAssembly heap (~500 MiB) whatever the JS heap does, so the trade buys
// nothing there. Set before the program allocates, hence the dynamic import.
if (process.env.DATABASE_URL) setFlagsFromString("--heap-growing-percent=30");
await import("../dist/cli/main.js");
