import { afterEach, describe, expect, it, vi } from "vitest";
import { Interruption } from "./interruption.js";

describe("Interruption", () => {
  let interruption: Interruption | undefined;
  afterEach(() => {
    interruption?.dispose();
    vi.restoreAllMocks();
  });

  it("exits at a second signal only once the cancel it must finish has settled", async () => {
    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    interruption = new Interruption();
    let recorded = () => {};
    const cancel = new Promise<void>((resolve) => {
      recorded = resolve;
    });
    process.emit("SIGINT", "SIGINT");
    expect(interruption.interrupted).toBe(true);
    interruption.mustFinish(cancel);
    process.emit("SIGINT", "SIGINT");
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(exit).not.toHaveBeenCalled();
    recorded();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(exit).toHaveBeenCalledWith(130);
  });

  it("exits at once at a second signal when nothing must finish", () => {
    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    interruption = new Interruption();
    process.emit("SIGTERM", "SIGTERM");
    process.emit("SIGTERM", "SIGTERM");
    expect(exit).toHaveBeenCalledWith(143);
  });
});
