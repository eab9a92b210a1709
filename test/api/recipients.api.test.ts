import { describe, expect, it } from "vitest";
import { buildApi } from "./support.js";

describe("API: recipients", () => {
  it("creates, gets, lists with search and paging, patches and deletes a recipient", async () => {
    const { api } = await buildApi();
    const created = await api.call("POST", "/recipients", { email: " Ann@Example.com ", full_name: "Ann" });
    expect(created.statusCode).toBe(201);
    const ann = created.json();
    expect(ann).toMatchObject({ email: "Ann@Example.com", full_name: "Ann", comment: "" });
    expect(ann).not.toHaveProperty("owner_id");
    expect((await api.call("GET", `/recipients/${ann.id}`)).json()).toEqual(ann);

    for (const n of [1, 2, 3]) await api.call("POST", "/recipients", { email: `bo${n}@example.com` });
    const page = await api.call("GET", "/recipients?q=bo&limit=2&page=2&sort=email&dir=asc");
    expect(page.statusCode).toBe(200);
    expect(page.json()).toMatchObject({ total: 3, page: 2, limit: 2, pages: 2 });
    expect(page.json().items.map((r: { email: string }) => r.email)).toEqual(["bo3@example.com"]);

    const patched = await api.call("PATCH", `/recipients/${ann.id}`, { comment: "Met at the fair" });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({
      email: "Ann@Example.com",
      full_name: "Ann",
      comment: "Met at the fair",
    });

    expect((await api.call("DELETE", `/recipients/${ann.id}`)).statusCode).toBe(204);
    expect((await api.call("GET", `/recipients/${ann.id}`)).statusCode).toBe(404);
    expect((await api.call("DELETE", `/recipients/${ann.id}`)).statusCode).toBe(404);
  });

  it("answers a duplicate email with 409 naming the existing recipient, on create and on change", async () => {
    const { api } = await buildApi();
    const first = (await api.call("POST", "/recipients", { email: "ann@example.com" })).json();
    const dup = await api.call("POST", "/recipients", { email: "  ANN@example.com" });
    expect(dup.statusCode).toBe(409);
    expect(dup.json()).toMatchObject({
      status: 409,
      title: "Conflict",
      existing_id: first.id,
      instance: "/api/v1/recipients",
    });
    const other = (await api.call("POST", "/recipients", { email: "bo@example.com" })).json();
    const change = await api.call("PATCH", `/recipients/${other.id}`, { email: "Ann@Example.com" });
    expect(change.statusCode).toBe(409);
    expect(change.json().existing_id).toBe(first.id);
  });

  it("answers invalid input with 422 and a field list, and changes nothing", async () => {
    const { api, database } = await buildApi();
    const bad = await api.call("POST", "/recipients", { email: "not an email", full_name: "x".repeat(201) });
    expect(bad.statusCode).toBe(422);
    expect(bad.headers["content-type"]).toContain("application/problem+json");
    expect(bad.json()).toMatchObject({
      type: "about:blank",
      title: "Unprocessable Entity",
      status: 422,
      errors: [
        { field: "email", message: "Enter a valid email address, like name@example.com." },
        { field: "full_name", message: "Full name must be at most 200 characters." },
      ],
    });
    expect((await api.call("POST", "/recipients", {})).json().errors).toEqual([
      { field: "email", message: "Email is required." },
    ]);
    const ann = (await api.call("POST", "/recipients", { email: "ann@example.com" })).json();
    expect((await api.call("PATCH", `/recipients/${ann.id}`, [1])).statusCode).toBe(422);
    expect((await api.call("PATCH", `/recipients/${ann.id}`, { email: "" })).statusCode).toBe(422);
    expect((await api.call("GET", "/recipients?limit=1000")).json().errors[0].field).toBe("limit");
    expect((await api.call("GET", "/recipients?sort=owner_id")).statusCode).toBe(422);
    for (const id of ["abc", "0", "-1", "1.5", "2147483648"]) {
      expect((await api.call("GET", `/recipients/${id}`)).statusCode, id).toBe(404);
    }
    expect(await database.db.selectFrom("recipients").select("email").execute()).toEqual([
      { email: "ann@example.com" },
    ]);
  });
});
