/**
 * Resolves after one turn of the event loop (a macrotask). A job reading an upload runs on microtasks while
 * bytes are buffered, and PGlite settles queries as microtasks: awaiting this lets I/O, timers and other
 * requests in between.
 */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
