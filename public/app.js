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
