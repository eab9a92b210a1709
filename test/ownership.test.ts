/**
 * Every route that takes an id, tried with another user's ids and with ids that are not ids. The routes come
 * from the app itself, so a new route with :id fails this test until it is added to ID_ROUTES.
 */
import type { FastifyInstance } from "fastify";
import { describe, expect, it } from "vitest";
import type { Database } from "../src/db/database.js";
import { allRoutes } from "./helpers/routes.js";
import { build, type Client, type Form, idFromLocation, registerUser, setupAdmin } from "./helpers/web.js";

type Fixture = {
  recipient: number;
  message: number;
  mailing: number;
  run: number;
  suppression: number;
  layout: number;
  list: number;
  field: number;
  segment: number;
  webhook: number;
};

/** What a request to each route would change if it were let through. */
const ID_ROUTES: Record<string, (f: Fixture) => Form> = {
  "GET /recipients/:id": () => ({}),
  "GET /recipients/:id/edit": () => ({}),
  "POST /recipients/:id/edit": () => ({ email: "stolen@example.com", full_name: "Stolen", comment: "" }),
  "GET /recipients/:id/delete": () => ({}),
  "POST /recipients/:id/delete": () => ({}),
  "GET /messages/:id": () => ({}),
  "GET /messages/:id/edit": () => ({}),
  "POST /messages/:id/edit": () => ({ subject: "Stolen", body: "Stolen" }),
  "GET /messages/:id/delete": () => ({}),
  "POST /messages/:id/delete": () => ({}),
  "GET /messages/:id/preview.html": () => ({}),
  "POST /messages/:id/test": () => ({ to: "thief@example.com" }),
  "GET /layouts/:id": () => ({}),
  "GET /layouts/:id/preview": () => ({}),
  "GET /layouts/:id/edit": () => ({}),
  "POST /layouts/:id/edit": () => ({ name: "Stolen", html: "Stolen {{ content }}", text: "" }),
  "GET /layouts/:id/delete": () => ({}),
  "POST /layouts/:id/delete": () => ({}),
  "GET /mailings/:id": () => ({}),
  "GET /mailings/:id/edit": () => ({}),
  "POST /mailings/:id/edit": (f) => ({
    name: "Stolen",
    message_id: String(f.message),
    first_send_at: "2099-01-01T09:00",
    end_at: "2099-02-01T09:00",
    periodicity: "daily",
    time_zone: "UTC",
  }),
  "GET /mailings/:id/delete": () => ({}),
  "POST /mailings/:id/delete": () => ({}),
  "GET /mailings/:id/recipients": () => ({}),
  "POST /mailings/:id/recipients": () => ({ action: "remove_matching", q: "" }),
  "GET /mailings/:id/send": () => ({}),
  "POST /mailings/:id/send": () => ({}),
  "GET /runs/:id": () => ({}),
  "GET /runs/:id/cancel": () => ({}),
  "POST /runs/:id/pause": () => ({}),
  "POST /runs/:id/resume": () => ({}),
  "POST /runs/:id/cancel": () => ({}),
  "GET /runs/:id/progress": () => ({}),
  "POST /runs/:id/retry-failed": () => ({}),
  "GET /admin/outbox/:id": () => ({}),
  "GET /admin/outbox/:id/html": () => ({}),
  "GET /admin/outbox/:id/attachments/:n": () => ({}),
  "POST /mailings/:id/disable": () => ({}),
  "POST /mailings/:id/enable": () => ({}),
  "GET /suppressions/:id/delete": () => ({}),
  "POST /suppressions/:id/delete": () => ({}),
  "GET /mailings/:id/audience": () => ({}),
  "POST /mailings/:id/audience": () => ({ all: "" }),
  "GET /lists/:id": () => ({}),
  "GET /lists/:id/edit": () => ({}),
  "POST /lists/:id/edit": () => ({ name: "Stolen", description: "" }),
  "GET /lists/:id/delete": () => ({}),
  "POST /lists/:id/delete": () => ({}),
  "GET /segments/:id": () => ({}),
  "GET /segments/:id/edit": () => ({}),
  "POST /segments/:id/edit": () => ({ name: "Stolen", c0_what: "bounced" }),
  "GET /segments/:id/delete": () => ({}),
  "POST /segments/:id/delete": () => ({}),
  "GET /mailings/:id/duplicate": () => ({}),
  "GET /webhooks/:id": () => ({}),
  "POST /webhooks/:id/enable": () => ({}),
  "POST /webhooks/:id/disable": () => ({}),
  "POST /webhooks/:id/resend": () => ({ event_id: "1" }),
  "GET /webhooks/:id/edit": () => ({}),
  "POST /webhooks/:id/edit": () => ({ url: "https://93.184.216.34/stolen", events: "run.started" }),
  "GET /webhooks/:id/delete": () => ({}),
  "POST /webhooks/:id/delete": () => ({}),
  "GET /fields/:id/delete": () => ({}),
  "POST /fields/:id/delete": () => ({}),
};

// Staff pages (users, blog posts, senders) hold no one's own data: test/admin, test/blog and test/senders
// check that plain users get 404 there. Public blog pages take a slug, not an owned id. The public unsubscribe
// link takes a signed token, not an id (test/suppression/unsubscribe.test.ts checks forged ones), and so does
// the hosted copy (/v/TOKEN, test/templates/personalised.test.ts); signup forms take a public slug and a
// token (test/signup/signup.test.ts).
const NOT_OWNED = /^(GET|POST) \/(admin\/(users|blog|senders)|blog|u|v|subscribe)\//;

/** Every route with a parameter that holds someone's own data. */
function idRoutes(app: FastifyInstance): string[] {
  // The JSON API's routes have their own ownership tests (test/api/auth.api.test.ts).
  return allRoutes(app).filter(
    (route) => route.includes(":") && !NOT_OWNED.test(route) && !route.includes(" /api/"),
  );
}

async function snapshot(database: Database) {
  const db = database.db;
  return {
    recipients: await db.selectFrom("recipients").selectAll().orderBy("id").execute(),
    messages: await db.selectFrom("messages").selectAll().orderBy("id").execute(),
    mailings: await db.selectFrom("mailings").selectAll().orderBy("id").execute(),
    members: await db
      .selectFrom("mailing_recipients")
      .selectAll()
      .orderBy("mailing_id")
      .orderBy("recipient_id")
      .execute(),
    runs: await db.selectFrom("runs").selectAll().orderBy("id").execute(),
    deliveries: await db.selectFrom("deliveries").selectAll().orderBy("id").execute(),
    suppressions: await db.selectFrom("suppressions").selectAll().orderBy("id").execute(),
    layouts: await db.selectFrom("layouts").selectAll().orderBy("id").execute(),
    lists: await db.selectFrom("lists").selectAll().orderBy("id").execute(),
    audiences: await db.selectFrom("mailing_audiences").selectAll().orderBy("id").execute(),
    fields: await db.selectFrom("custom_fields").selectAll().orderBy("id").execute(),
    segments: await db.selectFrom("segments").selectAll().orderBy("id").execute(),
    webhooks: await db.selectFrom("webhook_endpoints").selectAll().orderBy("id").execute(),
    webhookEvents: await db.selectFrom("webhook_events").selectAll().orderBy("id").execute(),
  };
}

async function ownerWithData(client: Client, who = "Owned"): Promise<Fixture> {
  const recipient = idFromLocation(
    await client.post(
      "/recipients/new",
      { email: `${who.toLowerCase()}@example.com`, full_name: `${who} Person` },
      { from: "/recipients/new" },
    ),
  );
  const message = idFromLocation(
    await client.post(
      "/messages/new",
      { subject: `${who} subject`, body: `${who} body` },
      { from: "/messages/new" },
    ),
  );
  const mailing = idFromLocation(
    await client.post(
      "/mailings/new",
      {
        name: `${who} mailing`,
        message_id: String(message),
        first_send_at: "2099-01-01T09:00",
        end_at: "2099-02-01T09:00",
        periodicity: "once",
        time_zone: "UTC",
        recipient_mode: "all",
      },
      { from: "/mailings/new" },
    ),
  );
  // A run of the mailing (no worker runs in these tests, so it stays "sending").
  const run = idFromLocation(
    await client.post(`/mailings/${mailing}/send`, {}, { from: `/mailings/${mailing}` }),
  );
  await client.post(
    "/suppressions/new",
    { email: `${who.toLowerCase()}@example.com`, reason: "manual" },
    { from: "/suppressions/new" },
  );
  const layout = idFromLocation(
    await client.post(
      "/layouts/new",
      { name: `${who} layout`, html: `<p>${who} frame</p>{{ content }}`, text: "" },
      { from: "/layouts/new" },
    ),
  );
  const suppressions = await client.get(`/suppressions?q=${who.toLowerCase()}`);
  const suppression = Number(/\/suppressions\/(\d+)\/delete/.exec(suppressions.body)?.[1]);
  const list = idFromLocation(
    await client.post("/lists/new", { name: `${who} list`, description: "" }, { from: "/lists/new" }),
  );
  await client.post(
    "/fields",
    { label: `${who} field`, key: `${who.toLowerCase()}_key`, type: "text" },
    { from: "/fields" },
  );
  const fields = await client.get("/fields");
  const field = Number(/\/fields\/(\d+)\/delete/.exec(fields.body)?.[1]);
  const segment = idFromLocation(
    await client.post(
      "/segments/new",
      { name: `${who} segment`, c0_what: "bounced" },
      { from: "/segments/new" },
    ),
  );
  // Creating an endpoint shows its page (the secret is shown once there), not a redirect.
  const created = await client.post(
    "/webhooks",
    { url: `https://93.184.216.34/${who.toLowerCase()}-hooks`, events: "run.started" },
    { from: "/webhooks/new" },
  );
  const webhook = Number(/\/webhooks\/(\d+)\/delete/.exec(created.body)?.[1]);
  return { recipient, message, mailing, run, suppression, layout, list, field, segment, webhook };
}

const fill = (route: string, f: Fixture, id?: string) => {
  const path = route.split(" ")[1]!;
  const own = path.startsWith("/recipients")
    ? f.recipient
    : path.startsWith("/messages")
      ? f.message
      : path.startsWith("/runs")
        ? f.run
        : path.startsWith("/suppressions")
          ? f.suppression
          : path.startsWith("/layouts")
            ? f.layout
            : path.startsWith("/lists")
              ? f.list
              : path.startsWith("/fields")
                ? f.field
                : path.startsWith("/segments")
                  ? f.segment
                  : path.startsWith("/webhooks")
                    ? f.webhook
                    : f.mailing;
  return path.replace(":id", id ?? String(own));
};

describe("ownership", () => {
  it("tests every route that takes an id", async () => {
    const { app } = await build();
    expect(idRoutes(app)).toEqual(Object.keys(ID_ROUTES).sort());
  });

  it("gives another user's ids a 404 on every route and changes nothing", async () => {
    const { app, database } = await build();
    const owner = await setupAdmin(app);
    const fixture = await ownerWithData(owner);
    const intruder = await registerUser(app, "intruder@example.com");
    // The intruder has data of their own, so a bug that mixes owners up has something to touch.
    const own = await ownerWithData(intruder, "Mine");
    const before = await snapshot(database);

    for (const route of Object.keys(ID_ROUTES)) {
      const url = fill(route, fixture);
      const res = route.startsWith("GET")
        ? await intruder.get(url)
        : await intruder.post(url, ID_ROUTES[route]!(own), { from: "/recipients/new" });
      expect(res.statusCode, route).toBe(404);
      expect(res.body, route).not.toMatch(
        /owned@example\.com|Owned Person|Owned subject|Owned body|Owned mailing|Owned layout|Owned frame/,
      );
    }
    expect(await snapshot(database)).toEqual(before);

    // The owner still reaches everything they own (the outbox is the admin's, not owned data).
    for (const route of Object.keys(ID_ROUTES).filter((r) => r.startsWith("GET") && !r.includes("/admin/"))) {
      expect((await owner.get(fill(route, fixture))).statusCode, route).toBe(200);
    }
  });

  it("answers ids that are not ids with a 404, never a 500", async () => {
    const { app, database } = await build();
    const owner = await setupAdmin(app);
    const fixture = await ownerWithData(owner);
    const before = await snapshot(database);
    const bad = [
      "abc",
      "0",
      "-1",
      "1.5",
      "1e3",
      "99999999999999999999",
      "2147483648",
      "%27%20or%201%3D1",
      "%00",
    ];
    for (const route of Object.keys(ID_ROUTES)) {
      for (const id of bad) {
        const url = fill(route, fixture, id);
        const res = route.startsWith("GET")
          ? await owner.get(url)
          : await owner.post(url, ID_ROUTES[route]!(fixture), { from: "/recipients/new" });
        expect(res.statusCode, `${route} ${id}`).toBe(404);
      }
    }
    expect(await snapshot(database)).toEqual(before);
  });
});
