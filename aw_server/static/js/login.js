// The form that asks for an API key when the server answers 401: the server requires a key
// (`--auth required`), or this browser is not on the server's own machine.
import { checkKey, forgetKey, storedKey, storeKey } from "./api.js";
import { esc } from "./util.js";
import { keyChanged } from "./ui.js";

const HEADINGS = {
  key_revoked: "This browser's API key has been revoked",
  key_expired: "This browser's API key has expired",
};

// Why the form is shown, in words: the server's own message says which key and what is wrong.
function reason(error) {
  if (!error) return ["Use another API key", "Enter the key this browser should send with every request."];
  if (HEADINGS[error.code]) return [HEADINGS[error.code], `The server says: ${error.message}. Enter another key.`];
  if (storedKey()) return ["The server does not accept this browser's API key", `The server says: ${error.message}. Enter another key.`];
  return ["This server needs an API key",
    "It requires a key for every request, or this browser is not on the server's own machine."];
}

// A candidate key the server refused, said plainly beside the field.
function refusal(error) {
  if (error.code === "key_revoked") return "This key has been revoked.";
  if (error.code === "key_expired") return "This key has expired.";
  if (error.needsKey) return "The server does not accept this key.";
  return error.message;
}

export function renderLogin(root, error) {
  const [heading, detail] = reason(error);
  root.innerHTML = `<h1 tabindex="-1">${esc(heading)}</h1>
    <section class="panel login" data-testid="login">
      <p>${esc(detail)}</p>
      <form data-testid="login-form" novalidate>
        <label for="api-key">API key</label>
        <div class="controls">
          <input id="api-key" name="key" type="password" autocomplete="off" spellcheck="false" required aria-describedby="login-error">
          <button class="primary" type="submit">Use this key</button>
        </div>
        <p id="login-error" class="field-error" data-testid="login-error" role="alert" hidden></p>
      </form>
      <p class="muted">An admin creates keys on the Access page, or on the server's machine with
        <code>aw-server keys create --name NAME --preset dashboard</code>. The key is kept in this browser
        (localStorage) and sent as <code>Authorization: Bearer …</code> until you forget it.</p>
      ${storedKey() ? `<button type="button" data-testid="forget-key">Forget the stored key</button>` : ""}
    </section>`;
  root.querySelector("h1").focus();
  const form = root.querySelector("form");
  const problem = root.querySelector("[data-testid=login-error]");
  const say = (text) => { problem.textContent = text; problem.hidden = !text; };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = form.key.value.trim();
    if (!key) { say("Enter a key."); form.key.focus(); return; }
    say("");
    try {
      await checkKey(key);
    } catch (failure) {
      say(refusal(failure));
      form.key.focus();
      return;
    }
    storeKey(key);
    keyChanged();
  });
  const forget = root.querySelector("[data-testid=forget-key]");
  if (forget) forget.addEventListener("click", () => { forgetKey(); keyChanged(); });
}
