import { describe, expect, it } from "vitest";
import { TokensService } from "../../src/accounts/tokens.service.js";
import { createUser } from "../helpers/fixtures.js";
import { build, registerUser, setupAdmin } from "../helpers/web.js";

const newToken = (html: string) => /data-testid="new-token">([^<]+)</.exec(html)?.[1];

describe(TokensService.name, () => {
  it("creates a token shown once, authenticates it, records its use, and revokes it", async () => {
    const { database, services } = await build();
    const user = await createUser(database.db);
    const sut = services.tokens;
    const created = await sut.create(user, { name: "Shop" });
    expect(created.token).toMatch(/^pp_[A-Za-z0-9_-]{43}$/);
    const stored = await database.db.selectFrom("api_tokens").selectAll().executeTakeFirstOrThrow();
    expect(stored.token_hash).not.toContain(created.token.slice(3));
    expect((await sut.authenticate(created.token))?.user.id).toBe(user.id);
    expect((await sut.list(user))[0]).toMatchObject({ name: "Shop", last_used_at: expect.any(String) });
    expect(await sut.authenticate(`${created.token}x`)).toBeNull();
    await sut.revoke(user, created.item.id);
    expect(await sut.authenticate(created.token)).toBeNull();
  });

  it("refuses a blocked user's token and another user's revoke", async () => {
    const { database, services } = await build();
    const user = await createUser(database.db);
    const other = await createUser(database.db);
    const sut = services.tokens;
    const created = await sut.create(user, {});
    expect(created.item.name).toBe("API token");
    await expect(sut.revoke(other, created.item.id)).rejects.toThrow("Token not found");
    await database.db.updateTable("users").set({ blocked_at: new Date().toISOString() }).execute();
    expect(await sut.authenticate(created.token)).toBeNull();
  });

  it("names the bad field", async () => {
    const { database, services } = await build();
    const user = await createUser(database.db);
    await expect(services.tokens.create(user, { name: "a\nb" })).rejects.toMatchObject({
      fieldErrors: { name: "Name must be a single line." },
    });
  });
});

describe("API tokens on the profile page", () => {
  it("creates a token, shows it once, lists it by name and revokes it", async () => {
    const { app, services } = await build();
    const admin = await setupAdmin(app);
    const created = await admin.post("/profile/tokens", { name: "CRM sync" }, { from: "/profile" });
    expect(created.statusCode).toBe(200);
    const token = newToken(created.body);
    expect(token).toMatch(/^pp_/);
    const profile = await admin.get("/profile");
    expect(profile.body).toContain("CRM sync");
    expect(profile.body).not.toContain(token);
    expect(await services.tokens.authenticate(token!)).not.toBeNull();

    const id = /name="id" value="(\d+)"/.exec(profile.body)?.[1];
    const intruder = await registerUser(app, "intruder@example.com");
    const stolen = await intruder.post("/profile/tokens/revoke", { id: id! }, { from: "/profile" });
    expect(stolen.statusCode).toBe(404);
    const revoked = await admin.post("/profile/tokens/revoke", { id: id! }, { from: "/profile" });
    expect(revoked.statusCode).toBe(303);
    expect((await admin.get("/profile")).body).not.toContain("CRM sync");
    expect(await services.tokens.authenticate(token!)).toBeNull();
  });

  it("refuses a token form without the CSRF token and shows a bad name", async () => {
    const { app } = await build();
    const admin = await setupAdmin(app);
    expect((await admin.post("/profile/tokens", { name: "x" }, { csrf: false })).statusCode).toBe(403);
    const bad = await admin.post("/profile/tokens", { name: "x".repeat(101) }, { from: "/profile" });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain("Name must be at most 100 characters.");
  });
});
