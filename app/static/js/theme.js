// How the page looks on a screen: the theme (auto follows the system's prefers-color-scheme,
// or light, or dark) and large type for projection, as two controls in #view-tools. Both are
// state keys, so a link can force them; the theme picked here is also kept in localStorage for
// pages opened without one. The colours themselves live in css/theme.css.
import { $on, el } from "./dom.js";
import { readTheme } from "./render/colors.js";

const STORE = "convscope.theme";
const THEMES = [["auto", "Auto (system)"], ["light", "Light"], ["dark", "Dark"]];
const systemDark = matchMedia("(prefers-color-scheme: dark)");

function stored() {
  try {
    return localStorage.getItem(STORE);
  } catch {
    return null; // storage refused (private mode, sandboxed frame): the system decides
  }
}

function store(theme) {
  try {
    localStorage.setItem(STORE, theme);
  } catch {
    // not remembered, still applied
  }
}

/**
 * The theme and large-type controls, appended to `toolbar`. A change goes through
 * `commit(changes)`; `redraw()` repaints the canvases when the theme or type size they drew
 * with has changed. Returns {initial(state), apply(state)}: `initial` gives a state that names
 * no theme the remembered one; `apply` shows `state`'s look.
 */
export function createLook(toolbar, { commit, redraw }) {
  const select = el("select");
  select.id = "theme-choice";
  for (const [value, text] of THEMES) {
    const option = el("option", "", text);
    option.value = value;
    select.append(option);
  }
  const themeLabel = el("label", "", "Theme");
  themeLabel.htmlFor = "theme-choice";
  const large = el("input");
  large.type = "checkbox";
  large.id = "large-type";
  const largeLabel = el("label", "inline");
  largeLabel.htmlFor = "large-type";
  largeLabel.append(large, " Large type");
  const choice = el("span", "inline");
  choice.append(themeLabel, select);
  const tools = el("span", "look-tools");
  tools.append(choice, largeLabel);
  toolbar.append(tools);

  let current = null;
  let shown = "";
  let drawn = "";
  $on(select, "change", () => {
    store(select.value);
    commit({ theme: select.value });
  });
  $on(large, "change", () => commit({ large: large.checked }));
  // the system switching to dark (e.g. at sunset) repaints a page that follows it
  $on(systemDark, "change", () => current && apply(current, true));

  // called on every commit (each frame while playing): it touches the page only on a change
  function apply(state, systemChanged = false) {
    current = state;
    const asked = `${state.theme} ${Boolean(state.large)}`;
    if (asked === shown && !systemChanged) return;
    shown = asked;
    const root = document.documentElement;
    if (state.theme === "auto") delete root.dataset.theme;
    else root.dataset.theme = state.theme;
    root.toggleAttribute("data-large", Boolean(state.large));
    select.value = state.theme;
    large.checked = Boolean(state.large);
    const effective = state.theme === "auto" ? (systemDark.matches ? "dark" : "light") : state.theme;
    root.dataset.look = effective;
    const look = `${effective} ${state.large ? "large" : "normal"}`;
    if (look === drawn) return;
    const first = drawn === "";
    drawn = look;
    readTheme();
    if (!first) redraw();
  }

  function initial(state) {
    const remembered = stored();
    const known = THEMES.some(([value]) => value === remembered);
    return state.theme === "auto" && known ? { ...state, theme: remembered } : state;
  }

  return { initial, apply };
}
