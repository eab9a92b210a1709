import { describe, expect, it } from "vitest";
import { parseFieldValue } from "../../src/custom-fields/field-values.js";
import { build, idFromLocation, setupAdmin } from "../helpers/web.js";

async function admin() {
  const t = await build();
  const client = await setupAdmin(t.app);
  const user = await t.database.db
    .selectFrom("users")
    .selectAll()
    .where("email_normalized", "=", "admin@example.com")
    .executeTakeFirstOrThrow();
  return { ...t, client, user };
}

describe("custom fields", () => {
  it("parses values by type, refusing what does not fit with a clear message", () => {
    expect(parseFieldValue("number", "Age", " 42 ")).toEqual({ ok: true, value: { text: "42", number: 42 } });
    expect(parseFieldValue("number", "Age", "4x")).toEqual({
      ok: false,
      message: "Age must be a number, like 42 or 3.5.",
    });
    expect(parseFieldValue("date", "Since", "2026-02-30")).toMatchObject({ ok: false });
    expect(parseFieldValue("date", "Since", "2026-02-28")).toEqual({
      ok: true,
      value: { text: "2026-02-28", number: null },
    });
    expect(parseFieldValue("yes_no", "VIP", "TRUE")).toEqual({
      ok: true,
      value: { text: "yes", number: null },
    });
    expect(parseFieldValue("yes_no", "VIP", "maybe")).toEqual({
      ok: false,
      message: "VIP must be yes or no.",
    });
    expect(parseFieldValue("text", "Plan", "   ")).toEqual({ ok: true, value: null });
    expect(parseFieldValue("text", "Plan", "a\u0007b")).toMatchObject({ ok: false });
  });

  it("defines fields, edits them on the recipient form (keeping input on errors) and returns them for templates", async () => {
    const { client, services, user } = await admin();
    expect(
      (await client.post("/fields", { label: "Plan", key: "plan", type: "text" }, { from: "/fields" }))
        .statusCode,
    ).toBe(303);
    await client.post("/fields", { label: "Age", key: "age", type: "number" }, { from: "/fields" });
    await client.post("/fields", { label: "VIP", key: "vip", type: "yes_no" }, { from: "/fields" });
    await client.post("/fields", { label: "Since", key: "since", type: "date" }, { from: "/fields" });
    const bad = await client.post(
      "/fields",
      { label: "Email", key: "email", type: "text" },
      { from: "/fields" },
    );
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain("This key is already a recipient's own field");
    const dup = await client.post(
      "/fields",
      { label: "Plan 2", key: "plan", type: "text" },
      { from: "/fields" },
    );
    expect(dup.statusCode).toBe(409);

    const refused = await client.post(
      "/recipients/new",
      { email: "ann@example.com", full_name: "Ann", field_plan: "pro", field_age: "forty", field_vip: "yes" },
      { from: "/recipients/new" },
    );
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain("Age must be a number, like 42 or 3.5.");
    expect(refused.body).toContain('value="forty"');
    expect(refused.body).toContain('value="pro"');

    const created = await client.post(
      "/recipients/new",
      {
        email: "ann@example.com",
        full_name: "Ann",
        field_plan: "pro",
        field_age: "40",
        field_vip: "yes",
        field_since: "2026-01-15",
      },
      { from: "/recipients/new" },
    );
    const id = idFromLocation(created);
    const detail = await client.get(`/recipients/${id}`);
    expect(detail.body).toContain("pro");
    expect(detail.body).toContain("2026-01-15");
    expect((await services.fields.valuesFor(user, [id, 999_999])).get(id)).toEqual({
      plan: "pro",
      age: 40,
      vip: true,
      since: "2026-01-15",
    });

    // Clearing one field leaves the others.
    await client.post(
      `/recipients/${id}/edit`,
      {
        email: "ann@example.com",
        full_name: "Ann",
        comment: "",
        field_plan: "",
        field_age: "41",
        field_vip: "no",
        field_since: "2026-01-15",
      },
      { from: `/recipients/${id}/edit` },
    );
    expect((await services.fields.valuesFor(user, [id])).get(id)).toEqual({
      age: 41,
      vip: false,
      since: "2026-01-15",
    });
  });

  it("imports CSV columns named like a field's key and exports them back", async () => {
    const { client, services, user } = await admin();
    await services.fields.create(user, { label: "Plan", key: "plan", type: "text" });
    await services.fields.create(user, { label: "Age", key: "age", type: "number" });
    const csv = "email,Plan,age\nann@example.com,pro,40\nbob@example.com,free,old\ncy@example.com,,7\n";
    const summary = await services.recipientImport.importCsv(user, [csv]);
    expect(summary).toMatchObject({ added: 2, invalid: 1 });
    expect(summary.problems[0]).toMatchObject({ line: 3, reason: "Age must be a number, like 42 or 3.5." });
    const exported = (await client.get("/recipients/export.csv")).body.replace(/^\uFEFF/, "");
    expect(exported.split("\r\n")).toEqual([
      "email,full_name,comment,plan,age",
      "ann@example.com,,,pro,40",
      "cy@example.com,,,,7",
      "",
    ]);
  });
});
