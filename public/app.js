// PostPilot's small enhancements. Every page works without this file.
document.addEventListener("click", (event) => {
  // "Select all on this page" checkboxes in the mailing recipient picker.
  const toggle = event.target.closest("[data-check-all]");
  if (!toggle) return;
  const scope = document.querySelector(toggle.getAttribute("data-check-all"));
  if (!scope) return;
  for (const box of scope.querySelectorAll('input[type="checkbox"]')) box.checked = toggle.checked;
});
