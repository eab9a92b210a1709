/** Input schemas for the emailed-link flows: resend confirmation, forgotten password, new password. */
import { z } from "zod";
import { email, password } from "../shared/fields.js";

export const emailOnlySchema = z.object({ email: email() });

export const resetPasswordSchema = z
  .object({
    token: z.string({ error: "The link is not valid." }).max(200),
    password: password("New password"),
    password_confirm: z.string({ error: "Repeat the new password." }),
  })
  .refine((v) => v.password === v.password_confirm, {
    message: "The two passwords do not match.",
    path: ["password_confirm"],
  });

export type ResetPasswordInput = z.output<typeof resetPasswordSchema>;
