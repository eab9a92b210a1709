import { describe, expect, it } from "vitest";
import { build, Client, PASSWORD, registerUser, setupAdmin } from "../helpers/web.js";

describe("accounts pages", () => {
  it("starts a new account in the browser's zone (the hidden field), by its current name; anything else is UTC", async () => {
    const { app, database } = await build();
    const setup = new Client(app);
    const form = await setup.get("/setup");
    expect(form.body).toMatch(/<input type="hidden" name="time_zone" value data-browser-zone/);
    const res = await setup.post(
      "/setup",
      { email: "admin@example.com", password: PASSWORD, name: "Admin", time_zone: "Europe/Kiev" },
      { from: "/setup" },
    );
    expect(res.statusCode).toBe(303);
    const zoneOf = async (email: string) =>
      (
        await database.db
          .selectFrom("users")
          .select("time_zone")
          .where("email", "=", email)
          .executeTakeFirstOrThrow()
      ).time_zone;
    expect(await zoneOf("admin@example.com")).toBe("Europe/Kyiv");
    const other = new Client(app);
    const registered = await other.post(
      "/register",
      { email: "ann@example.com", password: PASSWORD, name: "", time_zone: "Mars/Olympus<b>" },
      { from: "/register" },
    );
    expect(registered.statusCode).toBe(200);
    expect(await zoneOf("ann@example.com")).toBe("UTC");
  });

  it("leads every page to /setup until the first admin exists, then /setup is gone", async () => {
    const { app } = await build();
    const anon = new Client(app);
    for (const url of ["/", "/recipients", "/login", "/register"]) {
      const res = await anon.get(url);
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe("/setup");
    }
    // Monitors see a healthy service, not a redirect, on a fresh install.
    const health = await anon.get("/healthz");
    expect([health.statusCode, health.body]).toEqual([200, '{"ok":true}']);
    const admin = await setupAdmin(app);
    const home = await admin.get("/");
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain("Dashboard");
    expect((await anon.get("/setup")).statusCode).toBe(404);
    const again = await anon.post(
      "/setup",
      { email: "x@example.com", password: PASSWORD },
      { from: "/login" },
    );
    expect(again.statusCode).toBe(404);
  });

  it("registers, confirms, logs out and logs in again with a new session id; cookies are httpOnly and SameSite=Lax", async () => {
    const { app, database } = await build();
    await setupAdmin(app);
    const client = new Client(app);
    const reg = await client.post(
      "/register",
      { email: "Ann@Example.com", password: PASSWORD, name: "Ann" },
      { from: "/register" },
    );
    expect(reg.statusCode).toBe(200);
    expect(reg.body).toContain("Check your email");
    expect(reg.cookies.find((c) => c.name === "pp_session")).toBeUndefined();
    const mail = await database.db.selectFrom("account_emails").select("body").executeTakeFirstOrThrow();
    const confirmed = await client.get(/\/confirm\?token=[\w-]+/.exec(mail.body)![0]);
    expect(confirmed.statusCode).toBe(303);
    const cookie = confirmed.cookies.find((c) => c.name === "pp_session")!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe("Lax");

    expect((await client.post("/logout", {}, { from: "/" })).headers.location).toBe("/login");
    expect((await client.get("/recipients")).headers.location).toContain("/login");

    const wrong = await client.post("/login", { email: "ann@example.com", password: "wrong password" });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.body).toContain("Wrong email or password.");
    expect(wrong.body).toContain('value="ann@example.com"');

    const ok = await client.post("/login", { email: " ANN@example.com ", password: PASSWORD });
    expect(ok.statusCode).toBe(303);
    const newCookie = ok.cookies.find((c) => c.name === "pp_session")!;
    expect(newCookie.value).not.toBe(cookie.value);
    expect((await client.get("/recipients")).statusCode).toBe(200);
  });

  it("never creates a second account with the same email in another case", async () => {
    const { app, database } = await build();
    await setupAdmin(app);
    await registerUser(app, "bob@example.com");
    const client = new Client(app);
    const res = await client.post(
      "/register",
      { email: "BOB@example.com", password: PASSWORD },
      { from: "/register" },
    );
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain("Check your email");
    const users = await database.db
      .selectFrom("users")
      .select("id")
      .where("email_normalized", "=", "bob@example.com")
      .execute();
    expect(users).toHaveLength(1);
  });

  it("refuses a form without a valid CSRF token", async () => {
    const { app } = await build();
    const admin = await setupAdmin(app);
    const res = await admin.post("/recipients/new", { email: "x@example.com", _csrf: "forged" });
    expect(res.statusCode).toBe(403);
    const none = await admin.post("/recipients/new", { email: "x@example.com" }, { csrf: false });
    expect(none.statusCode).toBe(403);
    expect((await admin.get("/recipients")).body).not.toContain("x@example.com");
  });

  it("rate limits login attempts", async () => {
    const { app } = await build();
    await setupAdmin(app);
    const client = new Client(app);
    const token = await client.csrfToken("/login");
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await client.post("/login", {
        email: "a@example.com",
        password: "nope-nope",
        _csrf: token,
      });
      statuses.push(res.statusCode);
    }
    // Five wrong passwords from one address block that address for this account (login-throttle.service.ts).
    expect(statuses.slice(0, 5).every((s) => s === 422)).toBe(true);
    expect(statuses.slice(5).every((s) => s === 429)).toBe(true);
  });

  it("updates the profile, changes the password (ending other sessions) and deletes the account", async () => {
    const { app } = await build();
    await setupAdmin(app);
    const first = await registerUser(app, "carol@example.com");
    const second = new Client(app);
    expect((await second.post("/login", { email: "carol@example.com", password: PASSWORD })).statusCode).toBe(
      303,
    );

    const bad = await first.post(
      "/profile",
      { name: "Carol", time_zone: "Mars/Olympus" },
      { from: "/profile" },
    );
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain("must be a time zone");
    expect(bad.body).toContain('value="Carol"');
    expect(
      (await first.post("/profile", { name: "Carol", time_zone: "Europe/Berlin" }, { from: "/profile" }))
        .statusCode,
    ).toBe(303);
    expect((await first.get("/profile")).body).toMatch(/<option value="Europe\/Berlin" selected/);

    const mismatch = await first.post(
      "/profile/password",
      { current_password: PASSWORD, new_password: "another password", new_password_confirm: "different" },
      { from: "/profile" },
    );
    expect(mismatch.statusCode).toBe(422);
    const changed = await first.post(
      "/profile/password",
      {
        current_password: PASSWORD,
        new_password: "another password",
        new_password_confirm: "another password",
      },
      { from: "/profile" },
    );
    expect(changed.statusCode).toBe(303);
    expect((await first.get("/")).statusCode).toBe(200);
    expect((await second.get("/")).headers.location).toContain("/login");

    expect(
      (await first.post("/profile/delete", { password: "wrong" }, { from: "/profile/delete" })).statusCode,
    ).toBe(422);
    const deleted = await first.post(
      "/profile/delete",
      { password: "another password" },
      { from: "/profile/delete" },
    );
    expect(deleted.statusCode).toBe(303);
    const login = await new Client(app).post("/login", {
      email: "carol@example.com",
      password: "another password",
    });
    expect(login.statusCode).toBe(422);
  });

  it("shows the user list to admins only", async () => {
    const { app } = await build();
    const admin = await setupAdmin(app);
    const user = await registerUser(app, "dave@example.com");
    const list = await admin.get("/admin/users");
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain("dave@example.com");
    expect((await user.get("/admin/users")).statusCode).toBe(404);
  });
});
