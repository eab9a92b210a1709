/** Input schemas of two-factor sign-in: a 6-digit code from the app, or a recovery code. */
import { z } from "zod";
import { LIMITS } from "../shared/fields.js";

/** Spaces and dashes as people type them ("123 456", "abcd-efgh-ij") are ignored. */
export const secondFactorSchema = z.object({
  code: z
    .string({ error: "Enter the code from your app, or a recovery code." })
    .transform((v) => v.replace(/[\s-]/g, "").toLowerCase())
    .refine(
      (v) => /^(\d{6}|[a-z0-9]{10})$/.test(v),
      "Enter the 6-digit code from your app, or a recovery code.",
    ),
});

export const enableSchema = z.object({
  code: z
    .string({ error: "Enter the 6-digit code from your app." })
    .transform((v) => v.replace(/\s/g, ""))
    .refine((v) => /^\d{6}$/.test(v), "Enter the 6-digit code from your app."),
});

export const disableSchema = z.object({
  password: z
    .string({ error: "Enter your password." })
    .min(1, "Enter your password.")
    .max(LIMITS.password.max),
});
