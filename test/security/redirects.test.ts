import { describe, expect, it } from "vitest";
import { hasControlCharacter } from "../../src/shared/fields.js";
import { safeNext } from "../../src/web/context.js";
import { signIn } from "../helpers/sign-in.js";
import { build, Client, PASSWORD } from "../helpers/web.js";
import { OPEN_REDIRECT_PAYLOADS } from "./open-redirect.payloads.js";

/** Where a browser would go from this Location, seen from the site at http://localhost. */
const landsOn = (location: string) => new URL(location, "http://localhost");

describe("safeNext", () => {
  it("sends every known open-redirect payload home", () => {
    for (const payload of OPEN_REDIRECT_PAYLOADS) {
      const next = safeNext(payload);
      expect(landsOn(next).origin, JSON.stringify(payload)).toBe("http://localhost");
      expect(hasControlCharacter(next) || /[\s\\]|^\/\//.test(next), JSON.stringify(payload)).toBe(false);
    }
    expect(safeNext("/%09/evil.example/x")).toBe("/%09/evil.example/x"); // a path on our site, encoded
    expect(safeNext("/\t/evil.example/x")).toBe("/");
  });

  it("keeps a path on the site, with its query and fragment", () => {
    expect(safeNext("/recipients?q=ann&page=2#list")).toBe("/recipients?q=ann&page=2#list");
    expect(safeNext("/mailings/3")).toBe("/mailings/3");
    expect(safeNext(undefined)).toBe("/");
    expect(safeNext(["/a", "/b"])).toBe("/");
  });
});

describe("the login redirect", () => {
  it("never leaves the site nor answers 500, signed in or just logged in (findings 1 and 2)", async () => {
    const { app, database } = await build();
    const signedIn = await signIn(app, database, "owner@example.com", "admin");
    const anon = new Client(app);
    const raw = [
      ...OPEN_REDIRECT_PAYLOADS.map((p) => encodeURIComponent(p)),
      "/%09/evil.example/x",
      "%2F%09%2Fevil.example%2Fx",
      "/%0a",
      "/%0d",
      "/%00",
      "/%0b",
      "/%1f",
      "/%E2%80%A8",
      "/x%0d%0aSet-Cookie:%20a=b",
    ];
    for (const query of raw) {
      const url = `/login?next=${query}`;
      const already = await signedIn.get(url);
      expect(already.statusCode, url).toBe(303);
      expect(landsOn(already.headers.location as string).origin, url).toBe("http://localhost");
      expect(already.headers.location, url).not.toMatch(/^\/\/|\\/);

      expect((await anon.get(url)).statusCode, url).toBe(200);
    }
    // Logging in through the form (fewer: the login form is rate limited per address).
    for (const query of ["/%09/evil.example/x", "/%0a", "/%00", "/%E2%80%A8", "%2F%5Cevil.example"]) {
      const url = `/login?next=${query}`;
      const login = await anon.post(url, { email: "owner@example.com", password: PASSWORD }, { from: url });
      expect(login.statusCode, url).toBe(303);
      expect(landsOn(login.headers.location as string).origin, url).toBe("http://localhost");
      expect(login.headers.location, url).not.toMatch(/^\/\/|\\/);
      await anon.post("/logout", {}, { from: "/" });
    }
  });
});
