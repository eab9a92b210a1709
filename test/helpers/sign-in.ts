/** A confirmed account of any role, created directly and logged in through /login (no registration mail). */
import { hashPassword } from "../../src/accounts/password.js";
import type { Database } from "../../src/db/database.js";
import type { Role } from "../../src/db/schema.js";
import { createUser } from "./fixtures.js";
import { Client, PASSWORD } from "./web.js";

export async function signIn(
  app: ConstructorParameters<typeof Client>[0],
  database: Database,
  email: string,
  role: Role = "user",
): Promise<Client> {
  await createUser(database.db, { email, role, password_hash: await hashPassword(PASSWORD) });
  const client = new Client(app);
  const res = await client.post("/login", { email, password: PASSWORD });
  if (res.statusCode !== 303) throw new Error(`login failed: ${res.statusCode}\n${res.body.slice(0, 300)}`);
  return client;
}
