import { describe, expect, it } from "vitest";
import { createMessage, createUser } from "../helpers/fixtures.js";
import { builtinLayout } from "../layouts/support.js";
import { apiClient, buildApi } from "./support.js";

const LAYOUT = { name: "Plain frame", html: "<div>{{ content }}</div>" };

describe("API: layouts", () => {
  it("creates, reads, patches and deletes a user's own layouts; others see only the shared ones", async () => {
    const t = await buildApi();
    const builtin = await builtinLayout(t.database.db);
    const created = await t.api.call("POST", "/layouts", LAYOUT);
    expect(created.statusCode).toBe(201);
    const layout = created.json();
    expect(layout).toMatchObject({
      ...LAYOUT,
      text: "{{ content }}",
      shared: false,
      builtin: false,
      editable: true,
    });

    const list = (await t.api.call("GET", "/layouts")).json().items;
    expect(list.map((l: { id: number }) => l.id)).toEqual([builtin.id, layout.id]);
    expect(list[0]).toMatchObject({ shared: true, builtin: true, editable: false });

    const other = await apiClient(t);
    expect((await other.call("GET", "/layouts")).json().items.map((l: { id: number }) => l.id)).toEqual([
      builtin.id,
    ]);
    expect((await other.call("GET", `/layouts/${layout.id}`)).statusCode).toBe(404);
    expect((await other.call("PATCH", `/layouts/${layout.id}`, { name: "Stolen" })).statusCode).toBe(404);
    expect((await other.call("DELETE", `/layouts/${layout.id}`)).statusCode).toBe(404);
    // A shared layout is there to read, not to change (admins change it).
    expect((await other.call("PATCH", `/layouts/${builtin.id}`, { name: "Mine" })).statusCode).toBe(403);
    expect((await other.call("DELETE", `/layouts/${builtin.id}`)).statusCode).toBe(403);
    expect((await other.call("POST", "/layouts", { ...LAYOUT, shared: true })).statusCode).toBe(403);

    const patched = await t.api.call("PATCH", `/layouts/${layout.id}`, { name: "Renamed" });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ name: "Renamed", html: LAYOUT.html });
    expect((await t.api.call("DELETE", `/layouts/${layout.id}`)).statusCode).toBe(204);
    expect((await t.api.call("GET", `/layouts/${layout.id}`)).statusCode).toBe(404);
  });

  it("answers a template problem with 422, its field, line and column", async () => {
    const t = await buildApi();
    const res = await t.api.call("POST", "/layouts", {
      name: "Broken",
      html: "<p>{{ content }}</p>\n<p>{% if recipient.first_name %}</p>",
      text: "{{ content }} {{ recipient.email | nope }}",
    });
    expect(res.statusCode).toBe(422);
    expect(res.headers["content-type"]).toContain("application/problem+json");
    const errors = res.json().errors as { field: string; message: string }[];
    expect(errors.map((e) => e.field).sort()).toEqual(["html", "text"]);
    expect(errors.find((e) => e.field === "html")!.message).toMatch(
      /^Line 2, column \d+: tag .* not closed$/,
    );
    expect(errors.find((e) => e.field === "text")!.message).toMatch(
      /^Line 1, column \d+: unknown filter: nope$/,
    );

    const noContent = await t.api.call("POST", "/layouts", { name: "No place", html: "<p>Hi</p>" });
    expect(noContent.statusCode).toBe(422);
    expect(noContent.json().errors).toEqual([
      { field: "html", message: "HTML must contain {{ content }} where the message goes." },
    ]);
    const id = (await t.api.call("POST", "/layouts", LAYOUT)).json().id;
    const bad = await t.api.call("PATCH", `/layouts/${id}`, { html: "{{ content }} {{ nmae }}" });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors[0].message).toMatch(/^Line 1, column \d+: unknown variable: nmae$/);
  });

  it("lets admins add and change shared layouts, and refuses deleting the built-in one or one in use", async () => {
    const t = await buildApi();
    const builtin = await builtinLayout(t.database.db);
    const admin = await apiClient(t, await createUser(t.database.db, { role: "admin" }));
    const shared = (await admin.call("POST", "/layouts", { ...LAYOUT, shared: true })).json();
    expect(shared).toMatchObject({ shared: true, editable: true });
    expect((await t.api.call("GET", `/layouts/${shared.id}`)).json()).toMatchObject({
      shared: true,
      editable: false,
    });

    await createMessage(t.database.db, t.api.user.id, { layout_id: shared.id });
    const inUse = await admin.call("DELETE", `/layouts/${shared.id}`);
    expect(inUse.statusCode).toBe(409);
    expect(inUse.json().detail).toBe(
      "This layout cannot be deleted: a message uses it. Give that message another layout (or none) first.",
    );
    const kept = await admin.call("DELETE", `/layouts/${builtin.id}`);
    expect(kept.statusCode).toBe(409);
    expect(kept.json().detail).toContain("built-in layout cannot be deleted");
    expect((await admin.call("PATCH", `/layouts/${builtin.id}`, { name: "Our default" })).json().name).toBe(
      "Our default",
    );
    const audit = await t.database.db.selectFrom("audit_log").select("action").orderBy("id").execute();
    expect(audit.map((a) => a.action)).toEqual(["create_layout", "update_layout"]);
  });
});
