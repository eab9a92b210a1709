/** View pieces for custom fields: their inputs on the recipient and signup forms, and how a value reads. */
import type { CustomField } from "../db/schema.js";
import type { Translate } from "../i18n/index.js";
import type { FormState } from "../web/components.js";
import { Field } from "../web/components.js";
import { useI18n } from "../web/i18n.js";
import { type FieldValues, fieldInputName } from "./custom-fields.service.js";
import { FIELD_VALUE_MAX } from "./field-values.js";

/** The help under an input, as a key (text and yes / no need none). */
const HELP: Record<CustomField["type"], string> = {
  text: "",
  number: "fields.help.number",
  date: "fields.help.date",
  yes_no: "",
};

/** One input per field, named field_<key>; a yes / no field is a select (yes, no, or not set). */
export function CustomFieldInputs({ form, fields }: { form: FormState; fields: CustomField[] }) {
  const { t } = useI18n();
  return (
    <>
      {fields.map((f) => {
        const name = fieldInputName(f.key);
        if (f.type === "yes_no") {
          const current = form.values[name] ?? "";
          const error = form.errors[name];
          return (
            <div class="mb-3">
              <label class="form-label" for={`f-${name}`}>
                {f.label}
              </label>
              <select id={`f-${name}`} name={name} class={`form-select${error ? " is-invalid" : ""}`}>
                <option value="" selected={current === ""}>
                  {t("fields.notSet")}
                </option>
                <option value="yes" selected={current === "yes"}>
                  {t("fields.yes")}
                </option>
                <option value="no" selected={current === "no"}>
                  {t("fields.no")}
                </option>
              </select>
              {error && <div class="invalid-feedback">{error}</div>}
            </div>
          );
        }
        return (
          <Field
            form={form}
            name={name}
            label={f.label}
            type={f.type === "date" ? "date" : "text"}
            maxLength={FIELD_VALUE_MAX}
            help={HELP[f.type] ? t(HELP[f.type]) : undefined}
          />
        );
      })}
    </>
  );
}

/** A recipient's values as form values (field_<key>: text). */
export function fieldFormValues(values: FieldValues): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    out[fieldInputName(key)] = typeof value === "boolean" ? (value ? "yes" : "no") : String(value);
  }
  return out;
}

/** A value as a page shows it; `t` gives yes / no in the reader's language (English without it). */
export function displayValue(value: string | number | boolean | undefined, t?: Translate): string {
  if (value === undefined) return "—";
  if (typeof value === "boolean") return t ? t(value ? "fields.yes" : "fields.no") : value ? "Yes" : "No";
  return String(value);
}
