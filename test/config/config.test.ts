import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError, dkimKeyPath, isLoopbackHost, parseConfig, publicBaseUrl } from "../../src/config.js";
import { generateDkimKey } from "../../src/delivery/dkim.js";

describe(parseConfig.name, () => {
  it("has defaults that run the embedded service", () => {
    const config = parseConfig({});
    expect(config.port).toBe(3000);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.smtp.url).toBeUndefined();
    expect(config.dataDir.endsWith("data")).toBe(true);
    expect(config.send.rate).toBe(0);
  });

  it("names every bad variable", () => {
    const attempt = () =>
      parseConfig({ PORT: "abc", DATABASE_URL: "mysql://x", SEND_CONCURRENCY: "0", SMTP_URL: "http://x" });
    expect(attempt).toThrow(ConfigError);
    const message = (() => {
      try {
        attempt();
      } catch (error) {
        return (error as Error).message;
      }
    })();
    expect(message).toContain("PORT: must be a port number");
    expect(message).toContain("DATABASE_URL: must start with postgres://");
    expect(message).toContain("SEND_CONCURRENCY: must be a whole number of at least 1");
    expect(message).toContain("SMTP_URL: must start with smtp:// or smtps://");
  });

  it("reads SMTP_RETURN_PATH, refusing a bad one or one with its own +", () => {
    expect(parseConfig({ SMTP_RETURN_PATH: "bounces@example.com" }).bounces.returnPath).toBe(
      "bounces@example.com",
    );
    expect(() => parseConfig({ SMTP_RETURN_PATH: "bounces" })).toThrow(/SMTP_RETURN_PATH: must be an email/);
    expect(() => parseConfig({ SMTP_RETURN_PATH: "b+x@example.com" })).toThrow(/SMTP_RETURN_PATH: must not/);
  });

  it("reads BOUNCE_IMAP_URL with its defaults, and never repeats a bad one (it holds a password)", () => {
    const imap = parseConfig({ BOUNCE_IMAP_URL: "imaps://bounce%40x:s%3Acret@mail.example.com/Bounces" })
      .bounces.imap;
    expect(imap).toEqual({
      host: "mail.example.com",
      port: 993,
      secure: true,
      user: "bounce@x",
      password: "s:cret",
      mailbox: "Bounces",
      intervalMs: 60_000,
      processedFolder: "PostPilot/Processed",
      ignoredFolder: "PostPilot/Ignored",
      timeoutMs: 15_000,
    });
    expect(parseConfig({ BOUNCE_IMAP_URL: "imap://u:p@127.0.0.1:10143" }).bounces.imap).toMatchObject({
      port: 10143,
      secure: false,
      mailbox: "INBOX",
    });
    for (const bad of ["pop3://u:secretpw@h/", "imap://nopassword@h/", "not a url secretpw"]) {
      let message = "";
      try {
        parseConfig({ BOUNCE_IMAP_URL: bad, BOUNCE_IMAP_INTERVAL_MS: "5" });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/BOUNCE_IMAP_URL: must/);
      expect(message).toMatch(/BOUNCE_IMAP_INTERVAL_MS: must be a whole number of at least 1000/);
      expect(message).not.toContain("secretpw");
    }
  });

  it("reads the bounce limits (1 and 3 by default) and the webhook token, naming a bad one", () => {
    expect(parseConfig({}).bounces).toEqual({
      hardLimit: 1,
      softLimit: 3,
      webhookToken: undefined,
      returnPath: undefined,
      imap: undefined,
    });
    const token = "t".repeat(32);
    expect(
      parseConfig({ BOUNCE_HARD_LIMIT: "2", BOUNCE_SOFT_LIMIT: "5", BOUNCE_WEBHOOK_TOKEN: token }).bounces,
    ).toMatchObject({ hardLimit: 2, softLimit: 5, webhookToken: token });
    expect(() => parseConfig({ BOUNCE_SOFT_LIMIT: "0" })).toThrow(
      /BOUNCE_SOFT_LIMIT: must be a whole number/,
    );
    expect(() => parseConfig({ BOUNCE_WEBHOOK_TOKEN: "short" })).toThrow(/BOUNCE_WEBHOOK_TOKEN: must be 24/);
  });

  it("reads PostgreSQL, SMTP and sending settings", () => {
    const config = parseConfig({
      DATABASE_URL: "postgres://u@h/db",
      SMTP_URL: "smtps://u:p@mail:465",
      SEND_RATE: "12.5",
      TRUST_PROXY: "true",
    });
    expect(config.databaseUrl).toBe("postgres://u@h/db");
    expect(config.smtp.url).toBe("smtps://u:p@mail:465");
    expect(config.send.rate).toBe(12.5);
    expect(config.trustProxy).toBe(true);
  });

  it("keeps every delivery unless DELIVERY_RETENTION_DAYS is set to a whole number of days", () => {
    expect(parseConfig({}).send.retentionDays).toBeUndefined();
    expect(parseConfig({ DELIVERY_RETENTION_DAYS: "90" }).send.retentionDays).toBe(90);
    for (const bad of ["0", "1.5", "ninety"])
      expect(() => parseConfig({ DELIVERY_RETENTION_DAYS: bad })).toThrow(
        /DELIVERY_RETENTION_DAYS: must be a whole number of days/,
      );
  });
});

describe("DKIM and SMTP_NAME configuration", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "postpilot-config-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const messageOf = (env: Record<string, string>) => {
    try {
      parseConfig({ DATA_DIR: dir, ...env });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error("expected a ConfigError");
  };

  it("is off by default, and the EHLO name defaults to the host name", () => {
    const config = parseConfig({ DATA_DIR: dir });
    expect(config.dkim).toBeUndefined();
    expect(config.smtp.name).toBe(hostname() || "localhost");
    expect(parseConfig({ SMTP_NAME: "mail.example.com" }).smtp.name).toBe("mail.example.com");
    expect(parseConfig({ SMTP_NAME: "[192.0.2.1]" }).smtp.name).toBe("[192.0.2.1]");
    expect(messageOf({ SMTP_NAME: "bad name" })).toContain("SMTP_NAME: must be a host name");
  });

  it("reads the key from DATA_DIR/dkim/<selector>.<domain>.pem by default", () => {
    const file = dkimKeyPath(dir, "example.com", "s1");
    mkdirSync(path.dirname(file), { recursive: true });
    const { privateKey } = generateDkimKey();
    writeFileSync(file, privateKey);
    const config = parseConfig({ DATA_DIR: dir, DKIM_DOMAIN: "Example.com", DKIM_SELECTOR: "s1" });
    expect(config.dkim).toEqual({ domain: "example.com", selector: "s1", keyFile: file, privateKey });
  });

  it("names the variable when only one of domain and selector is set", () => {
    expect(messageOf({ DKIM_DOMAIN: "example.com" })).toContain(
      "DKIM_SELECTOR: must be set when DKIM_DOMAIN is",
    );
    expect(messageOf({ DKIM_SELECTOR: "s1" })).toContain("DKIM_DOMAIN: must be set when DKIM_SELECTOR is");
    expect(messageOf({ DKIM_DOMAIN: "not a domain", DKIM_SELECTOR: "s1" })).toContain(
      "DKIM_DOMAIN: must be a domain name",
    );
  });

  it("names DKIM_PRIVATE_KEY_FILE when the key is missing, unreadable or not a PEM private key", () => {
    const dkim = { DKIM_DOMAIN: "example.com", DKIM_SELECTOR: "s1" };
    expect(messageOf(dkim)).toMatch(
      /DKIM_PRIVATE_KEY_FILE: .*s1\.example\.com\.pem does not exist \(run `postpilot dkim-keygen/,
    );
    expect(messageOf({ ...dkim, DKIM_PRIVATE_KEY_FILE: dir })).toMatch(
      /DKIM_PRIVATE_KEY_FILE: .* cannot be read \(EISDIR\)/,
    );
    const junk = path.join(dir, "junk.pem");
    writeFileSync(junk, "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n");
    expect(messageOf({ ...dkim, DKIM_PRIVATE_KEY_FILE: junk })).toContain(
      "junk.pem is not a PEM private key",
    );
    const ed = path.join(dir, "ed.pem");
    const { privateKey } = generateKeyPairSync("ed25519");
    writeFileSync(ed, privateKey.export({ type: "pkcs8", format: "pem" }));
    expect(messageOf({ ...dkim, DKIM_PRIVATE_KEY_FILE: ed })).toContain(
      "is a ed25519 key; DKIM here needs RSA",
    );
  });

  it("does not read the key when asked not to (dkim-keygen)", () => {
    const config = parseConfig(
      { DATA_DIR: dir, DKIM_DOMAIN: "example.com", DKIM_SELECTOR: "s1" },
      { readDkimKey: false },
    );
    expect(config.dkim).toBeUndefined();
  });
});

describe(publicBaseUrl.name, () => {
  it("is PUBLIC_URL when set, else the address PostPilot listens on, never a request's host", () => {
    const at = (env: Record<string, string>, port?: number) => publicBaseUrl(parseConfig(env), port);
    expect(at({ PUBLIC_URL: "https://mail.example.org/pp/" })).toBe("https://mail.example.org/pp");
    expect(at({})).toBe("http://localhost:3000");
    expect(at({ HOST: "127.0.0.1", PORT: "8080" })).toBe("http://127.0.0.1:8080");
    expect(at({ HOST: "localhost", PORT: "8080" })).toBe("http://localhost:8080");
    expect(at({ HOST: "::" })).toBe("http://localhost:3000");
    expect(at({ HOST: "192.0.2.7", PORT: "8080" })).toBe("http://192.0.2.7:8080");
    expect(at({ HOST: "2001:db8::1" })).toBe("http://[2001:db8::1]:3000");
    expect(at({ PORT: "0" }, 41234)).toBe("http://localhost:41234");
  });

  it("knows which HOST values only this machine reaches", () => {
    for (const host of ["localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]"])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ["0.0.0.0", "::", "192.0.2.7", "example.org"])
      expect(isLoopbackHost(host), host).toBe(false);
  });
});
