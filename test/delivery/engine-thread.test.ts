/**
 * The engine thread's handle, driven by small fake thread modules (data: URLs): the start and stop
 * handshake, wake forwarded as a message, and a thread that dies unasked reported as a crash.
 */
import { describe, expect, it, vi } from "vitest";
import { parseConfig } from "../../src/config.js";
import { startEngineThread } from "../../src/delivery/engine-thread.js";
import { eventually } from "./support.js";

const config = parseConfig({ DATA_DIR: "/nonexistent" });
const parts = { worker: true, scheduler: true };

/** A fake engine: `body` runs in the thread with `port` (the parent port) and `data` (workerData). */
function fakeEngine(body: string): URL {
  const code = `import { parentPort as port, workerData as data } from "node:worker_threads";\n${body}`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

const behaves = fakeEngine(`
  port.on("message", (m) => {
    if (m.type === "stop") setTimeout(() => port.postMessage({ type: "stopped" }), 20);
  });
  port.postMessage({ type: "started", workerId: data.parts.worker ? "w-1" : null });
`);

describe(startEngineThread.name, () => {
  it("resolves once the engine reports started, and stop() waits for its stopped report", async () => {
    const onCrash = vi.fn();
    const sut = await startEngineThread({ config, parts, onCrash, entry: behaves });
    expect(sut.workerId).toBe("w-1");
    const stopping = sut.stop();
    expect(sut.stop()).toBe(stopping); // asked twice, stopped once
    await stopping;
    expect(onCrash).not.toHaveBeenCalled();
  });

  it("forwards wake() to the thread as a message", async () => {
    const onCrash = vi.fn();
    const entry = fakeEngine(`
      port.on("message", (m) => { if (m.type === "wake") throw new Error("woken"); });
      port.postMessage({ type: "started", workerId: null });
    `);
    const sut = await startEngineThread({ config, parts, onCrash, entry });
    sut.wake();
    await eventually(() => onCrash.mock.calls.length > 0);
    expect(onCrash.mock.calls[0]![0]).toMatchObject({ message: "woken" });
  });

  it("asks the thread for its metrics by message, and gives up on a silent thread after 2 s", async () => {
    const entry = fakeEngine(`
      port.on("message", (m) => {
        if (m.type === "metrics" && m.id === 1) port.postMessage({ type: "metrics", id: m.id, metrics: [{ name: "x_total", help: "x", type: "counter", values: [{ value: 3, labels: {} }], aggregator: "sum" }] });
        if (m.type === "stop") port.postMessage({ type: "stopped" });
      });
      port.postMessage({ type: "started", workerId: null });
    `);
    const sut = await startEngineThread({ config, parts, onCrash: vi.fn(), entry });
    expect(await sut.metrics()).toMatchObject([{ name: "x_total", values: [{ value: 3 }] }]);
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const silent = sut.metrics(); // the fake answers only its first request
      await vi.advanceTimersByTimeAsync(2_000);
      expect(await silent).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
    await sut.stop();
  });

  it("rejects the start when the thread fails before it runs", async () => {
    const entry = fakeEngine(`throw new Error("no database");`);
    await expect(startEngineThread({ config, parts, onCrash: vi.fn(), entry })).rejects.toThrow(
      "no database",
    );
  });

  it("reports an uncaught error after the start as a crash, once", async () => {
    const onCrash = vi.fn();
    const entry = fakeEngine(`
      port.postMessage({ type: "started", workerId: null });
      setTimeout(() => { throw new Error("boom"); }, 20);
    `);
    const sut = await startEngineThread({ config, parts, onCrash, entry });
    await eventually(() => onCrash.mock.calls.length > 0);
    expect(onCrash).toHaveBeenCalledTimes(1);
    expect(onCrash.mock.calls[0]![0]).toMatchObject({ message: "boom" });
    await sut.stop(); // nothing left to stop
  });

  it("reports a thread that exits unasked as a crash, even with exit code 0", async () => {
    const onCrash = vi.fn();
    const entry = fakeEngine(`
      port.postMessage({ type: "started", workerId: null });
      setTimeout(() => process.exit(0), 20);
    `);
    await startEngineThread({ config, parts, onCrash, entry });
    await eventually(() => onCrash.mock.calls.length > 0);
    expect(onCrash.mock.calls[0]![0]).toMatchObject({
      message: expect.stringContaining("exited with code 0"),
    });
  });

  it("rejects stop() when the thread fails while stopping", async () => {
    const entry = fakeEngine(`
      port.on("message", (m) => { if (m.type === "stop") throw new Error("could not release"); });
      port.postMessage({ type: "started", workerId: null });
    `);
    const onCrash = vi.fn();
    const sut = await startEngineThread({ config, parts, onCrash, entry });
    await expect(sut.stop()).rejects.toThrow("could not release");
    expect(onCrash).not.toHaveBeenCalled();
  });
});
