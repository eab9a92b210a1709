/** Finding 4: login throttling per (account, address) and per account, which cannot lock the owner out. */
import type { FastifyInstance } from "fastify";
import { describe, expect, it } from "vitest";
import { THROTTLE } from "../../src/accounts/login-throttle.service.js";
import type { Database } from "../../src/db/database.js";
import { signIn } from "../helpers/sign-in.js";
import { build, PASSWORD, setupAdmin } from "../helpers/web.js";

const OWNER = "admin@example.com";

async function loginFrom(app: FastifyInstance, ip: string, password: string, email = OWNER) {
  const page = await app.inject({ method: "GET", url: "/login", remoteAddress: ip });
  const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
  const cookie = page.cookies.map((c) => `${c.name}=${c.value}`).join("; ");
  return app.inject({
    method: "POST",
    url: "/login",
    remoteAddress: ip,
    headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    payload: new URLSearchParams({ email, password, _csrf: token }).toString(),
  });
}

/** A clock the test moves; starts now. */
function movableClock() {
  let now = Date.now();
  return {
    now: () => new Date(now),
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const alerts = (database: Database) =>
  database.db
    .selectFrom("account_emails")
    .select(["to_address", "subject", "body"])
    .where("subject", "like", "Failed attempts%")
    .execute();

describe("login throttling", () => {
  it("ten wrong passwords from one address do not lock the admin out from another (finding 4)", async () => {
    const { app } = await build();
    await setupAdmin(app);
    for (let i = 0; i < 10; i++) await loginFrom(app, "203.0.113.66", "wrong password");
    const owner = await loginFrom(app, "198.51.100.7", PASSWORD);
    expect(owner.statusCode).toBe(303);
  });

  it("blocks one address for one account after PAIR_LIMIT failures, with the form and the email kept", async () => {
    const { app } = await build();
    await setupAdmin(app);
    const statuses: number[] = [];
    for (let i = 0; i <= THROTTLE.PAIR_LIMIT; i++)
      statuses.push((await loginFrom(app, "203.0.113.66", "wrong password")).statusCode);
    expect(statuses).toEqual([...Array(THROTTLE.PAIR_LIMIT).fill(422), 429]);
    const blocked = await loginFrom(app, "203.0.113.66", PASSWORD);
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers["retry-after"])).toBeGreaterThan(14 * 60);
    expect(blocked.body).toContain("Too many attempts. Please wait 15 minutes and try again.");
    expect(blocked.body).toContain(`value="${OWNER}"`);
    // Another account from that address, and this account from another address, are not affected.
    expect((await loginFrom(app, "203.0.113.66", "wrong password", "else@example.com")).statusCode).toBe(422);
    expect((await loginFrom(app, "198.51.100.7", PASSWORD)).statusCode).toBe(303);
  });

  it("slows the account exponentially, yet the right password from a new or known-good address passes", async () => {
    const clock = movableClock();
    const { app } = await build({ clock });
    await setupAdmin(app);
    expect((await loginFrom(app, "198.51.100.7", PASSWORD)).statusCode).toBe(303); // the owner's usual address
    // A guesser spread over many addresses.
    for (let i = 0; i < THROTTLE.ACCOUNT_FREE + 4; i++)
      expect((await loginFrom(app, `203.0.113.${i + 1}`, "wrong password")).statusCode).toBe(422);
    // The account is delayed 2^4 s: an address that failed waits, even with the right password …
    const waiting = await loginFrom(app, "203.0.113.1", PASSWORD);
    expect(waiting.statusCode).toBe(429);
    expect(Number(waiting.headers["retry-after"])).toBe(16);
    // … while the owner passes from a fresh address and from the one they used before.
    expect((await loginFrom(app, "192.0.2.50", PASSWORD)).statusCode).toBe(303);
    expect((await loginFrom(app, "198.51.100.7", PASSWORD)).statusCode).toBe(303);
    // A wrong guess from a fresh address doubles the delay.
    expect((await loginFrom(app, "192.0.2.51", "wrong password")).statusCode).toBe(422);
    expect(Number((await loginFrom(app, "203.0.113.2", "wrong password")).headers["retry-after"])).toBe(32);
    clock.advance(33_000);
    expect((await loginFrom(app, "203.0.113.2", PASSWORD)).statusCode).toBe(303);
  });

  it("emails the owner once after repeated failures, through the account-mail queue", async () => {
    const { app, database } = await build();
    await setupAdmin(app);
    for (let i = 0; i < THROTTLE.ALERT_AFTER + 3; i++)
      await loginFrom(app, `203.0.113.${i + 1}`, "nope nope");
    const sent = await alerts(database);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.to_address).toBe(OWNER);
    expect(sent[0]!.body).toContain(`${THROTTLE.ALERT_AFTER} times`);
    // No email for an address without an account (and the same answers: no enumeration).
    for (let i = 0; i < THROTTLE.ALERT_AFTER; i++)
      await loginFrom(app, `203.0.114.${i + 1}`, "nope nope", "nobody@example.com");
    expect(await alerts(database)).toHaveLength(1);
  });

  it("forgets counters a day after their last failure, but keeps the addresses the owner logs in from", async () => {
    const clock = movableClock();
    const { app, database } = await build({ clock });
    await setupAdmin(app);
    await loginFrom(app, "198.51.100.7", PASSWORD);
    for (let i = 0; i < 3; i++)
      await loginFrom(app, `203.0.113.${i + 1}`, "wrong", `sprayed${i}@example.com`);
    await loginFrom(app, "198.51.100.7", "typo typo");
    clock.advance(25 * 3600_000);
    await loginFrom(app, "203.0.113.99", "wrong", "later@example.com");
    const rows = await database.db.selectFrom("login_throttles").select(["account", "client"]).execute();
    // Sorted here: the two databases collate "*" differently.
    expect(rows.map((r) => `${r.account} ${r.client}`).sort()).toEqual([
      `${OWNER} 198.51.100.7`,
      "later@example.com *",
      "later@example.com 203.0.113.99",
    ]);
  });

  it("admins see the throttles and clear them; others may not", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    for (let i = 0; i < THROTTLE.PAIR_LIMIT; i++) await loginFrom(app, "203.0.113.66", "wrong password");
    expect((await loginFrom(app, "203.0.113.66", PASSWORD)).statusCode).toBe(429);

    const page = await admin.get("/admin/throttles");
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(OWNER);
    expect(page.body).toContain("203.0.113.66");
    expect(page.body).toContain("Blocked until");

    const user = await signIn(app, database, "user@example.com");
    expect((await user.get("/admin/throttles")).statusCode).toBe(404);
    const refused = await user.post("/admin/throttles/clear", { account: OWNER }, { from: "/" });
    expect(refused.statusCode).toBe(404);
    expect((await loginFrom(app, "203.0.113.66", PASSWORD)).statusCode).toBe(429);

    const cleared = await admin.post(
      "/admin/throttles/clear",
      { account: OWNER },
      { from: "/admin/throttles" },
    );
    expect(cleared.statusCode).toBe(303);
    expect((await admin.get("/admin/throttles")).body).not.toContain("203.0.113.66");
    expect((await loginFrom(app, "203.0.113.66", PASSWORD)).statusCode).toBe(303);
    const audit = await database.db
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "clear_throttle")
      .execute();
    expect(audit).toHaveLength(1);
  });
});
