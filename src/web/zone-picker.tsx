/**
 * The time-zone picker: the zones by their current names (Asia/Kolkata, Europe/Kyiv), grouped by region in
 * <optgroup>s, with a search box that app.js uses to narrow the list (without script, the grouped select).
 */
import type { ComponentChildren } from "preact";
import { timeZones } from "../shared/fields.js";
import { currentZoneName, zoneGroups } from "../shared/time.js";
import { controlProps, FieldFrame, type FormState } from "./components.js";
import { useI18n } from "./i18n.js";

export function ZonePicker({
  form,
  name = "time_zone",
  label = "Time zone",
  required,
  help,
}: {
  form: FormState;
  name?: string;
  label?: string;
  required?: boolean;
  help?: ComponentChildren;
}) {
  const { t } = useI18n();
  const current = currentZoneName(form.values[name] ?? "");
  const selectId = `f-${name}`;
  return (
    <FieldFrame form={form} name={name} label={label} required={required} help={help}>
      <input
        type="search"
        class="form-control form-control-sm mb-1"
        placeholder={t("zonePicker.placeholder")}
        aria-label={t("zonePicker.search", { label: label.toLowerCase() })}
        aria-controls={selectId}
        data-zone-search={selectId}
        hidden
      />
      <select {...controlProps(form, name, "form-select", help)} required={required}>
        {zoneGroups(timeZones()).map((group) => (
          <optgroup label={group.region}>
            {group.zones.map((zone) => (
              <option value={zone} selected={zone === current}>
                {zone.replaceAll("_", " ")}
              </option>
            ))}
          </optgroup>
        ))}
      </select>
    </FieldFrame>
  );
}
