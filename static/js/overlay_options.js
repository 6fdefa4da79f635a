// The panel's overlay section: each change of an option previews at once (the form works
// without this, with its button), and the preview's link gets a copy button.
const form = document.getElementById("overlay-form");
if (form) form.addEventListener("change", () => form.requestSubmit());

const copy = document.getElementById("overlay-copy");
const link = document.getElementById("overlay-link");
if (copy && link && navigator.clipboard) {
  copy.hidden = false;
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(link.value);
      copy.textContent = copy.dataset.copied;
    } catch { link.select(); }
  });
}
