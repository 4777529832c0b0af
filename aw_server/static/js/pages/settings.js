// Category rules (the web UI's "classes" setting), start of day and week, theme.
import { categoryClasses, post, settings } from "../api.js";
import { esc } from "../util.js";
import { applyTheme, showError } from "../ui.js";

// A rule's other fields (`data`: its colour and score in the official web UI) ride along unedited.
const ruleRow = (c, i) => `<tr data-row="${i}" data-extra="${esc(JSON.stringify(c.data || null))}">
  <td><label><span class="show-narrow field-label">Category</span><input type="text" name="name" aria-label="Category" value="${esc(c.name.join(" > "))}" placeholder="Work > Programming"></label></td>
  <td><label><span class="show-narrow field-label">Regex</span><input type="text" name="regex" aria-label="Regex" value="${esc(c.rule.regex || "")}" placeholder="GitHub|vim"></label></td>
  <td><label><input type="checkbox" name="ignore_case" aria-label="Ignore case" ${c.rule.ignore_case ? "checked" : ""}><span class="show-narrow"> ignore case</span></label></td>
  <td><button type="button" data-remove aria-label="Remove rule">Remove</button></td></tr>`;

export async function render(root) {
  const prefs = await settings();
  const classes = await categoryClasses(prefs);
  root.innerHTML = `<h1>Settings</h1>
    <form data-testid="settings-form">
      <section class="panel"><h2>Categories</h2>
        <p class="muted">A window belongs to the deepest category whose regex matches its app or title. Shared with the official web UI.</p>
        <table class="rules"><thead><tr><th>category (use &gt; for subcategories)</th><th>regex</th><th>ignore case</th><th></th></tr></thead>
          <tbody>${classes.map(ruleRow).join("")}</tbody></table>
        <button type="button" data-add>Add rule</button>
      </section>
      <section class="panel" style="margin-top:14px"><h2>Days and weeks</h2>
        <div class="controls">
          <label>Start of day <input type="time" name="startOfDay" value="${esc(prefs.startOfDay)}"></label>
          <label>Start of week <select name="startOfWeek">${["Monday", "Sunday"].map((d) => `<option ${d === prefs.startOfWeek ? "selected" : ""}>${d}</option>`).join("")}</select></label>
        </div></section>
      <section class="panel" style="margin-top:14px"><h2>Theme</h2>
        <label>Theme <select name="theme">${[["system", "Follow the system"], ["light", "Light"], ["dark", "Dark"]].map(([v, l]) => `<option value="${v}" ${v === prefs.theme ? "selected" : ""}>${l}</option>`).join("")}</select></label>
      </section>
      <div class="controls" style="margin-top:14px"><button class="primary" type="submit">Save</button><span role="status" data-testid="saved"></span></div>
    </form>`;
  const form = root.querySelector("form");
  const tbody = form.querySelector("tbody");
  form.querySelector("[data-add]").addEventListener("click", () => {
    tbody.insertAdjacentHTML("beforeend", ruleRow({ name: [""], rule: { regex: "" } }, tbody.children.length));
    tbody.lastElementChild.querySelector("input").focus();
  });
  tbody.addEventListener("click", (e) => { if (e.target.closest("[data-remove]")) e.target.closest("tr").remove(); });
  form.theme.addEventListener("change", () => applyTheme(form.theme.value));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = form.querySelector("[data-testid=saved]");
    const rows = [...tbody.querySelectorAll("tr")];
    const newClasses = rows.map((row, i) => ({
      id: i + 1,
      name: row.querySelector("[name=name]").value.split(">").map((s) => s.trim()).filter(Boolean),
      rule: { type: "regex", regex: row.querySelector("[name=regex]").value, ignore_case: row.querySelector("[name=ignore_case]").checked },
      ...(JSON.parse(row.dataset.extra || "null") ? { data: JSON.parse(row.dataset.extra) } : {}),
    })).filter((c) => c.name.length);
    for (const c of newClasses) {
      try { new RegExp(c.rule.regex.replace(/\(\?i\)/g, "")); } catch (error) {
        status.textContent = "";
        showError(new Error(`The regex of "${c.name.join(" > ")}" is invalid: ${error.message}`));
        return;
      }
    }
    try {
      await post("settings/classes", newClasses);
      await post("settings/startOfDay", form.startOfDay.value || "00:00");
      await post("settings/startOfWeek", form.startOfWeek.value);
      await post("settings/theme", form.theme.value);
      applyTheme(form.theme.value);
      status.textContent = "Saved.";
      status.className = "ok";
    } catch (error) {
      showError(error);
    }
  });
  return null;
}
