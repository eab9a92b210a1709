import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../src/config.js";

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
});
