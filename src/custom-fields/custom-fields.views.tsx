/** View pieces for custom fields: their inputs on the recipient and signup forms, and how a value reads. */
import type { CustomField } from "../db/schema.js";
import type { FormState } from "../web/components.js";
import { Field } from "../web/components.js";
import { type FieldValues, fieldInputName } from "./custom-fields.service.js";
import { FIELD_VALUE_MAX } from "./field-values.js";

const HELP: Record<CustomField["type"], string> = {
  text: "",
  number: "A number, like 42 or 3.5.",
  date: "A date.",
  yes_no: "",
};

/** One input per field, named field_<key>; a yes / no field is a select (yes, no, or not set). */
export function CustomFieldInputs({ form, fields }: { form: FormState; fields: CustomField[] }) {
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
                  Not set
                </option>
                <option value="yes" selected={current === "yes"}>
                  Yes
                </option>
                <option value="no" selected={current === "no"}>
                  No
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
            help={HELP[f.type] || undefined}
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

export function displayValue(value: string | number | boolean | undefined): string {
  if (value === undefined) return "—";
  if (typeof value === "boolean") return value ? "Yes" : "No";
  return String(value);
}
