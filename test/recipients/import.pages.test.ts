import { describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.js";
import { build, type Client, registerUser, setupAdmin } from "../helpers/web.js";

async function emailsOf(database: Database, ownerEmail: string): Promise<string[]> {
  const rows = await database.db
    .selectFrom("recipients")
    .innerJoin("users", "users.id", "recipients.owner_id")
    .select("recipients.email_normalized")
    .where("users.email_normalized", "=", ownerEmail)
    .orderBy("recipients.email_normalized")
    .execute();
  return rows.map((r) => r.email_normalized);
}

/** The key the import form carries (the progress and result pages are found by it). */
async function formKey(client: Client): Promise<string> {
  const page = await client.get("/recipients/import");
  const key = /name="key" value="([^"]+)"/.exec(page.body)?.[1];
  if (!key) throw new Error("no key on the import form");
  return key;
}

async function upload(client: Client, csv: string, fields: Record<string, string> = {}) {
  const key = fields.key ?? (await formKey(client));
  const res = await client.postMultipart(
    "/recipients/import",
    { key, ...fields },
    [{ field: "file", filename: "people.csv", content: Buffer.from(csv), type: "text/csv" }],
    { from: "/recipients/import" },
  );
  return { res, key };
}

describe("recipient import and export pages", () => {
  it("links import and export from the recipients page", async () => {
    const { app } = await build();
    const admin = await setupAdmin(app);
    const list = await admin.get("/recipients");
    expect(list.body).toContain('href="/recipients/import"');
    expect(list.body).toContain('href="/recipients/export.csv"');
    const form = await admin.get("/recipients/import");
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('enctype="multipart/form-data"');
    expect(form.body).toContain('name="update_existing"');
  });

  it("imports an uploaded file and shows the summary with the line-numbered problems", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    await admin.post(
      "/recipients/new",
      { email: "old@example.com", full_name: "Old" },
      { from: "/recipients/new" },
    );
    const csv =
      "Email;Full name\nann@example.com;Ann\nnope;Bad\nold@example.com;Old again\nANN@example.com;Twice\n";
    const { res, key } = await upload(admin, csv);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/recipients/import/result?key=${key}`);
    const result = await admin.get(String(res.headers.location));
    expect(result.statusCode).toBe(200);
    expect(result.body).toContain("The import is complete: 1 added, 0 updated, 2 skipped, 1 invalid.");
    expect(result.body).toMatch(/<td class="text-end">3<\/td><td class="text-break">nope<\/td>/);
    expect(result.body).toContain("Already in your recipients");
    expect(result.body).toContain("Same email as line 2.");
    expect(await emailsOf(database, "admin@example.com")).toEqual(["ann@example.com", "old@example.com"]);

    const progress = await admin.get(`/recipients/import/progress?key=${key}`);
    expect(JSON.parse(progress.body)).toMatchObject({
      started: true,
      done: true,
      added: 1,
      skipped: 2,
      invalid: 1,
    });
    expect(JSON.parse((await admin.get("/recipients/import/progress?key=unknown-key-12345")).body)).toEqual({
      started: false,
    });
    // The import is listed on the form page.
    expect((await admin.get("/recipients/import")).body).toContain("people.csv");
  });

  it("updates existing recipients only when asked", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    await admin.post(
      "/recipients/new",
      { email: "ann@example.com", full_name: "Ann" },
      { from: "/recipients/new" },
    );
    const csv = "email,name\nann@example.com,Ann Smith\n";
    await upload(admin, csv);
    const name = () => database.db.selectFrom("recipients").select("full_name").executeTakeFirstOrThrow();
    expect((await name()).full_name).toBe("Ann");
    const { res } = await upload(admin, csv, { update_existing: "on" });
    expect((await admin.get(String(res.headers.location))).body).toContain("0 added, 1 updated");
    expect((await name()).full_name).toBe("Ann Smith");
  });

  it("refuses an upload without a valid CSRF token and imports nothing", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    for (const token of ["", "forged-token"]) {
      const { res } = await upload(admin, "email\nann@example.com\n", { _csrf: token });
      expect(res.statusCode).toBe(403);
    }
    expect(await emailsOf(database, "admin@example.com")).toEqual([]);
    expect(await database.db.selectFrom("recipient_imports").selectAll().execute()).toEqual([]);
  });

  it("asks for a file when none is chosen, and refuses a form that is not an upload", async () => {
    const { app } = await build();
    const admin = await setupAdmin(app);
    const key = await formKey(admin);
    const none = await admin.postMultipart("/recipients/import", { key }, [
      { field: "file", filename: "", content: Buffer.alloc(0) },
    ]);
    expect(none.statusCode).toBe(422);
    expect(none.body).toContain("Choose a CSV file to import.");
    const plain = await admin.post("/recipients/import", { key }, { from: "/recipients/import" });
    expect(plain.statusCode).toBe(422);
  });

  it("imports into the acting user's recipients only, and shows an import only to its owner", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const other = await registerUser(app, "other@example.com");
    const { res, key } = await upload(other, "email,name\nmine@example.com,Mine\n");
    expect(res.statusCode).toBe(303);
    expect(await emailsOf(database, "other@example.com")).toEqual(["mine@example.com"]);
    expect(await emailsOf(database, "admin@example.com")).toEqual([]);
    expect((await admin.get(`/recipients/import/result?key=${key}`)).statusCode).toBe(404);
    expect(JSON.parse((await admin.get(`/recipients/import/progress?key=${key}`)).body)).toEqual({
      started: false,
    });
    expect((await admin.get("/recipients/import")).body).not.toContain("people.csv");
    // Reusing another user's key does not reach their import either.
    const again = await upload(admin, "email\nx@example.com\n", { key });
    expect(again.res.statusCode).toBe(409);
  });

  it("shows imported names and problems escaped", async () => {
    const { app } = await build();
    const admin = await setupAdmin(app);
    const csv = 'email,name\nxss@example.com,<script>alert(1)</script>\n"<img src=x onerror=alert(1)>",x\n';
    const { res } = await upload(admin, csv);
    const result = await admin.get(String(res.headers.location));
    expect(result.body).not.toContain("<img src=x");
    expect(result.body).toContain("&lt;img src=x onerror=alert(1)>");
    const list = await admin.get("/recipients");
    expect(list.body).not.toContain("<script>alert(1)</script>");
    expect(list.body).toContain("&lt;script>alert(1)&lt;/script>");
  });

  it("exports the user's own recipients as a CSV download that imports back", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const other = await registerUser(app, "other@example.com");
    await admin.post(
      "/recipients/new",
      { email: "ann@example.com", full_name: "=cmd|' /C calc'!A0", comment: "a, b" },
      { from: "/recipients/new" },
    );
    await other.post("/recipients/new", { email: "theirs@example.com" }, { from: "/recipients/new" });
    const res = await admin.get("/recipients/export.csv");
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("text/csv; charset=utf-8");
    expect(res.headers["content-disposition"]).toMatch(
      /^attachment; filename="recipients-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    expect(res.body).toBe(
      "\uFEFFemail,full_name,comment\r\nann@example.com,'=cmd|' /C calc'!A0,\"a, b\"\r\n",
    );
    await upload(other, res.body);
    expect(await emailsOf(database, "other@example.com")).toEqual(["ann@example.com", "theirs@example.com"]);
    const imported = await database.db
      .selectFrom("recipients")
      .select(["full_name", "comment"])
      .where("email_normalized", "=", "ann@example.com")
      .execute();
    expect(imported).toEqual([
      { full_name: "=cmd|' /C calc'!A0", comment: "a, b" },
      { full_name: "=cmd|' /C calc'!A0", comment: "a, b" },
    ]);
  });
});
