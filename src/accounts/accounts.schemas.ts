/** Input schemas for accounts, shared by the HTML forms, the API and the CLI. */
import { z } from "zod";
import { LOCALES } from "../i18n/index.js";
import {
  canonicalTimeZone,
  email,
  isTimeZone,
  LIMITS,
  optionalSingleLine,
  password,
  timeZone,
} from "../shared/fields.js";

export const loginSchema = z.object({
  email: email(),
  password: z
    .string({ error: "Password is required." })
    .min(1, "Password is required.")
    .max(LIMITS.password.max),
});

export const registerSchema = z
  .object({
    email: email(),
    name: optionalSingleLine("Name", 100),
    password: password(),
    password_confirm: z.string().optional(),
    // The browser's zone, filled in by app.js (a hidden field): a hint, so anything else is UTC.
    time_zone: z
      .string()
      .optional()
      .transform((zone) => (zone && isTimeZone(zone.trim()) ? canonicalTimeZone(zone.trim()) : "UTC")),
  })
  .refine((v) => v.password_confirm === undefined || v.password === v.password_confirm, {
    message: "The two passwords do not match.",
    path: ["password_confirm"],
  });

export const profileSchema = z.object({
  name: optionalSingleLine("Name", 100),
  time_zone: timeZone(),
  /** The language of pages and account emails; "" or null: as the browser asks. Absent: unchanged. */
  locale: z.preprocess(
    (v) => (v === "" ? null : v),
    z
      .string({ error: "Choose a language from the list." })
      .refine((v) => LOCALES.includes(v), "Choose a language from the list.")
      .nullable()
      .optional(),
  ),
});

export const changePasswordSchema = z
  .object({
    current_password: z
      .string({ error: "Current password is required." })
      .min(1, "Current password is required."),
    new_password: password("New password"),
    new_password_confirm: z.string({ error: "Repeat the new password." }),
  })
  .refine((v) => v.new_password === v.new_password_confirm, {
    message: "The two passwords do not match.",
    path: ["new_password_confirm"],
  });

export const deleteAccountSchema = z.object({
  password: z.string({ error: "Enter your password to confirm." }).min(1, "Enter your password to confirm."),
});

export type LoginInput = z.output<typeof loginSchema>;
export type RegisterInput = z.output<typeof registerSchema>;
export type ProfileInput = z.output<typeof profileSchema>;
export type ChangePasswordInput = z.output<typeof changePasswordSchema>;
