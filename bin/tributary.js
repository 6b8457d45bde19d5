#!/usr/bin/env node
import { setFlagsFromString } from "node:v8";

// V8 sizes its heap by how fast a process allocates, not by what it keeps: an import on PostgreSQL
// allocates fast, and V8 let the heap reach 400+ MiB around a live set of 40-50 MiB. A growing factor keeps
// the server under 256 MiB; unlike a heap cap it never makes a large request fail, and it costs CPU (more
// collections). Since an import holds a chunk as one line of text per row (2026-12-05) its live set is
// smaller: a million-row import peaked at 210-211 MiB with a factor of 1.3 or 1.6, 232 MiB with 2.0, and
// the server spent 22-23 µs of CPU per row at 1.6 against 25-29 at 1.3 (docs/benchmarks-import.md).
// On PGlite the process's memory is PGlite's WebAssembly heap (~500 MiB) whatever the JS heap does, so the
// trade buys nothing there. Set before the program allocates, hence the dynamic import. A
// --heap-growing-percent given to node itself (NODE_OPTIONS, or the command line) wins.
const heapFactorGiven = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)].some((flag) =>
  flag.startsWith("--heap-growing-percent"),
);
if (process.env.DATABASE_URL && !heapFactorGiven) setFlagsFromString("--heap-growing-percent=60");
await import("../dist/cli/main.js");
