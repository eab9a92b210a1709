/**
 * Every state-changing route of the HTML app refuses a request without a valid CSRF token, whoever sends it.
 * The routes come from the app itself, so a new form cannot be forgotten. (The JSON API under /api/ takes
 * bearer tokens, not cookies, so CSRF does not apply there.)
 */
import { describe, expect, it } from "vitest";
import { allRoutes } from "../helpers/routes.js";
import { build, setupAdmin } from "../helpers/web.js";

describe("CSRF", () => {
  it("refuses every POST without a token, and with a forged one, and changes nothing", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const posts = allRoutes(app).filter((r) => r.startsWith("POST ") && !r.startsWith("POST /api/"));
    expect(posts.length).toBeGreaterThan(20);
    const usersBefore = await database.db.selectFrom("users").selectAll().execute();
    for (const route of posts) {
      const url = route.slice(5).replace(/:[a-z]+/g, "1");
      const missing = await admin.post(url, { email: "x@example.com", name: "x" }, { csrf: false });
      expect(missing.statusCode, `${route} without a token`).toBe(403);
      const forged = await admin.post(url, { email: "x@example.com", _csrf: "forged" });
      expect(forged.statusCode, `${route} with a forged token`).toBe(403);
    }
    expect(await database.db.selectFrom("users").selectAll().execute()).toEqual(usersBefore);
    // Still signed in: the refusals did not end the session.
    expect((await admin.get("/")).statusCode).toBe(200);
  });
});
