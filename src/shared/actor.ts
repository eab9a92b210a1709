/** The user on whose behalf a repository or service call runs. Every query over user data takes one. */
import type { Role } from "../db/schema.js";

export interface Actor {
  id: number;
  role: Role;
}
