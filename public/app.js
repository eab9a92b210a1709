// PostPilot's small enhancements. Every page works without this file.
document.addEventListener("click", (event) => {
  // "Select all on this page" checkboxes in the mailing recipient picker.
  const toggle = event.target.closest("[data-check-all]");
  if (!toggle) return;
  const scope = document.querySelector(toggle.getAttribute("data-check-all"));
  if (!scope) return;
  for (const box of scope.querySelectorAll('input[type="checkbox"]')) box.checked = toggle.checked;
});

// The new-mailing form: the recipient search box only applies to "Those whose email or name contains".
function syncRecipientSearch() {
  const search = document.getElementById("f-recipient_q");
  const matching = document.getElementById("f-recipient_mode-matching");
  if (search && matching) search.disabled = !matching.checked;
}
document.addEventListener("change", (event) => {
  if (event.target.name === "recipient_mode") syncRecipientSearch();
});
document.addEventListener("DOMContentLoaded", syncRecipientSearch);
// Hints that name the zone a time is in ("In Europe/Berlin") follow the form's Time zone field.
document.addEventListener("change", (event) => {
  if (event.target.name !== "time_zone") return;
  for (const label of document.querySelectorAll("[data-zone-label]")) label.textContent = event.target.value;
});

// Bar widths come from data-width (percent): the CSP allows no inline styles.
function applyWidths(root) {
  for (const bar of root.querySelectorAll("[data-width]")) bar.style.width = `${bar.getAttribute("data-width")}%`;
}
document.addEventListener("DOMContentLoaded", () => applyWidths(document));

// Live progress of runs that are still sending: poll their JSON until done, then reload the page once.
// On the run page (data-live-rows) the poll names the delivery rows on screen and redraws their status,
// tries, reply and sent time, the status tabs' counts and the run's badge; everything is set as text.
// The ETA comes from the current rate: what was finished over the last half minute of polls.
// The words come from the page (data-eta-words, in its language), with "{{name}}" for what varies.
const ETA_WORDS = {
  stalled: " · no progress in the last few seconds",
  left: " · {{rate}}/s, about {{left}} left",
  seconds: "{{n}} s",
  minutes: "{{n}} min",
  hours: "{{n}} h",
};
function etaWords(box) {
  try {
    return { ...ETA_WORDS, ...JSON.parse(box.getAttribute("data-eta-words") ?? "{}") };
  } catch {
    return ETA_WORDS;
  }
}
const fill = (template, values) => template.replace(/\{\{(\w+)\}\}/g, (_m, name) => String(values[name] ?? ""));
function etaText(samples, remaining, words = ETA_WORDS) {
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (!first || last.t - first.t < 2500) return "";
  const perSecond = (last.done - first.done) / ((last.t - first.t) / 1000);
  if (perSecond <= 0) return remaining > 0 ? words.stalled : "";
  const seconds = Math.round(remaining / perSecond);
  const lang = document.documentElement.lang || "en";
  const number = (n, digits) => n.toLocaleString(lang, { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const rate = perSecond >= 10 ? number(Math.round(perSecond), 0) : number(perSecond, 1);
  const left =
    seconds < 60
      ? fill(words.seconds, { n: seconds })
      : seconds < 5400
        ? fill(words.minutes, { n: Math.round(seconds / 60) })
        : fill(words.hours, { n: number(seconds / 3600, 1) });
  return fill(words.left, { rate, left });
}
function liveRowIds() {
  return [...document.querySelectorAll("tr[data-delivery-id]")]
    .map((row) => row.getAttribute("data-delivery-id"))
    .slice(0, 100);
}
function redrawRow(row) {
  const tr = document.querySelector(`tr[data-delivery-id="${row.id}"]`);
  if (!tr) return;
  const status = tr.querySelector('[data-live="status"]');
  const word = row.label ?? row.status;
  if (status && status.textContent !== word) {
    status.textContent = word;
    status.className = `badge ${row.badge}`;
  }
  const tries = tr.querySelector('[data-live="tries"]');
  if (tries) tries.textContent = String(row.tries);
  const reply = tr.querySelector('[data-live="reply"]');
  if (reply && row.reply !== null && reply.getAttribute("data-reply") !== row.reply) {
    reply.setAttribute("data-reply", row.reply);
    reply.textContent = row.reply;
  }
  const sent = tr.querySelector('[data-live="sent"]');
  if (sent && row.sent !== null && sent.textContent !== row.sent) {
    sent.textContent = row.sent;
    sent.classList.remove("d-none", "d-md-table-cell");
    sent.setAttribute("data-label", tr.closest("table")?.getAttribute("data-sent-label") ?? "Sent");
  }
}
function redrawRun(box, progress) {
  for (const tab of document.querySelectorAll("[data-tab-count]")) {
    const name = tab.getAttribute("data-tab-count");
    const n = progress[name];
    if (typeof n === "number") tab.textContent = String(n);
  }
  for (const row of progress.rows ?? []) redrawRow(row);
  const badge = box.closest("tr, .card")?.querySelector("[data-run-badge] .badge");
  if (badge && progress.outcome_label && badge.textContent !== progress.outcome_label) {
    badge.textContent = progress.outcome_label;
    badge.className = `badge ${progress.badge}`;
  }
}
function pollProgress(box) {
  const base = box.getAttribute("data-progress-url");
  const ids = box.hasAttribute("data-live-rows") ? liveRowIds() : [];
  const url = ids.length > 0 ? `${base}?ids=${ids.join(",")}` : base;
  const samples = [];
  const words = etaWords(box);
  const tick = async () => {
    let progress;
    try {
      const response = await fetch(url, { headers: { accept: "application/json" } });
      if (!response.ok) return;
      progress = await response.json();
    } catch {
      return setTimeout(tick, 5000);
    }
    const pct = (n) => (progress.total === 0 ? 0 : Math.round((n / progress.total) * 100));
    for (const name of ["sent", "failed", "suppressed"]) {
      const bar = box.querySelector(`[data-bar="${name}"]`);
      if (bar) bar.style.width = `${pct(progress[name])}%`;
      const count = box.querySelector(`[data-count="${name}"]`);
      if (count) count.textContent = String(progress[name]);
    }
    const pending = box.querySelector('[data-count="pending"]');
    if (pending) pending.textContent = String(progress.pending + progress.sending);
    const now = Date.now();
    samples.push({ t: now, done: progress.sent + progress.failed + progress.suppressed + (progress.cancelled ?? 0) });
    while (samples.length > 2 && now - samples[0].t > 30000) samples.shift();
    const eta = box.querySelector("[data-eta]");
    if (eta) eta.textContent = etaText(samples, progress.pending + progress.sending, words);
    const bar = box.querySelector('[role="progressbar"]');
    if (bar) bar.setAttribute("aria-valuenow", String(pct(samples[samples.length - 1].done)));
    redrawRun(box, progress);
    // Done, or the deliveries of a run that was being prepared are all in (its rows can be shown): reload once.
    if (progress.done || (box.hasAttribute("data-preparing") && !progress.preparing)) window.location.reload();
    else setTimeout(tick, 1500);
  };
  // A fast run (the local outbox writes thousands a second) is caught moving by a first look soon after load.
  setTimeout(tick, 300);
}
document.addEventListener("DOMContentLoaded", () => {
  for (const box of document.querySelectorAll("[data-progress-url]")) pollProgress(box);
});

// Recipient import: the upload is imported while it streams in, so the form's page stays up until it is
// done; meanwhile show the import's progress (polled by the form's key). The result page of an import
// that is still running polls the same way and reloads when it is done.
function pollImport(box, reloadWhenDone) {
  const url = box.getAttribute("data-import-progress");
  const tick = async () => {
    let progress;
    try {
      const response = await fetch(url, { headers: { accept: "application/json" } });
      if (!response.ok) return;
      progress = await response.json();
    } catch {
      return setTimeout(tick, 3000);
    }
    if (progress.started) {
      for (const name of ["rows", "added", "updated", "skipped", "invalid"]) {
        const count = box.querySelector(`[data-count="${name}"]`);
        if (count) count.textContent = progress[name].toLocaleString(document.documentElement.lang || "en");
      }
      const bar = box.querySelector('[data-bar="read"]');
      if (bar && progress.percent !== null) bar.style.width = `${progress.percent}%`;
      if (progress.done) {
        if (reloadWhenDone) window.location.reload();
        return;
      }
    }
    setTimeout(tick, 1000);
  };
  setTimeout(tick, 500);
}
document.addEventListener("submit", (event) => {
  const form = event.target.closest("[data-import-form]");
  const box = document.getElementById("import-progress");
  if (!form || !box || !form.querySelector('input[type="file"]').value) return;
  box.hidden = false;
  for (const button of form.querySelectorAll('button[type="submit"]')) button.disabled = true;
  pollImport(box, false);
});
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("import-progress");
  if (box && !box.hidden && box.hasAttribute("data-import-progress")) pollImport(box, true);
});

// Layout form: the sandboxed preview follows what is typed (the Preview button posts the form into the
// preview frame), a moment after typing stops, and once the page (and the frame's first document) has
// loaded, for what the form holds.
window.addEventListener("load", () => {
  for (const form of document.querySelectorAll("form[data-live-preview]")) {
    const button = form.querySelector("[data-preview-button]");
    if (!button || typeof form.requestSubmit !== "function") continue;
    let timer;
    const refresh = () => form.requestSubmit(button);
    form.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(refresh, 700);
    });
    refresh();
  }
});

// Time-zone pickers: the search box (shown only with this script) narrows the grouped list to the zones
// whose name has every word typed ("new york", "kyiv"); the selected zone always stays.
function filterZones(search) {
  const select = document.getElementById(search.getAttribute("data-zone-search"));
  if (!select) return;
  const words = search.value.toLowerCase().replaceAll("_", " ").split(/\s+/).filter(Boolean);
  let first = null;
  for (const group of select.querySelectorAll("optgroup")) {
    let shown = 0;
    for (const option of group.querySelectorAll("option")) {
      const name = `${group.label} ${option.textContent}`.toLowerCase();
      const match = option.selected || words.every((w) => name.includes(w));
      option.hidden = !match;
      if (match) shown += 1;
      if (match && !option.selected && first === null) first = option;
    }
    group.hidden = shown === 0;
  }
  // Enter in the box picks the first match.
  search.firstMatch = first;
}
document.addEventListener("input", (event) => {
  if (event.target.matches?.("[data-zone-search]")) filterZones(event.target);
});
document.addEventListener("keydown", (event) => {
  const search = event.target.closest?.("[data-zone-search]");
  if (!search || event.key !== "Enter") return;
  event.preventDefault();
  if (!search.firstMatch) return;
  const select = document.getElementById(search.getAttribute("data-zone-search"));
  select.value = search.firstMatch.value;
  select.dispatchEvent(new Event("change", { bubbles: true }));
});
document.addEventListener("DOMContentLoaded", () => {
  for (const search of document.querySelectorAll("[data-zone-search]")) search.hidden = false;
});

// New accounts start in the browser's time zone (a hidden field on the setup and registration forms).
document.addEventListener("DOMContentLoaded", () => {
  for (const input of document.querySelectorAll("input[data-browser-zone]")) {
    if (!input.value) input.value = Intl.DateTimeFormat().resolvedOptions().timeZone ?? "";
  }
});
