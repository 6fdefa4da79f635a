// A copy button for a read-only link field; without JavaScript the field is there to select.
for (const button of document.querySelectorAll("button[data-copy]")) {
  const field = document.getElementById(button.dataset.copy);
  const out = document.getElementById("copy-out");
  button.hidden = false;
  button.addEventListener("click", async () => {
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
      if (out) out.textContent = out.dataset.done;
    } catch {
      if (out) out.textContent = out.dataset.failed;
    }
  });
}
