import { generate } from "otplib";
import { describe, expect, it } from "vitest";
import { createServices } from "../../src/container.js";
import { buildApp } from "../../src/web/app.js";
import { testDatabase } from "../helpers/db.js";
import { build, Client, PASSWORD, setupAdmin } from "../helpers/web.js";

/** A clock the test moves (codes are per 30-second step). */
function movableClock() {
  let now = Date.UTC(2026, 11, 2, 12, 0, 0);
  return {
    now: () => new Date(now),
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const codeAt = (secret: string, at: Date) => generate({ secret, epoch: Math.floor(at.getTime() / 1000) });

async function turnOn(client: Client, clock: { now(): Date }) {
  await client.post("/profile/security/2fa/start", {}, { from: "/profile/security" });
  const page = await client.get("/profile/security");
  const secret = /id="totp-secret">([A-Z2-7]+)</.exec(page.body)![1]!;
  const on = await client.post(
    "/profile/security/2fa/enable",
    { code: await codeAt(secret, clock.now()) },
    { from: "/profile/security" },
  );
  expect(on.statusCode).toBe(200);
  const codes = [...on.body.matchAll(/<li>([a-z0-9]{5}-[a-z0-9]{5})<\/li>/g)].map((m) => m[1]!);
  return { secret, codes };
}

describe("two-factor sign-in", () => {
  it("asks for a code after the password, accepts it once, and a recovery code once", async () => {
    const clock = movableClock();
    const { app, database } = await build({ clock });
    const admin = await setupAdmin(app);
    const { secret, codes } = await turnOn(admin, clock);
    expect(codes).toHaveLength(10);
    const stored = await database.db.selectFrom("recovery_codes").select("code_hash").execute();
    expect(stored.map((r) => r.code_hash).join()).not.toContain(codes[0]!.replace("-", ""));

    const login = async (code: string) => {
      const client = new Client(app);
      const first = await client.post("/login?next=%2Frecipients", {
        email: "admin@example.com",
        password: PASSWORD,
      });
      expect(first.statusCode).toBe(303);
      expect(first.headers.location).toBe("/login/code?next=%2Frecipients");
      expect(client.hasCookie("pp_session")).toBe(false);
      expect((await client.get("/recipients")).headers.location).toContain("/login");
      const second = await client.post("/login/code?next=%2Frecipients", { code }, { from: "/login/code" });
      return { client, second };
    };

    clock.advance(30_000);
    const code = await codeAt(secret, clock.now());
    const ok = await login(code);
    expect(ok.second.statusCode).toBe(303);
    expect(ok.second.headers.location).toBe("/recipients");
    expect((await ok.client.get("/recipients")).statusCode).toBe(200);

    const replayed = await login(code);
    expect(replayed.second.statusCode).toBe(422);
    expect(replayed.second.body).toContain("That code is not right, or was used already.");

    expect((await login("000000")).second.statusCode).toBe(422);
    const recovered = await login(codes[3]!.toUpperCase());
    expect(recovered.second.statusCode).toBe(303);
    expect((await login(codes[3]!)).second.statusCode).toBe(422);
    expect((await admin.get("/profile/security")).body).toContain("9 recovery codes left");
  });

  it("lists sessions and logs out the other ones", async () => {
    const { app } = await build();
    const first = await setupAdmin(app);
    const second = new Client(app);
    expect((await second.post("/login", { email: "admin@example.com", password: PASSWORD })).statusCode).toBe(
      303,
    );
    const page = await first.get("/profile/security");
    expect(page.body.match(/list-group-item/g)).toHaveLength(2);
    expect(page.body).toContain("This session");
    const out = await first.post(
      "/profile/security/sessions/logout-others",
      {},
      { from: "/profile/security" },
    );
    expect(out.statusCode).toBe(303);
    expect((await second.get("/recipients")).headers.location).toContain("/login");
    expect((await first.get("/recipients")).statusCode).toBe(200);
  });

  it("with REQUIRE_ADMIN_2FA, sends an admin to set it up first and refuses to turn it off", async () => {
    const clock = movableClock();
    const database = await testDatabase();
    const services = createServices(database, { clock, requireAdmin2fa: true });
    const app = await buildApp({ services, sessionSecret: "test-secret-".repeat(4) });
    try {
      const admin = await setupAdmin(app);
      const home = await admin.get("/recipients");
      expect([home.statusCode, home.headers.location]).toEqual([303, "/profile/security"]);
      expect((await admin.get("/profile/security")).body).toContain("Admins must use two-factor sign-in");
      await turnOn(admin, clock);
      expect((await admin.get("/recipients")).statusCode).toBe(200);
      const off = await admin.post(
        "/profile/security/2fa/disable",
        { password: PASSWORD },
        { from: "/profile/security" },
      );
      expect(off.statusCode).toBe(409);
    } finally {
      await app.close();
      await database.close();
    }
  });
});
