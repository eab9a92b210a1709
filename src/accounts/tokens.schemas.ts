/** Input schema for personal API tokens, shared by the profile page and the CLI. */
import { z } from "zod";
import { singleLine } from "../shared/fields.js";

export const TOKEN_NAME_MAX = 100;

export const tokenSchema = z.object({
  name: z.preprocess(
    (v) => (v === undefined || v === null || (typeof v === "string" && v.trim() === "") ? "API token" : v),
    singleLine("Name", TOKEN_NAME_MAX),
  ),
});

export type TokenInput = z.output<typeof tokenSchema>;
