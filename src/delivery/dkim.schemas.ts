/** The DKIM domain and selector as typed by people: one schema for the config (DKIM_*) and `dkim-keygen`. */
import { z } from "zod";

const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";

export const dkimDomainSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(new RegExp(`^${LABEL}(?:\\.${LABEL})+$`), "must be a domain name such as example.com");

/** A selector may have dots (it becomes <selector>._domainkey.<domain>); it also names the key file. */
export const dkimSelectorSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(new RegExp(`^${LABEL}(?:\\.${LABEL})*$`), "must be letters, digits and hyphens, such as mail2026");

/** `postpilot dkim-keygen --domain D --selector S`. */
export const dkimKeygenSchema = z.object({ domain: dkimDomainSchema, selector: dkimSelectorSchema });
