/** After a server-side refusal the first invalid field has autofocus, and only that one. */
import { describe, expect, it } from "vitest";
import { build, setupAdmin } from "../helpers/web.js";

const autofocused = (html: string) =>
  [...html.matchAll(/<(?:input|select|textarea)\b[^>]*\bautofocus\b[^>]*>/g)].map(
    (m) => /\bid="([^"]+)"/.exec(m[0])?.[1],
  );

describe("focus after a refused form", () => {
  it("goes to the first invalid field in the page's order, once", async () => {
    const { app } = await build();
    const admin = await setupAdmin(app);
    const res = await admin.post(
      "/mailings/new",
      { name: "", message_id: "", first_send_at: "soon", periodicity: "weekly", time_zone: "UTC" },
      { from: "/mailings/new" },
    );
    expect(res.statusCode).toBe(422);
    expect(autofocused(res.body)).toEqual(["f-name"]);

    const second = await admin.post(
      "/mailings/new",
      { name: "Kept", message_id: "", first_send_at: "soon", periodicity: "weekly", time_zone: "UTC" },
      { from: "/mailings/new" },
    );
    expect(autofocused(second.body)).toEqual(["f-message_id"]);
    expect(second.body).toContain('value="Kept"');
  });

  it("gives no field autofocus on a fresh form", async () => {
    const { app } = await build();
    const admin = await setupAdmin(app);
    expect(autofocused((await admin.get("/mailings/new")).body)).toEqual([]);
  });
});
