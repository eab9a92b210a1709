import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { registerDkimCommands } from "../../src/cli/dkim.js";
import { parseConfig } from "../../src/config.js";
import { dkimSigner } from "../../src/delivery/dkim.js";
import { verifyDkim } from "../helpers/dkim.js";

describe("postpilot dkim-keygen", () => {
  let dir: string;
  let out: string[];
  let err: string[];

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "postpilot-dkim-"));
    out = [];
    err = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void out.push(line));
    vi.spyOn(console, "error").mockImplementation((line: string) => void err.push(line));
    process.exitCode = undefined;
  });

  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(...args: string[]) {
    const program = new Command("postpilot").exitOverride();
    // As the real command line does: the DKIM key is not read, since it may be the one being made.
    registerDkimCommands(program, () =>
      parseConfig({ DATA_DIR: dir, DKIM_DOMAIN: "example.com", DKIM_SELECTOR: "s1" }, { readDkimKey: false }),
    );
    await program.parseAsync(["dkim-keygen", ...args], { from: "user" });
    return out.join("\n");
  }

  it("writes a 0600 key under DATA_DIR/dkim/ and prints the record that verifies its signatures", async () => {
    const printed = await run("--domain", "Example.com", "--selector", "s1");

    const keyFile = path.join(dir, "dkim", "s1.example.com.pem");
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(printed).toContain("name:  s1._domainkey.example.com");
    expect(printed).toContain("DKIM_DOMAIN=example.com\n  DKIM_SELECTOR=s1");
    expect(printed).toContain(`DKIM_PRIVATE_KEY_FILE=${keyFile}`);
    const txt = /value: (v=DKIM1; k=rsa; p=\S+)/.exec(printed)?.[1];
    expect(txt).toBeDefined();

    // The configuration now finds the key by default, and what it signs verifies against the printed record.
    const config = parseConfig({ DATA_DIR: dir, DKIM_DOMAIN: "example.com", DKIM_SELECTOR: "s1" });
    expect(config.dkim?.privateKey).toBe(readFileSync(keyFile, "utf8"));
    const signed = dkimSigner(config.dkim!)(
      Buffer.from("From: a@example.com\r\nTo: b@example.org\r\nSubject: Hi\r\n\r\nHello\r\n"),
    );
    expect(await verifyDkim(signed, { "s1._domainkey.example.com": txt! })).toEqual([
      { status: "pass", domain: "example.com" },
    ]);
  });

  it("refuses to replace a key without --force", async () => {
    await run("--domain", "example.com", "--selector", "s1");
    const keyFile = path.join(dir, "dkim", "s1.example.com.pem");
    const first = readFileSync(keyFile, "utf8");
    out = [];

    await run("--domain", "example.com", "--selector", "s1");
    expect(process.exitCode).toBe(1);
    expect(err.join("\n")).toContain(`${keyFile} already exists. Pass --force`);
    expect(readFileSync(keyFile, "utf8")).toBe(first);

    process.exitCode = undefined;
    await run("--domain", "example.com", "--selector", "s1", "--force");
    expect(process.exitCode).toBeUndefined();
    expect(readFileSync(keyFile, "utf8")).not.toBe(first);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  });

  it("says which option is wrong", async () => {
    await run("--domain", "not a domain", "--selector", "s_1");

    expect(process.exitCode).toBe(2);
    expect(err).toEqual([
      "--domain: must be a domain name such as example.com",
      "--selector: must be letters, digits and hyphens, such as mail2026",
    ]);
  });
});
