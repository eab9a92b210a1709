import { describe, expect, it } from "vitest";
import { build, idFromLocation, setupAdmin } from "../helpers/web.js";

describe("suppression pages", () => {
  it("adds, searches, exports and removes (audited) a suppression; the recipient page says why", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const recipient = idFromLocation(
      await admin.post("/recipients/new", { email: "Ann@Example.com" }, { from: "/recipients/new" }),
    );
    expect((await admin.get(`/recipients/${recipient}`)).body).toContain(
      "No: mailings send to this address.",
    );

    const added = await admin.post(
      "/suppressions/new",
      { email: " ann@example.com ", reason: "complaint", comment: "<b>angry</b>" },
      { from: "/suppressions/new" },
    );
    expect(added.statusCode).toBe(303);
    const list = await admin.get("/suppressions?q=ANN");
    expect(list.body).toContain("ann@example.com");
    expect(list.body).toContain("Complaint");
    expect((await admin.get("/suppressions?q=nobody")).body).toContain("No suppressed address matches");

    const duplicate = await admin.post(
      "/suppressions/new",
      { email: "ANN@example.com", reason: "manual" },
      { from: "/suppressions/new" },
    );
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.body).toContain("already suppressed");

    const detail = await admin.get(`/recipients/${recipient}`);
    expect(detail.body).toContain("Complaint");
    expect(detail.body).toContain("Mailings do not send to this address.");

    const csv = await admin.get("/suppressions/export.csv");
    expect(csv.headers["content-type"]).toContain("text/csv");
    expect(csv.body).toContain("email,reason,source,created_at,mailing_id,comment");
    expect(csv.body).toContain("ann@example.com,complaint,manual,");

    const [row] = await database.db.selectFrom("suppressions").selectAll().execute();
    const confirm = await admin.get(`/suppressions/${row!.id}/delete`);
    expect(confirm.body).toContain("Remove suppression");
    const removed = await admin.post(
      `/suppressions/${row!.id}/delete`,
      {},
      { from: `/suppressions/${row!.id}/delete` },
    );
    expect(removed.statusCode).toBe(303);
    expect(await database.db.selectFrom("suppressions").selectAll().execute()).toEqual([]);
    const audit = await database.db.selectFrom("audit_log").selectAll().execute();
    expect(audit).toMatchObject([
      {
        action: "remove_suppression",
        target_type: "suppression",
        target_label: "ann@example.com",
        actor_email: "admin@example.com",
      },
    ]);
    expect((await admin.get("/admin/audit")).body).toContain("Removed suppression");
  });
});

describe("suppression import", () => {
  it("imports pasted CSV (the export's format), keeps existing ones, and names bad lines", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    await admin.post(
      "/suppressions/new",
      { email: "old@example.com", reason: "complaint" },
      { from: "/suppressions/new" },
    );
    const csv = [
      "email,reason,comment",
      "new@example.com,hard_bounce,bounced",
      "OLD@example.com,manual,",
      "not-an-email,manual,",
      "'=cmd@example.com,whatever,",
      "",
    ].join("\r\n");
    const res = await admin.post("/suppressions/import", { csv }, { from: "/suppressions/import" });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain("4 rows read: 2 added, 1 already suppressed, 1 invalid.");
    expect(res.body).toContain("line 4: not-an-email");
    const rows = await database.db.selectFrom("suppressions").selectAll().orderBy("id").execute();
    expect(rows.map((r) => [r.email, r.reason, r.source])).toEqual([
      ["old@example.com", "complaint", "manual"],
      ["new@example.com", "hard_bounce", "import"],
      ["=cmd@example.com", "manual", "import"],
    ]);
    const bad = await admin.post(
      "/suppressions/import",
      { csv: "name\r\nx" },
      { from: "/suppressions/import" },
    );
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain("with an email column");
    const open = await admin.post(
      "/suppressions/import",
      { csv: 'email\r\n"a@example.com' },
      { from: "/suppressions/import" },
    );
    expect(open.statusCode).toBe(422);
  });
});

describe("suppression reasons: repeated soft bounces", () => {
  it("filters the list by reason, keeping the search, and round-trips soft_bounce through the CSV", async () => {
    const { app } = await build();
    const admin = await setupAdmin(app);
    const csv = [
      "email,reason,comment",
      "soft@example.com,soft_bounce,3 runs",
      "hard@example.com,hard_bounce,",
      "",
    ].join("\r\n");
    await admin.post("/suppressions/import", { csv }, { from: "/suppressions/import" });
    const soft = await admin.get("/suppressions?reason=soft_bounce");
    expect(soft.body).toContain("soft@example.com");
    expect(soft.body).toContain("Repeated soft bounces");
    expect(soft.body).not.toContain("hard@example.com");
    expect(soft.body).toMatch(/class="nav-link py-1 px-2 active" href="\/suppressions\?reason=soft_bounce"/);
    const all = await admin.get("/suppressions?reason=bogus");
    expect(all.body).toContain("soft@example.com");
    expect(all.body).toContain("hard@example.com");
    const none = await admin.get("/suppressions?reason=complaint");
    expect(none.body).toContain("No addresses suppressed for “Complaint”");
    expect((await admin.get("/suppressions?q=hard&reason=soft_bounce")).body).toContain(
      "No suppressed address matches",
    );
    expect((await admin.get("/suppressions?q=soft")).body).toContain(
      'href="/suppressions?q=soft&amp;reason=soft_bounce"',
    );
    const exported = await admin.get("/suppressions/export.csv");
    expect(exported.body).toMatch(/soft@example\.com,soft_bounce,/);
    expect((await admin.get("/suppressions/new")).body).toContain(
      '<option value="soft_bounce">Repeated soft bounces</option>',
    );
  });
});
