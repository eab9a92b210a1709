/** Findings 5 and 6 through every door: the form, the API, the CSV import (the CLI shares the schemas). */
import { describe, expect, it } from "vitest";
import { apiClient } from "../api/support.js";
import { build, setupAdmin } from "../helpers/web.js";

const CONTROL_MESSAGE =
  "Full name contains a control or text-direction character (such as a tab), which is not allowed.";

describe("control characters and ill-formed text", () => {
  it("are refused by the recipient form, which keeps the other input", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const res = await admin.post(
      "/recipients/new",
      { email: "ann@example.com", full_name: "\u001b]0;pwned\u0007Ann", comment: "kept" },
      { from: "/recipients/new" },
    );
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain(CONTROL_MESSAGE);
    expect(res.body).toContain('value="ann@example.com"');
    expect(res.body).toContain("kept");
    expect(await database.db.selectFrom("recipients").selectAll().execute()).toEqual([]);
  });

  it("are refused by the API: C0, C1, bidi overrides, lone surrogates (never stored as invalid UTF-8)", async () => {
    const t = await build();
    const api = await apiClient(t);
    for (const [full_name, message] of [
      ["a\u0007b", CONTROL_MESSAGE],
      ["a\u0085b", CONTROL_MESSAGE],
      ["txt.exe\u202e", CONTROL_MESSAGE],
      ["a\ud800b", "Full name contains a character that is not allowed."],
    ] as const) {
      const res = await api.call("POST", "/recipients", { email: "bo@example.com", full_name });
      expect(res.statusCode, JSON.stringify(full_name)).toBe(422);
      expect(res.json().errors, JSON.stringify(full_name)).toEqual([{ field: "full_name", message }]);
    }
    const comment = await api.call("POST", "/recipients", { email: "bo@example.com", comment: "x\udc00" });
    expect(comment.statusCode).toBe(422);
    expect(await t.database.db.selectFrom("recipients").selectAll().execute()).toEqual([]);
  });

  it("make a CSV row invalid, with its line, while the other rows are imported", async () => {
    const t = await build();
    const api = await apiClient(t);
    const summary = await t.services.recipientImport.importCsv(api.user, [
      "email,full_name\nann@example.com,Ann\nbo@example.com,Bo\u001b[2J\ncy@example.com,Cy\n",
    ]);
    expect(summary).toMatchObject({ rows: 3, added: 2, invalid: 1 });
    expect(summary.problems).toEqual([{ line: 3, email: "bo@example.com", reason: CONTROL_MESSAGE }]);
  });

  it("a time zone is stored canonical and an offset past ±14:00 refused, through the API", async () => {
    const t = await build();
    const api = await apiClient(t);
    const message = (await api.call("POST", "/messages", { subject: "Hi", body: "Hello" })).json();
    const base = { name: "M", message_id: message.id, periodicity: "once", recipient_mode: "none" };
    const ok = await api.call("POST", "/mailings", {
      ...base,
      first_send_at: "2030-01-01T09:00",
      end_at: "2030-02-01T09:00",
      time_zone: "europe/berlin",
    });
    expect(ok.statusCode).toBe(201);
    expect(ok.json().time_zone).toBe("Europe/Berlin");
    for (const [first_send_at, end_at] of [
      ["2030-01-01T09:00+25:00", "2030-02-01T09:00Z"],
      ["0000-01-01T00:00", "2030-02-01T09:00"],
    ]) {
      const bad = await api.call("POST", "/mailings", { ...base, first_send_at, end_at, time_zone: "UTC" });
      expect(bad.statusCode, first_send_at).toBe(422);
      expect(bad.json().errors, first_send_at).toEqual([
        { field: "first_send_at", message: "First send is not a date and time." },
      ]);
    }
  });
});
