/** The admins' Mail relays page: the relay, its state, and a connection test against a real SMTP server. */
import { afterAll, describe, expect, it } from "vitest";
import { relayOf } from "../../src/delivery/smtp.mailer.js";
import { insertWorkerBeat } from "../helpers/fixtures.js";
import { TestSmtpServer } from "../helpers/smtp.js";
import { build, registerUser, setupAdmin } from "../helpers/web.js";

describe("Mail relays", () => {
  const servers: TestSmtpServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.close();
  });

  async function relayServer() {
    const smtp = await TestSmtpServer.start();
    servers.push(smtp);
    smtp.requireAuth = true;
    return smtp;
  }

  it("shows the relay without its password, and the test logs in and sends nothing", async () => {
    const smtp = await relayServer();
    const relay = relayOf({ url: smtp.authUrl(), timeoutMs: 5_000, name: "postpilot.test" });
    const { app } = await build({ relays: [{ ...relay, weight: 1 }] });
    const admin = await setupAdmin(app);

    const page = await admin.get("/admin/relays");
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(relay.address);
    expect(page.body).not.toContain("secret");
    expect(page.body).toContain("Test connection");

    const tested = await admin.post("/admin/relays/test", {}, { from: "/admin/relays" });
    expect(tested.statusCode).toBe(200);
    expect(tested.body).toContain("accepted the connection and the login");
    expect(tested.body).toMatch(/235/);
    expect(smtp.received).toHaveLength(0);
  });

  it("tests each of several relays; a wrong password is reported with the relay's reply, not a 500", async () => {
    const smtp = await relayServer();
    const good = relayOf({ url: smtp.authUrl(), timeoutMs: 5_000, name: "postpilot.test" });
    const other = await relayServer();
    const bad = relayOf({
      url: other.authUrl("postpilot", "wrong"),
      timeoutMs: 5_000,
      name: "postpilot.test",
    });
    const { app } = await build({
      relays: [
        { ...good, weight: 3 },
        { ...bad, weight: 1 },
      ],
    });
    const admin = await setupAdmin(app);
    const page = await admin.get("/admin/relays");
    expect(page.body).toContain(good.address);
    expect(page.body).toContain(bad.address);

    const tested = await admin.post("/admin/relays/test", { relay: "1" }, { from: "/admin/relays" });
    expect(tested.statusCode).toBe(200);
    expect(tested.body).toContain("failed at login (AUTH)");
    expect(tested.body).toContain("535 5.7.8 Authentication credentials invalid");
    expect(tested.body).not.toContain("wrong");
    expect(tested.body).toContain(`${bad.address} failed`);
  });

  it("shows each relay's state as the workers report it", async () => {
    const smtp = await relayServer();
    const a = relayOf({ url: smtp.authUrl(), timeoutMs: 5_000, name: "postpilot.test" });
    const b = {
      ...relayOf({ url: "smtp://127.0.0.1:1", timeoutMs: 5_000, name: "postpilot.test" }),
      weight: 1,
    };
    const { app, database } = await build({
      relays: [{ ...a, weight: 2, limits: "14/s, 4 connections" }, b],
    });
    const admin = await setupAdmin(app);
    const now = new Date().toISOString();
    await insertWorkerBeat(database.db, {
      details: JSON.stringify({
        relays: [
          { name: a.address, up: true, downUntil: null, lastError: null },
          { name: b.address, up: false, downUntil: now, lastError: "connect ECONNREFUSED 127.0.0.1:1" },
        ],
      }),
    });
    const page = await admin.get("/admin/relays");
    expect(page.body).toContain("Down");
    expect(page.body).toContain("connect ECONNREFUSED 127.0.0.1:1");
    expect(page.body).toMatch(/badge text-bg-success">Up/);
    expect(page.body).toContain("14/s, 4 connections");
  });

  it("an unreachable relay fails at connecting", async () => {
    const smtp = await relayServer();
    const url = smtp.url;
    await smtp.close();
    servers.pop();
    const relay = relayOf({ url, timeoutMs: 2_000, name: "postpilot.test" });
    const { app } = await build({ relays: [{ ...relay, weight: 1 }] });
    const admin = await setupAdmin(app);
    const tested = await admin.post("/admin/relays/test", {}, { from: "/admin/relays" });
    expect(tested.statusCode).toBe(200);
    expect(tested.body).toContain("failed at connecting");
  });

  it("with the outbox it says so; other users get 404", async () => {
    const { app } = await build();
    const admin = await setupAdmin(app);
    const page = await admin.get("/admin/relays");
    expect(page.body).toContain("No SMTP relay is configured");
    const tested = await admin.post("/admin/relays/test", {}, { from: "/admin/relays" });
    expect(tested.statusCode).toBe(200);
    expect(tested.body).toContain("mail goes to the local outbox");

    const user = await registerUser(app, "someone@example.com");
    expect((await user.get("/admin/relays")).statusCode).toBe(404);
    expect((await user.post("/admin/relays/test", {}, { from: "/" })).statusCode).toBe(404);
  });
});
