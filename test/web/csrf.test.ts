/**
 * Every state-changing route of the HTML app refuses a request without a valid CSRF token, whoever sends it.
 * The routes come from the app itself, so a new form cannot be forgotten. (The JSON API under /api/ takes
 * bearer tokens, not cookies, so CSRF does not apply there.)
 */
import { describe, expect, it } from "vitest";
import { allRoutes } from "../helpers/routes.js";
import { build, setupAdmin } from "../helpers/web.js";

/**
 * The exemptions: RFC 8058 one-click unsubscribe, posted by mail providers without cookies or a token (its
 * signed URL token is the proof, test/suppression/unsubscribe.test.ts), and a list's signup form, which other
 * sites embed as plain HTML (it only queues a confirmation email; test/signup/signup.test.ts).
 */
const CSRF_EXEMPT = ["POST /u/:token", "POST /subscribe/:slug"];

describe("CSRF", () => {
  it("exempts only the one-click unsubscribe and signup routes, which change nothing without a valid link or form", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    for (const route of CSRF_EXEMPT) expect(allRoutes(app)).toContain(route);
    const res = await admin.post("/u/1", { "List-Unsubscribe": "One-Click" }, { csrf: false });
    expect(res.statusCode).toBe(404);
    expect(await database.db.selectFrom("suppressions").selectAll().execute()).toEqual([]);
    expect((await admin.post("/subscribe/none", { email: "a@b.co" }, { csrf: false })).statusCode).toBe(404);
  });

  it("refuses every POST without a token, and with a forged one, and changes nothing", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const posts = allRoutes(app).filter(
      (r) => r.startsWith("POST ") && !r.startsWith("POST /api/") && !CSRF_EXEMPT.includes(r),
    );
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
