/**
 * The upload import's thread runner, driven by small fake thread modules (data: URLs): the upload is
 * spooled to a file the thread reads, run() resolves without waiting for the import, a spooling error is
 * passed on, the file is removed when the thread ends, and a thread that dies marks its job as failed.
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { threadImportRunner, type UploadJob } from "../../src/recipients/import/import-thread.js";
import { eventually } from "../delivery/support.js";

/** A fake import thread: `body` runs with `data` (workerData) and `fs` (node:fs). */
function fakeThread(body: string): URL {
  const code = `import { workerData as data } from "node:worker_threads";\nimport fs from "node:fs";\n${body}`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

const job: UploadJob = { actor: { id: 7, role: "user" }, jobId: 42, updateExisting: false };
const database = { databaseUrl: undefined, dataDir: "/nonexistent" };

describe(threadImportRunner.name, () => {
  it("spools the upload to a file the thread reads, and removes it when the thread ends", async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), "import-thread-")), "seen.json");
    const entry = fakeThread(`
      fs.writeFileSync(${JSON.stringify(out)}, JSON.stringify({ file: data.file, text: fs.readFileSync(data.file, "utf8"), job: data.job, inputError: data.inputError }));
    `);
    const failed = vi.fn(async () => {});
    const sut = threadImportRunner({ database, onError: vi.fn(), entry });
    await sut.run(job, [Buffer.from("email\n"), Buffer.from("ann@example.com\n")], failed);
    const seen = await eventually(() => existsSync(out) && JSON.parse(readFileSync(out, "utf8")));
    expect(seen).toMatchObject({ text: "email\nann@example.com\n", job, inputError: null });
    await eventually(() => !existsSync(seen.file));
    expect(failed).not.toHaveBeenCalled();
  });

  it("resolves once the thread is started, before its import ends", async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), "import-thread-")), "done");
    const entry = fakeThread(`setTimeout(() => fs.writeFileSync(${JSON.stringify(out)}, "done"), 300);`);
    const sut = threadImportRunner({ database, onError: vi.fn(), entry });
    await sut.run(
      job,
      ["email\n"],
      vi.fn(async () => {}),
    );
    expect(existsSync(out)).toBe(false);
    await eventually(() => existsSync(out));
  });

  it("passes an upload that failed while spooling on to the thread, with the bytes read before it", async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), "import-thread-")), "seen.json");
    const entry = fakeThread(`
      fs.writeFileSync(${JSON.stringify(out)}, JSON.stringify({ text: fs.readFileSync(data.file, "utf8"), inputError: data.inputError }));
    `);
    async function* tooLarge() {
      yield Buffer.from("email\nann@example.com\n");
      throw new Error("the file is larger than 50 MB");
    }
    const sut = threadImportRunner({ database, onError: vi.fn(), entry });
    await sut.run(
      job,
      tooLarge(),
      vi.fn(async () => {}),
    );
    const seen = await eventually(() => existsSync(out) && JSON.parse(readFileSync(out, "utf8")));
    expect(seen).toEqual({ text: "email\nann@example.com\n", inputError: "the file is larger than 50 MB" });
  });

  it("marks the job failed and reports the error when the thread dies", async () => {
    const entry = fakeThread(`throw new Error("no database here");`);
    const failed = vi.fn(async () => {});
    const onError = vi.fn();
    const sut = threadImportRunner({ database, onError, entry });
    await sut.run(job, ["email\n"], failed);
    await eventually(() => failed.mock.calls.length > 0);
    expect(onError.mock.calls[0]![0]).toMatchObject({ message: "no database here" });
  });
});
