//! Finds elements by ARIA role and accessible name, computed in the page the way assistive
//! technologies do (a subset of WAI-ARIA 1.2 implicit roles and the accessible name algorithm,
//! enough for the controls Estafette uses; Playwright's `getByRole` follows the same rules).

/// Returns the visible elements with role `arguments[0]` whose accessible name equals
/// `arguments[1]` (or contains it when `arguments[2]` is true).
pub const FIND_BY_ROLE: &str = r#"
const [wantedRole, wantedName, partial] = arguments;
// The UI isolates other people's names (U+2068 … U+2069); screen readers do not voice them.
const normalise = (text) => (text || "").replace(/[\u2066-\u2069]/g, "").replace(/\s+/g, " ").trim();

function implicitRole(el) {
  const tag = el.localName;
  const type = (el.getAttribute("type") || "text").toLowerCase();
  switch (tag) {
    case "button": return "button";
    case "a": return el.hasAttribute("href") ? "link" : null;
    case "input":
      if (["submit", "button", "reset", "image"].includes(type)) return "button";
      if (type === "checkbox") return "checkbox";
      if (type === "radio") return "radio";
      if (type === "search") return "searchbox";
      if (["text", "email", "url", "tel", "password", "number"].includes(type)) return "textbox";
      return null;
    case "textarea": return "textbox";
    case "select": return "combobox";
    case "option": return "option";
    case "h1": case "h2": case "h3": case "h4": case "h5": case "h6": return "heading";
    case "dialog": return "dialog";
    case "nav": return "navigation";
    case "main": return "main";
    case "form": return "form";
    case "ul": case "ol": return "list";
    case "li": return "listitem";
    case "article": return "article";
    case "img": return el.getAttribute("alt") === "" ? "presentation" : "img";
    case "section": return el.hasAttribute("aria-label") || el.hasAttribute("aria-labelledby") ? "region" : null;
    case "aside": return "complementary";
    case "fieldset": return "group";
    default: return null;
  }
}

const role = (el) => el.getAttribute("role") || implicitRole(el);

function hidden(el) {
  for (let node = el; node; node = node.parentElement) {
    if (node.getAttribute("aria-hidden") === "true") return true;
    const style = getComputedStyle(node);
    if (style.display === "none" || style.visibility === "hidden") return true;
  }
  return false;
}

function textOf(node) {
  if (node.nodeType === Node.TEXT_NODE) return node.data;
  if (node.nodeType !== Node.ELEMENT_NODE) return "";
  if (node.getAttribute("aria-hidden") === "true") return "";
  const style = getComputedStyle(node);
  if (style.display === "none" || style.visibility === "hidden") return "";
  if (node.hasAttribute("aria-label")) return " " + node.getAttribute("aria-label") + " ";
  if (node.localName === "img") return node.getAttribute("alt") || "";
  if (["input", "textarea", "select"].includes(node.localName)) return "";
  return [...node.childNodes].map(textOf).join("");
}

const NAME_FROM_CONTENT = new Set(["button", "link", "heading", "option", "tab", "menuitem", "menuitemradio", "menuitemcheckbox", "checkbox", "radio", "listitem", "cell", "status", "alert"]);

function accessibleName(el) {
  const labelledBy = el.getAttribute("aria-labelledby");
  if (labelledBy) {
    return normalise(labelledBy.split(/\s+/).map((id) => {
      const target = document.getElementById(id);
      return target ? textOf(target) : "";
    }).join(" "));
  }
  const label = el.getAttribute("aria-label");
  if (label && normalise(label)) return normalise(label);
  if (el.localName === "fieldset") {
    const legend = [...el.children].find((child) => child.localName === "legend");
    if (legend) return normalise(textOf(legend));
  }
  if (["input", "textarea", "select"].includes(el.localName)) {
    const labels = el.labels ? [...el.labels] : [];
    if (labels.length) return normalise(labels.map(textOf).join(" "));
    return normalise(el.getAttribute("title") || el.getAttribute("placeholder") || "");
  }
  if (NAME_FROM_CONTENT.has(role(el))) {
    const text = normalise(textOf(el));
    if (text) return text;
  }
  return normalise(el.getAttribute("title") || "");
}

return [...document.querySelectorAll("*")].filter((el) => {
  if (role(el) !== wantedRole || hidden(el)) return false;
  const name = accessibleName(el);
  return partial ? name.includes(wantedName) : name === wantedName;
});
"#;

/// Every named control and its name, for failure messages ("what was on screen").
pub const DESCRIBE_CONTROLS: &str = r#"
return [...document.querySelectorAll("button, a[href], input, textarea, [role], h1, h2, h3")]
  .slice(0, 80)
  .map((el) => `${el.getAttribute("role") || el.localName}: ${(el.getAttribute("aria-label") || el.textContent || el.getAttribute("placeholder") || "").replace(/\s+/g, " ").trim().slice(0, 60)}`)
  .join("\n");
"#;
