import { describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.js";
import { createRecipients } from "../helpers/fixtures.js";
import { build, type Client, idFromLocation, registerUser, setupAdmin } from "../helpers/web.js";

const listedEmails = (html: string) =>
  [...html.matchAll(/<a href="\/recipients\/\d+">([^<]*)<\/a>/g)].map((m) => m[1]);

async function ownerId(database: Database, email: string): Promise<number> {
  const row = await database.db
    .selectFrom("users")
    .select("id")
    .where("email_normalized", "=", email)
    .executeTakeFirstOrThrow();
  return row.id;
}

async function newList(client: Client, name: string, description = ""): Promise<number> {
  const res = await client.post("/lists/new", { name, description }, { from: "/lists/new" });
  expect(res.statusCode).toBe(303);
  return idFromLocation(res);
}

describe("lists", () => {
  it("creates, shows, edits and deletes a list; a duplicate name is a form error keeping the input", async () => {
    const { app } = await build();
    const admin = await setupAdmin(app);
    const id = await newList(admin, "Customers", "People who bought");
    const detail = await admin.get(`/lists/${id}`);
    expect(detail.body).toContain("People who bought");
    expect((await admin.get("/lists")).body).toContain("Customers");

    const dup = await admin.post(
      "/lists/new",
      { name: " customers ", description: "kept" },
      { from: "/lists/new" },
    );
    expect(dup.statusCode).toBe(409);
    expect(dup.body).toContain("You already have a list with this name.");
    expect(dup.body).toContain("kept");

    const empty = await admin.post("/lists/new", { name: "", description: "typed" }, { from: "/lists/new" });
    expect(empty.statusCode).toBe(422);
    expect(empty.body).toContain("Name is required.");
    expect(empty.body).toContain("typed");

    const saved = await admin.post(
      `/lists/${id}/edit`,
      { name: "Clients", description: "", signup_enabled: "on", signup_redirect_url: "javascript:alert(1)" },
      { from: `/lists/${id}/edit` },
    );
    expect(saved.statusCode).toBe(422);
    expect(saved.body).toContain("Enter an address starting with https://.");
    const ok = await admin.post(
      `/lists/${id}/edit`,
      { name: "Clients", description: "", signup_enabled: "on" },
      { from: `/lists/${id}/edit` },
    );
    expect(ok.statusCode).toBe(303);
    expect((await admin.get(`/lists/${id}`)).body).toContain("/subscribe/customers-");

    expect((await admin.post(`/lists/${id}/delete`, {}, { from: `/lists/${id}/delete` })).statusCode).toBe(
      303,
    );
    expect((await admin.get(`/lists/${id}`)).statusCode).toBe(404);
  });

  it("adds ticked rows and every row matching a filter to a list after a confirmation stating the count", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const owner = await ownerId(database, "admin@example.com");
    const people = await createRecipients(database.db, owner, [
      "ann@a.test",
      "bob@a.test",
      "cy@b.test",
      "dee@b.test",
      "eve@c.test",
    ]);
    const vip = await newList(admin, "VIP");
    const news = await newList(admin, "News");

    // Ticked rows: ann and cy.
    const preview = await admin.post(
      "/recipients/bulk",
      {
        action: "add_to_list",
        target_list: String(vip),
        scope: "ticked",
        ids: [String(people[0]!.id), String(people[2]!.id)],
        q: "",
        list: "",
      },
      { from: "/recipients" },
    );
    expect(preview.statusCode).toBe(200);
    expect(preview.body).toContain("Add 2 recipients to “VIP”?");
    const applied = await admin.post(
      "/recipients/bulk/confirm",
      {
        action: "add_to_list",
        target_list: String(vip),
        scope: "ticked",
        ids: [String(people[0]!.id), String(people[2]!.id)],
        q: "",
        list: "",
      },
      { from: "/recipients" },
    );
    expect(applied.statusCode).toBe(303);
    const inVip = await admin.get(`/recipients?list=${vip}&sort=email&dir=asc`);
    expect(listedEmails(inVip.body)).toEqual(["ann@a.test", "cy@b.test"]);
    expect(inVip.body).toContain("2 recipients added to “VIP”.");

    // Everyone matching "b.test" → News; then everyone in VIP matching "b.test" is removed from VIP.
    const matching = {
      action: "add_to_list",
      target_list: String(news),
      scope: "matching",
      q: "b.test",
      list: "",
    };
    expect((await admin.post("/recipients/bulk", matching, { from: "/recipients" })).body).toContain(
      "Add 2 recipients to “News”?",
    );
    await admin.post("/recipients/bulk/confirm", matching, { from: "/recipients" });
    expect(listedEmails((await admin.get(`/recipients?list=${news}&sort=email&dir=asc`)).body)).toEqual([
      "cy@b.test",
      "dee@b.test",
    ]);
    const remove = {
      action: "remove_from_list",
      target_list: String(vip),
      scope: "matching",
      q: "b.test",
      list: String(vip),
    };
    expect((await admin.post("/recipients/bulk", remove, { from: "/recipients" })).body).toContain(
      "Remove 1 recipient from “VIP”?",
    );
    await admin.post("/recipients/bulk/confirm", remove, { from: "/recipients" });
    expect(listedEmails((await admin.get(`/recipients?list=${vip}`)).body)).toEqual(["ann@a.test"]);

    // Export of a filter, then delete of a filter.
    const exp = { action: "export", scope: "matching", q: "", list: String(news) };
    const csv = await admin.post("/recipients/bulk/confirm", exp, { from: "/recipients" });
    expect(csv.headers["content-type"]).toContain("text/csv");
    expect(csv.body).toContain("cy@b.test");
    expect(csv.body).toContain("dee@b.test");
    expect(csv.body).not.toContain("ann@a.test");
    const del = { action: "delete", scope: "matching", q: "", list: String(news) };
    expect((await admin.post("/recipients/bulk", del, { from: "/recipients" })).body).toContain(
      "Delete 2 recipients?",
    );
    await admin.post("/recipients/bulk/confirm", del, { from: "/recipients" });
    expect(listedEmails((await admin.get("/recipients?sort=email&dir=asc")).body)).toEqual([
      "ann@a.test",
      "bob@a.test",
      "eve@c.test",
    ]);
  });

  it("refuses a bulk action without a list or ticked rows with a clear message, keeping the filter", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    await createRecipients(database.db, await ownerId(database, "admin@example.com"), ["a@a.test"]);
    const res = await admin.post(
      "/recipients/bulk",
      { action: "add_to_list", target_list: "", scope: "ticked", q: "a.test", list: "" },
      { from: "/recipients" },
    );
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe("/recipients?q=a.test");
    const page = await admin.get(String(res.headers.location));
    expect(page.body).toContain("Choose a list.");
    expect(page.body).toContain("Tick at least one recipient first.");
  });

  it("never lets one user see or fill another user's list", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const list = await newList(admin, "Mine");
    const other = await registerUser(app, "other@example.com");
    const theirs = await createRecipients(database.db, await ownerId(database, "other@example.com"), [
      "x@x.test",
    ]);
    expect((await other.get(`/lists/${list}`)).statusCode).toBe(404);
    const res = await other.post(
      "/recipients/bulk/confirm",
      {
        action: "add_to_list",
        target_list: String(list),
        scope: "ticked",
        ids: [String(theirs[0]!.id)],
        q: "",
        list: "",
      },
      { from: "/recipients" },
    );
    expect(res.statusCode).toBe(303);
    const members = await database.db.selectFrom("list_members").selectAll().execute();
    expect(members).toEqual([]);
  });
});
