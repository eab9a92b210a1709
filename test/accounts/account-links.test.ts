/**
 * Registration with email confirmation, resending the link, password reset by link, no user enumeration,
 * tokens stored hashed, and the per-IP and per-account rate limits of the account forms.
 */
import { createHash } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { describe, expect, it } from "vitest";
import { AccountMailSender } from "../../src/accounts/account-mail.sender.js";
import type { Database } from "../../src/db/database.js";
import { OutboxMailer } from "../../src/delivery/outbox.mailer.js";
import { build, Client, PASSWORD, registerUser, setupAdmin } from "../helpers/web.js";

const sha256 = (value: string) => createHash("sha256").update(value).digest("hex");

function fakeClock(start = "2026-11-24T12:00:00.000Z") {
  let now = new Date(start).getTime();
  return {
    now: () => new Date(now),
    advance(ms: number) {
      now += ms;
    },
  };
}

async function emailsTo(database: Database, to: string) {
  return database.db
    .selectFrom("account_emails")
    .selectAll()
    .where("to_address", "=", to)
    .orderBy("id", "asc")
    .execute();
}

/** The path and query of the link in the newest queued email to `to` (e.g. /confirm?token=…). */
async function linkTo(database: Database, to: string, path: "/confirm" | "/reset"): Promise<string> {
  const mails = await emailsTo(database, to);
  const body = mails.at(-1)?.body ?? "";
  const match = new RegExp(`https?://[^/\\s]+(${path}\\?token=[\\w-]+)`).exec(body);
  if (!match) throw new Error(`no ${path} link in the email to ${to}:\n${body}`);
  return match[1]!;
}

/** The page without the parts that differ per request (the CSRF token). */
const withoutCsrf = (html: string) => html.replace(/name="_csrf" value="[^"]+"/g, 'name="_csrf" value=""');

async function register(app: FastifyInstance, email: string, password = PASSWORD) {
  const client = new Client(app);
  const res = await client.post("/register", { email, password, name: "" }, { from: "/register" });
  return { client, res };
}

/** A form post from a given IP address, with a CSRF token fetched from that address. */
async function postFrom(app: FastifyInstance, ip: string, url: string, form: Record<string, string>) {
  const page = await app.inject({ method: "GET", url: "/login", remoteAddress: ip });
  const token = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
  const cookie = page.cookies.map((c) => `${c.name}=${c.value}`).join("; ");
  return app.inject({
    method: "POST",
    url,
    remoteAddress: ip,
    headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    payload: new URLSearchParams({ ...form, _csrf: token }).toString(),
  });
}

describe("registration with email confirmation", () => {
  it("does not log in at registration; the emailed link confirms once and logs in", async () => {
    const { app, database } = await build();
    await setupAdmin(app);
    const { client, res } = await register(app, "Ann@Example.com");
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain("Check your email");
    expect(client.hasCookie("pp_session")).toBe(false);
    expect((await client.get("/recipients")).headers.location).toContain("/login");
    const user = await database.db
      .selectFrom("users")
      .selectAll()
      .where("email_normalized", "=", "ann@example.com")
      .executeTakeFirstOrThrow();
    expect(user.email_confirmed_at).toBeNull();

    const [mail] = await emailsTo(database, "Ann@Example.com");
    expect(mail).toMatchObject({ status: "pending", user_id: user.id });
    expect(mail!.body).toContain("http://localhost/confirm?token=");
    expect(mail!.body).not.toContain(PASSWORD);
    const link = await linkTo(database, "Ann@Example.com", "/confirm");

    const confirmed = await client.get(link);
    expect(confirmed.statusCode).toBe(303);
    expect(confirmed.headers.location).toBe("/");
    expect(client.hasCookie("pp_session")).toBe(true);
    const home = await client.get("/");
    expect(home.statusCode).toBe(200);
    expect(home.body).toContain("Your email address is confirmed.");

    const again = await new Client(app).get(link);
    expect(again.statusCode).toBe(410);
    expect(again.body).toContain("This link has already been used.");
    expect(again.body).toContain('href="/confirm/resend"');
  });

  it("refuses an expired link and an invalid one, each with a way to get a new link", async () => {
    const clock = fakeClock();
    const { app, database } = await build({ clock });
    await setupAdmin(app);
    await register(app, "late@example.com");
    const link = await linkTo(database, "late@example.com", "/confirm");
    clock.advance(24 * 3600_000 + 1000);
    const expired = await new Client(app).get(link);
    expect(expired.statusCode).toBe(410);
    expect(expired.body).toContain("This link has expired.");
    expect(expired.body).toContain('href="/confirm/resend"');

    for (const url of ["/confirm", "/confirm?token=nope", `/confirm?token=${"A".repeat(43)}`]) {
      const res = await new Client(app).get(url);
      expect(res.statusCode, url).toBe(400);
      expect(res.body).toContain("This link is not valid.");
    }
    // A reset token does not confirm, and a confirmation token does not reset.
    const asReset = await new Client(app).get(link.replace("/confirm", "/reset"));
    expect(asReset.statusCode).toBe(400);
  });

  it("stores only the SHA-256 of a token; the queued body is dropped once sent", async () => {
    const { app, database } = await build();
    await setupAdmin(app);
    await register(app, "hash@example.com");
    const link = await linkTo(database, "hash@example.com", "/confirm");
    const token = new URL(link, "http://x").searchParams.get("token")!;
    expect(token).toMatch(/^[\w-]{43}$/);
    const rows = await database.db.selectFrom("account_tokens").selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ purpose: "confirm", token_hash: sha256(token), used_at: null });
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(Date.parse(rows[0]!.expires_at) - Date.parse(rows[0]!.created_at)).toBe(24 * 3600_000);

    const sender = new AccountMailSender({
      db: database.db,
      mailer: new OutboxMailer(database.db),
      from: "PostPilot <postpilot@example.com>",
      policy: { baseMs: 1000, maxTries: 3, maxAgeMs: 3600_000 },
    });
    expect(await sender.runOnce()).toBe(1);
    const [sent] = await emailsTo(database, "hash@example.com");
    expect(sent).toMatchObject({ status: "sent", tries: 1 });
    expect(sent!.body).not.toContain(token);
    // Without SMTP_URL the email is in the local outbox, its link one readable line.
    const outbox = await database.db.selectFrom("outbox_messages").selectAll().executeTakeFirstOrThrow();
    expect(outbox).toMatchObject({ to_address: "hash@example.com", delivery_id: null });
    expect(outbox.raw).toContain(`/confirm?token=${token}\r\n`);
    expect((await new Client(app).get(link)).statusCode).toBe(303);
  });

  it("never builds a link from the Host header (finding 3)", async () => {
    const { app, database } = await build();
    await setupAdmin(app);
    await registerUser(app, "victim@example.com");
    const attacker = new Client(app);
    const res = await attacker.post(
      "/forgot",
      { email: "victim@example.com" },
      { from: "/forgot", headers: { host: "evil.test:666", "x-forwarded-host": "evil.test:666" } },
    );
    expect(res.statusCode).toBe(200);
    const [mail] = (await emailsTo(database, "victim@example.com")).filter((m) => m.body.includes("/reset"));
    expect(mail!.body).toContain("http://localhost/reset?token=");
    expect(mail!.body).not.toContain("evil.test");
  });

  it("uses PUBLIC_URL for links when it is set", async () => {
    const { app, database, services } = await build();
    await setupAdmin(app);
    const links = new (
      services.accountLinks.constructor as typeof services.accountLinks.constructor & {
        new (...args: unknown[]): typeof services.accountLinks;
      }
    )(database, { baseUrl: "https://mail.example.org/pp/" });
    await links.register({ email: "pub@example.com", password: PASSWORD });
    const [mail] = await emailsTo(database, "pub@example.com");
    expect(mail!.body).toContain("https://mail.example.org/pp/confirm?token=");
    expect(mail!.body).not.toContain("evil.example");
  });
});

describe("login of an unconfirmed account", () => {
  it("says so only after the right password, and offers to send the link again", async () => {
    const { app, database } = await build();
    await setupAdmin(app);
    await register(app, "unc@example.com");
    const client = new Client(app);

    const wrong = await client.post("/login", { email: "unc@example.com", password: "not the password" });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.body).toContain("Wrong email or password.");
    expect(wrong.body).not.toContain("not confirmed");

    const right = await client.post("/login", { email: "unc@example.com", password: PASSWORD });
    expect(right.statusCode).toBe(422);
    expect(right.body).toContain("Your email address is not confirmed yet.");
    expect(right.body).toMatch(/<form method="post" action="\/confirm\/resend"/);
    expect(right.body).toContain('<input type="hidden" name="email" value="unc@example.com"');
    expect(client.hasCookie("pp_session")).toBe(false);

    // The offered form: a new link, which replaces the first one.
    const first = await linkTo(database, "unc@example.com", "/confirm");
    const resent = await client.post("/confirm/resend", { email: "unc@example.com" });
    expect(resent.statusCode).toBe(200);
    expect(resent.body).toContain("Check your email");
    expect(await emailsTo(database, "unc@example.com")).toHaveLength(2);
    const second = await linkTo(database, "unc@example.com", "/confirm");
    expect(second).not.toBe(first);
    expect((await new Client(app).get(first)).statusCode).toBe(410);
    expect((await client.get(second)).statusCode).toBe(303);
    expect((await client.get("/recipients")).statusCode).toBe(200);
    const ok = await new Client(app).post("/login", { email: "unc@example.com", password: PASSWORD });
    expect(ok.statusCode).toBe(303);
  });

  it("answers a resend request the same for unknown, unconfirmed and confirmed addresses", async () => {
    const { app, database } = await build();
    await setupAdmin(app);
    await register(app, "waiting@example.com");
    await registerUser(app, "done@example.com");
    const before = (await database.db.selectFrom("account_emails").select("id").execute()).length;
    const answers = [];
    for (const email of ["waiting@example.com", "nobody@example.com", "done@example.com"]) {
      const res = await new Client(app).post("/confirm/resend", { email }, { from: "/confirm/resend" });
      answers.push({ status: res.statusCode, body: withoutCsrf(res.body) });
    }
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    const after = await database.db.selectFrom("account_emails").select("to_address").execute();
    expect(after.slice(before).map((m) => m.to_address)).toEqual(["waiting@example.com"]);
  });
});

describe("no user enumeration", () => {
  it("registration: same status and page for a new and a taken address; the owner is told by email", async () => {
    const { app, database } = await build();
    await setupAdmin(app);
    await registerUser(app, "taken@example.com");
    const taken = await register(app, "Taken@Example.com", "another password");
    const fresh = await register(app, "fresh@example.com", "another password");
    expect(taken.res.statusCode).toBe(200);
    expect(fresh.res.statusCode).toBe(200);
    expect(withoutCsrf(taken.res.body)).toBe(withoutCsrf(fresh.res.body));

    const toOwner = await emailsTo(database, "taken@example.com");
    expect(toOwner.at(-1)!.subject).toBe("Someone tried to register with your address on PostPilot");
    expect(toOwner.at(-1)!.body).toContain("http://localhost/forgot");
    expect(toOwner.at(-1)!.body).not.toContain("token=");
    // Nothing changed: the owner's password still works, the other one does not.
    const owner = new Client(app);
    expect((await owner.post("/login", { email: "taken@example.com", password: PASSWORD })).statusCode).toBe(
      303,
    );
    const intruder = new Client(app);
    const refused = await intruder.post("/login", {
      email: "taken@example.com",
      password: "another password",
    });
    expect(refused.body).toContain("Wrong email or password.");
  });

  it("password reset request: same status and page for a known and an unknown address", async () => {
    const { app, database } = await build();
    await setupAdmin(app);
    await registerUser(app, "known@example.com");
    const known = await new Client(app).post("/forgot", { email: "known@example.com" }, { from: "/forgot" });
    const unknown = await new Client(app).post(
      "/forgot",
      { email: "unknown@example.com" },
      { from: "/forgot" },
    );
    expect(known.statusCode).toBe(200);
    expect(unknown.statusCode).toBe(200);
    expect(withoutCsrf(known.body)).toBe(withoutCsrf(unknown.body));
    expect(known.body).toContain("If an account exists for that address");
    expect(await emailsTo(database, "unknown@example.com")).toHaveLength(0);
    expect((await emailsTo(database, "known@example.com")).at(-1)!.subject).toBe(
      "Reset your PostPilot password",
    );
  });
});

describe("password reset by link", () => {
  it("sets the new password, uses the link up, ends every session and logs in afresh", async () => {
    const { app, database } = await build();
    await setupAdmin(app);
    const first = await registerUser(app, "rita@example.com");
    const second = new Client(app);
    expect((await second.post("/login", { email: "rita@example.com", password: PASSWORD })).statusCode).toBe(
      303,
    );

    const browser = new Client(app);
    await browser.post("/forgot", { email: " RITA@example.com " }, { from: "/forgot" });
    const mail = (await emailsTo(database, "rita@example.com")).at(-1)!;
    expect(mail.body).not.toContain(PASSWORD);
    const link = await linkTo(database, "rita@example.com", "/reset");
    const token = new URL(link, "http://x").searchParams.get("token")!;
    const stored = await database.db
      .selectFrom("account_tokens")
      .selectAll()
      .where("purpose", "=", "reset")
      .executeTakeFirstOrThrow();
    expect(stored.token_hash).toBe(sha256(token));
    expect(Date.parse(stored.expires_at) - Date.parse(stored.created_at)).toBe(3600_000);

    const form = await browser.get(link);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain("Choose a new password");
    expect(form.body).toContain(`name="token" value="${token}"`);

    const mismatch = await browser.post(
      "/reset",
      { token, password: "brand new secret", password_confirm: "something else" },
      { from: link },
    );
    expect(mismatch.statusCode).toBe(422);
    expect(mismatch.body).toContain("The two passwords do not match.");
    const short = await browser.post(
      "/reset",
      { token, password: "short", password_confirm: "short" },
      { from: link },
    );
    expect(short.statusCode).toBe(422);

    const done = await browser.post(
      "/reset",
      { token, password: "brand new secret", password_confirm: "brand new secret" },
      { from: link },
    );
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe("/");
    expect((await browser.get("/recipients")).statusCode).toBe(200);
    expect((await first.get("/recipients")).headers.location).toContain("/login");
    expect((await second.get("/recipients")).headers.location).toContain("/login");
    const sessions = await database.db.selectFrom("sessions").selectAll().execute();
    expect(sessions.filter((s) => s.user_id === stored.user_id)).toHaveLength(1);

    const old = await new Client(app).post("/login", { email: "rita@example.com", password: PASSWORD });
    expect(old.statusCode).toBe(422);
    const fresh = await new Client(app).post("/login", {
      email: "rita@example.com",
      password: "brand new secret",
    });
    expect(fresh.statusCode).toBe(303);

    const reused = await new Client(app).get(link);
    expect(reused.statusCode).toBe(410);
    expect(reused.body).toContain('href="/forgot"');
    const reposted = await browser.post(
      "/reset",
      { token, password: "third password!", password_confirm: "third password!" },
      { from: "/forgot" },
    );
    expect(reposted.statusCode).toBe(410);
  });

  it("expires a reset link after an hour; a reset link also confirms an unconfirmed address", async () => {
    const clock = fakeClock();
    const { app, database } = await build({ clock });
    await setupAdmin(app);
    await register(app, "slow@example.com");
    await new Client(app).post("/forgot", { email: "slow@example.com" }, { from: "/forgot" });
    const stale = await linkTo(database, "slow@example.com", "/reset");
    clock.advance(3600_000 + 1000);
    const expired = await new Client(app).get(stale);
    expect(expired.statusCode).toBe(410);
    expect(expired.body).toContain("This link has expired.");

    await new Client(app).post("/forgot", { email: "slow@example.com" }, { from: "/forgot" });
    const link = await linkTo(database, "slow@example.com", "/reset");
    const token = new URL(link, "http://x").searchParams.get("token")!;
    const client = new Client(app);
    const done = await client.post(
      "/reset",
      { token, password: "brand new secret", password_confirm: "brand new secret" },
      { from: link },
    );
    expect(done.statusCode).toBe(303);
    const ok = await new Client(app).post("/login", {
      email: "slow@example.com",
      password: "brand new secret",
    });
    expect(ok.statusCode).toBe(303);
  });
});

describe("rate limits on the account forms", () => {
  it("limits each form per IP address, across different accounts", async () => {
    const { app } = await build();
    await setupAdmin(app);
    for (const url of ["/forgot", "/confirm/resend", "/register", "/login"]) {
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) {
        const res = await postFrom(app, "10.0.0.1", url, {
          email: `ip${i}@example.com`,
          password: "not a good one",
        });
        statuses.push(res.statusCode);
      }
      expect(
        statuses.slice(0, 10).every((s) => s !== 429),
        `${url}: ${statuses}`,
      ).toBe(true);
      expect(statuses.at(-1), url).toBe(429);
    }
    // Another address is not affected.
    expect((await postFrom(app, "10.0.0.2", "/forgot", { email: "x@example.com" })).statusCode).toBe(200);
  });

  // Login is throttled per (account, address) and slowed per account instead: test/security/login-throttle.test.ts.
  it("limits each form but login per account, across different IP addresses", async () => {
    const { app, database } = await build();
    await setupAdmin(app);
    await registerUser(app, "target@example.com");
    const cases: { url: string; max: number; form: Record<string, string> }[] = [
      { url: "/forgot", max: 5, form: {} },
      { url: "/confirm/resend", max: 5, form: {} },
      // registerUser's own registration counted once already.
      { url: "/register", max: 4, form: { password: "another password" } },
    ];
    let ip = 1;
    for (const { url, max, form } of cases) {
      const statuses: number[] = [];
      for (let i = 0; i <= max; i++) {
        const email = i % 2 ? "TARGET@example.com" : " target@example.com";
        const res = await postFrom(app, `10.1.0.${ip++}`, url, { ...form, email });
        statuses.push(res.statusCode);
      }
      expect(
        statuses.slice(0, max).every((s) => s !== 429),
        `${url}: ${statuses}`,
      ).toBe(true);
      expect(statuses.at(-1), url).toBe(429);
      // Another account from the same kind of spread is not affected.
      const other = await postFrom(app, `10.1.0.${ip++}`, url, { ...form, email: "other@example.com" });
      expect(other.statusCode, url).not.toBe(429);
    }
    // The limited reset requests did not queue more than the allowed number of emails.
    const resets = (await emailsTo(database, "target@example.com")).filter((m) =>
      m.subject.startsWith("Reset"),
    );
    expect(resets).toHaveLength(5);
  });
});
