/** The navigation bar: which item is current, and a way to log in from the public pages. */
import { describe, expect, it } from "vitest";
import { build, Client, setupAdmin } from "../helpers/web.js";

/** The nav items marked current (aria-current="page"), by their text. */
function current(html: string): string[] {
  return [...html.matchAll(/<a[^>]*aria-current="page"[^>]*>([\s\S]*?)<\/a>/g)].map((m) =>
    m[1]!.replace(/<[^>]+>/g, "").trim(),
  );
}

describe("navigation", () => {
  it("marks Blog on /admin/blog, nothing of Users on /admin/outbox, and Users on the users pages", async () => {
    const { app } = await build();
    const admin = await setupAdmin(app);
    expect(current((await admin.get("/admin/blog")).body)).toEqual(["Blog"]);
    const outbox = await admin.get("/admin/outbox");
    expect(outbox.statusCode).toBe(200);
    expect(current(outbox.body)).not.toContain("Users");
    expect(current((await admin.get("/admin/users")).body)).toEqual(["Users"]);
    expect(current((await admin.get("/admin/audit")).body)).toEqual(["Users"]);
  });

  it("gives the public blog a Log in link", async () => {
    const { app } = await build();
    await setupAdmin(app);
    const blog = (await new Client(app).get("/blog")).body;
    expect(blog).toContain('href="/login"');
    expect(blog).toContain("Log in");
  });
});
