import { describe, expect, it } from "vitest";
import { PREVIEW_CSP } from "../../src/layouts/layouts.pages.js";
import { createMessage } from "../helpers/fixtures.js";
import { signIn } from "../helpers/sign-in.js";
import { build, type Client, idFromLocation, setupAdmin } from "../helpers/web.js";
import { builtinLayout } from "./support.js";

const LAYOUT = {
  name: "Plain frame",
  html: '<div class="frame">\n{{ content }}\n<p>{{ sender.postal_address }}</p>\n</div>',
  text: "{{ content }}\n--\n{{ sender.postal_address }}",
};

async function newLayout(client: Client, form: Record<string, string> = LAYOUT): Promise<number> {
  return idFromLocation(await client.post("/layouts/new", form, { from: "/layouts/new" }));
}

const has = (body: string, text: string) => body.includes(text);

describe("layout pages", () => {
  it("keeps a user's layouts their own, shows the shared ones to everyone, and lets only admins change those", async () => {
    const { app, database } = await build();
    const builtin = await builtinLayout(database.db);
    const admin = await setupAdmin(app);
    const shared = await newLayout(admin, { ...LAYOUT, name: "Company frame", shared: "on" });
    const uma = await signIn(app, database, "uma@example.com");
    const own = await newLayout(uma, { ...LAYOUT, name: "Uma's frame" });
    const ivan = await signIn(app, database, "ivan@example.com");

    const list = (await uma.get("/layouts")).body;
    expect(has(list, "Uma&#39;s frame") || has(list, "Uma's frame")).toBe(true);
    expect(has(list, "Company frame")).toBe(true);
    expect(has(list, "PostPilot default")).toBe(true);
    expect(has(list, "Built-in")).toBe(true);
    expect(has(list, "Shared")).toBe(true);
    expect(has(list, `/layouts/${own}/edit`)).toBe(true);
    // A shared layout is read-only for a plain user: no edit link, and the edit routes answer 403.
    expect(has(list, `/layouts/${shared}/edit`)).toBe(false);
    expect((await uma.get(`/layouts/${shared}`)).statusCode).toBe(200);
    expect((await uma.get(`/layouts/${shared}/edit`)).statusCode).toBe(403);
    expect((await uma.post(`/layouts/${shared}/edit`, LAYOUT, { from: "/layouts" })).statusCode).toBe(403);
    expect((await uma.post(`/layouts/${shared}/delete`, {}, { from: "/layouts" })).statusCode).toBe(403);
    // Only admins make shared layouts.
    const sneaky = await uma.post("/layouts/new", { ...LAYOUT, shared: "on" }, { from: "/layouts/new" });
    expect(sneaky.statusCode).toBe(403);

    // Another user sees neither the layout nor its name.
    const ivanList = (await ivan.get("/layouts")).body;
    expect(has(ivanList, "Uma")).toBe(false);
    expect(has(ivanList, "Company frame")).toBe(true);
    for (const url of [`/layouts/${own}`, `/layouts/${own}/edit`, `/layouts/${own}/preview`]) {
      expect((await ivan.get(url)).statusCode, url).toBe(404);
    }

    // The admin edits the shared one (audited) and the built-in one, but cannot delete the built-in one.
    const edited = await admin.post(
      `/layouts/${shared}/edit`,
      { ...LAYOUT, name: "Company frame 2" },
      { from: `/layouts/${shared}/edit` },
    );
    expect(edited.statusCode).toBe(303);
    const refused = await admin.post(`/layouts/${builtin.id}/delete`, {}, { from: `/layouts/${builtin.id}` });
    expect(refused.statusCode).toBe(409);
    expect(has(refused.body, "The built-in layout cannot be deleted")).toBe(true);
    expect((await admin.post(`/layouts/${shared}/delete`, {}, { from: "/layouts" })).statusCode).toBe(303);
    const audit = await database.db
      .selectFrom("audit_log")
      .select(["action", "target_id"])
      .orderBy("id")
      .execute();
    expect(audit).toEqual([
      { action: "create_layout", target_id: shared },
      { action: "update_layout", target_id: shared },
      { action: "delete_layout", target_id: shared },
    ]);
    const names = (await database.db.selectFrom("layouts").select("name").orderBy("id").execute()).map(
      (l) => l.name,
    );
    expect(names).toEqual(["PostPilot default", "Uma's frame"]);
  });

  it("refuses a template that does not parse, with its line and column, keeping what was typed", async () => {
    const { app, database } = await build();
    const uma = await signIn(app, database, "uma@example.com");
    const cases: [Record<string, string>, string][] = [
      [
        { ...LAYOUT, html: "<p>\n  {{ recipient.nmae }}</p>{{ content }}" },
        "Line 2, column 6: unknown variable: recipient.nmae",
      ],
      [{ ...LAYOUT, html: "{{ content }}\n{% if x %}" }, "Line 2, column 1: tag {% if x %} not closed"],
      [
        { ...LAYOUT, text: "{{ content }}\n{{ recipient.first_name | shout }}" },
        "Line 2, column 1: unknown filter: shout",
      ],
      [
        { ...LAYOUT, html: "<p>No place for the message</p>" },
        "HTML must contain {{ content }} where the message goes.",
      ],
    ];
    for (const [form, message] of cases) {
      const res = await uma.post("/layouts/new", form, { from: "/layouts/new" });
      expect(res.statusCode, message).toBe(422);
      expect(
        has(res.body, message),
        `${message}\n${res.body.slice(res.body.indexOf("invalid-feedback"), res.body.indexOf("invalid-feedback") + 300)}`,
      ).toBe(true);
      expect(has(res.body, 'value="Plain frame"'), message).toBe(true);
    }
    expect(
      await database.db.selectFrom("layouts").select("id").where("owner_id", "is not", null).execute(),
    ).toEqual([]);
  });

  it("refuses to delete a layout a message uses, saying so", async () => {
    const { app, database } = await build();
    const uma = await signIn(app, database, "uma@example.com");
    const id = await newLayout(uma);
    const owner = await database.db.selectFrom("users").select("id").executeTakeFirstOrThrow();
    const message = await createMessage(database.db, owner.id, { subject: "Uses the frame", layout_id: id });
    const page = await uma.get(`/layouts/${id}/delete`);
    expect(has(page.body, "A message uses this layout, so it cannot be deleted.")).toBe(true);
    const res = await uma.post(`/layouts/${id}/delete`, {}, { from: `/layouts/${id}/delete` });
    expect(res.statusCode).toBe(409);
    expect(has(res.body, "This layout cannot be deleted: a message uses it.")).toBe(true);
    expect(has((await uma.get(`/layouts/${id}`)).body, `/messages/${message.id}`)).toBe(true);
    expect(await database.db.selectFrom("layouts").select("id").where("id", "=", id).execute()).toHaveLength(
      1,
    );
  });

  it("previews the layout around sample content only on its sandboxed route", async () => {
    const { app, database } = await build();
    const uma = await signIn(app, database, "uma@example.com");
    const evil = {
      name: "<script>alert('name')</script>",
      html: "<html><body><script>document.title='x'</script><img src=x onerror=alert(1)>{{ content }}</body></html>",
      text: "",
    };
    const id = await newLayout(uma, evil);
    const preview = await uma.get(`/layouts/${id}/preview`);
    expect(preview.statusCode).toBe(200);
    expect(preview.headers["content-security-policy"]).toBe(PREVIEW_CSP);
    expect(has(preview.body, "Hello Ada,")).toBe(true);

    // The pages show the layout in a sandboxed frame and its name and source escaped, never as markup.
    for (const url of ["/layouts", `/layouts/${id}`, `/layouts/${id}/edit`, `/layouts/${id}/delete`]) {
      const res = await uma.get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers["content-security-policy"], url).not.toContain("unsafe-inline");
      expect(has(res.body, "<script>alert"), url).toBe(false);
      expect(has(res.body, "<script>document"), url).toBe(false);
      expect(has(res.body, "<img src=x"), url).toBe(false);
      expect(
        has(res.body, "&lt;script>alert(&#39;name&#39;)&lt;/script>") ||
          has(res.body, "&lt;script>alert('name')&lt;/script>"),
        url,
      ).toBe(true);
    }
    const detail = (await uma.get(`/layouts/${id}`)).body;
    expect(detail).toMatch(/<iframe name="layout-preview"[^>]* sandbox(="")?[ >]/);
    expect(detail).toMatch(new RegExp(`src="/layouts/${id}/preview"`));

    // What the form holds, before saving, posted into the frame; a problem is shown there, escaped.
    const typed = await uma.post(
      "/layouts/preview",
      { html: "<b>typed</b> {{ content }} {{ nope }}<script>x</script>", text: "" },
      { from: "/layouts/new" },
    );
    expect(typed.headers["content-security-policy"]).toBe(PREVIEW_CSP);
    expect(has(typed.body, "unknown variable: nope")).toBe(true);
    expect(has(typed.body, "<script>x")).toBe(false);
    const fine = await uma.post(
      "/layouts/preview",
      { html: "<b>typed</b> {{ content }}", text: "" },
      { from: "/layouts/new" },
    );
    expect(has(fine.body, "<b>typed</b>")).toBe(true);
    expect(has(fine.body, "Hello Ada,")).toBe(true);
  });
});
