/** Input schemas for user management and the audit log, shared by the admin pages, the API and the CLI. */
import { z } from "zod";
import type { AuditAction, Role } from "../db/schema.js";
import {
  email,
  LIMITS,
  optionalSingleLine,
  optionalText,
  pageNumber,
  password,
  timeZone,
} from "../shared/fields.js";
import { cursorFields } from "../shared/pagination.js";

export const ROLES = ["user", "manager", "admin"] as const satisfies readonly Role[];

export const createUserSchema = z.object({
  email: email(),
  name: optionalSingleLine("Name", 100),
  password: password(),
  role: z.enum(ROLES, { error: "Choose a role." }),
});

export const updateUserSchema = z.object({
  name: optionalSingleLine("Name", 100),
  time_zone: timeZone(),
  role: z.enum(ROLES, { error: "Choose a role." }),
});

export const AUDIT_ACTIONS = [
  "block",
  "unblock",
  "disable_mailing",
  "enable_mailing",
  "role_change",
  "create_user",
  "update_user",
  "delete_user",
  "remove_suppression",
  "create_sender",
  "update_sender",
  "delete_sender",
  "create_layout",
  "update_layout",
  "delete_layout",
  "clear_throttle",
] as const satisfies readonly AuditAction[];

/** Which account's login throttles to clear (the email as the throttle page shows it). */
export const clearThrottleSchema = z.object({ account: email("Account") });

export const auditQuery = z.object({
  action: z.enum([...AUDIT_ACTIONS, ""]).catch(""),
  q: optionalText("Search", LIMITS.search).catch(""),
  page: pageNumber,
  ...cursorFields,
});

export const userListQuery = z.object({
  q: optionalText("Search", LIMITS.search).catch(""),
  page: pageNumber,
});
