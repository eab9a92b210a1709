import { describe, expect, it } from "vitest";
import { createRecipients } from "../helpers/fixtures.js";
import { build, idFromLocation, setupAdmin } from "../helpers/web.js";

describe("segment pages", () => {
  it("saves a segment from the form, shows its live count and a sample, and keeps bad input with messages", async () => {
    const { app, database, services } = await build();
    const admin = await setupAdmin(app);
    const user = await database.db.selectFrom("users").selectAll().executeTakeFirstOrThrow();
    await services.fields.create(user, { label: "Age", key: "age", type: "number" });
    const people = await createRecipients(database.db, user.id, [
      "ann@a.test",
      "bob@mail.a.test",
      "cy@b.test",
    ]);
    await services.recipients.update(user, people[0]!.id, { email: "ann@a.test", fields: { age: "40" } });
    await services.recipients.update(user, people[1]!.id, { email: "bob@mail.a.test", fields: { age: 20 } });

    const bad = await admin.post(
      "/segments/new",
      {
        name: "Adults at a.test",
        match: "all",
        c0_what: "email",
        c0_op: "ends_with_domain",
        c0_value: "a.test",
        c1_what: "field:age",
        c1_op: "gt",
        c1_value: "eighteen",
      },
      { from: "/segments/new" },
    );
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain("The value must be a number, like 42 or 3.5.");
    expect(bad.body).toContain('value="eighteen"');
    expect(bad.body).toContain('value="Adults at a.test"');

    const saved = await admin.post(
      "/segments/new",
      {
        name: "Adults at a.test",
        match: "all",
        c0_what: "email",
        c0_op: "ends_with_domain",
        c0_value: "a.test",
        c1_what: "field:age",
        c1_op: "gt",
        c1_value: "18",
      },
      { from: "/segments/new" },
    );
    expect(saved.statusCode).toBe(303);
    const id = idFromLocation(saved);
    const detail = await admin.get(`/segments/${id}`);
    expect(detail.body).toContain("<strong>2</strong> recipients match");
    expect(detail.body).toContain("ann@a.test");
    expect(detail.body).toContain("bob@mail.a.test");
    expect(detail.body).not.toContain("cy@b.test");

    await services.recipients.update(user, people[1]!.id, { email: "bob@mail.a.test", fields: { age: 17 } });
    expect((await admin.get(`/segments/${id}`)).body).toContain("<strong>1</strong> recipient match");

    const dup = await admin.post(
      "/segments/new",
      { name: "adults at A.test", c0_what: "bounced" },
      { from: "/segments/new" },
    );
    expect(dup.statusCode).toBe(409);
    const none = await admin.post("/segments/new", { name: "Empty" }, { from: "/segments/new" });
    expect(none.statusCode).toBe(422);
    expect(none.body).toContain("Add at least one condition.");
  });
});
