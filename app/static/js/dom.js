// Tiny DOM helpers shared by every module.

/** The first element matching `selector` under `root` (document by default). */
export function qs(selector, root = document) {
  return root.querySelector(selector);
}

/** Every element matching `selector` under `root`, as an array. */
export function qsa(selector, root = document) {
  return Array.from(root.querySelectorAll(selector));
}

/** addEventListener that returns its own remover. */
export function $on(target, type, handler, options) {
  target.addEventListener(type, handler, options);
  return () => target.removeEventListener(type, handler, options);
}

/** An element with a class and optional text; text always goes in as textContent. */
export function el(tag, className = "", text = null) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== null) node.textContent = String(text);
  return node;
}

/** Remove every child of `node`. */
export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

/**
 * A number as people write it: whole numbers bare, others to 4 significant digits, in
 * decimals down to 0.0001 (AlexNet's bias 0.00084 read "8.40e-4" among its 0.0xxx's).
 */
export function fmt(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return "";
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000 || abs < 0.0001) return value.toExponential(2);
  return String(Number(value.toPrecision(4)));
}

/** Whether `text` reads back as `value`, as float64 or as the float32 the page's arrays hold. */
export const readsAs = (text, value) => Number(text) === value || Math.fround(Number(text)) === value;

/**
 * A number in full, for a screen reader where a cell does not show it (too small for its
 * digits, "#", a canvas): the fewest significant digits that read back as `value`, as
 * float64 or as the float32 the page's arrays hold (123456.5, 0.4216907). fmt's rounding
 * (1.23e+5) left a student checking the arithmetic by hand without the number.
 */
export function full(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return "";
  if (Number.isInteger(value)) return String(value);
  for (let digits = 1; digits < 17; digits += 1) {
    const text = String(Number(value.toPrecision(digits)));
    if (readsAs(text, value)) return text;
  }
  return String(value);
}

/**
 * `value` to `places` decimals as Python's format writes it: the double's exact value rounded
 * half to even. toFixed rounds a tie up (2.0625 to "2.063", where the server writes 2.062).
 */
function fixed(value, places) {
  const exact = value.toFixed(100); // every digit of the double, at the sizes written here
  const cut = exact.indexOf(".") + places + 1;
  const kept = exact.slice(0, cut);
  return /^50*$/.test(exact.slice(cut)) && Number(kept.at(-1)) % 2 === 0 ? kept : value.toFixed(places);
}

/**
 * An output-size formula's value as the server writes it at the end of an axis's
 * `arithmetic` (engine/geometry.py format_number): whole numbers bare, others to three
 * decimals (4.5, 1.667); where three would look whole, the first decimals that do not and one
 * more (2.00025, 1.00024), so the page's notes quote the formula bar's number.
 */
export function exactText(value) {
  if (value === null || value === undefined) return "?";
  if (Number.isInteger(value)) return String(value);
  const trimmed = (places) => fixed(value, places).replace(/0+$/, "");
  let places = 3;
  let text = trimmed(places);
  while (text.endsWith(".") && places < 15) {
    places += 1;
    text = trimmed(places);
  }
  if (text.endsWith(".")) return String(value); // closer to whole than a float tells apart
  return places === 3 ? text : trimmed(places + 1);
}

/** "= 4.5", or "≈ 2.333" where `exactText` rounds (7/3), as the server's arithmetic says. */
export function equalsText(value) {
  const text = exactText(value);
  return `${Number(text) === value || text === "?" ? "=" : "≈"} ${text}`;
}

/**
 * Thousands separators: 105705600 -> "105,705,600". A whole number past 2**53 has lost its
 * last digits by the time JSON.parse hands it over (and String() would write 1e21 and up in
 * exponent form): it is written to 4 significant digits after "≈ ", still with separators.
 */
export function thousands(value) {
  // a regular expression, not toLocaleString: this runs every frame while playing
  const group = (digits) => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  if (!Number.isFinite(value) || Number.isSafeInteger(value) || !Number.isInteger(value)) return group(String(value));
  const [mantissa, exponent] = Math.abs(value).toExponential(3).split("e");
  const digits = (BigInt(mantissa.replace(".", "")) * 10n ** BigInt(Number(exponent) - 3)).toString();
  return `≈ ${value < 0 ? "-" : ""}${group(digits)}`;
}

/** `n` and `noun`, plural unless `n` is 1, the count with thousands separators: "9
 * positions", "1 map", "1,022 whole windows". */
export const counted = (n, noun) => `${thousands(n)} ${noun}${n === 1 ? "" : "s"}`;

/**
 * A number short enough for a cell: whole numbers bare; a value up to four significant digits
 * write exactly (12.5, -5.25, 0.003, 150.5: what a reader types, and its products) in full,
 * as float64 or as the float32 the page's arrays hold, so a cell never says 13 where the
 * arithmetic says 12.5; others to 2 significant digits, below 0.01 one with an exponent
 * (7e-3), and from 100 rounded whole, however long: "-1e+4" for -12346.5 read as -10,000 (a
 * cell too narrow shows "#" and the value whole on hover, render/numbers.js).
 */
export function short(value) {
  if (Number.isInteger(value)) return String(value);
  for (let digits = 1; digits <= 4; digits += 1) {
    const text = String(Number(value.toPrecision(digits)));
    if (readsAs(text, value)) return text;
  }
  const abs = Math.abs(value);
  if (abs < 0.01) return value.toExponential(0); // a cell's room: a weight -0.0085 is -8e-3
  if (abs >= 100) return value.toFixed(0); // halves away from 0, as the arithmetic rounds
  return String(Number(value.toPrecision(2)));
}

/** Say `text` to screen readers (a polite live region of its own; nothing is shown). */
export function announce(text) {
  let region = document.getElementById("announce");
  if (!region) {
    region = el("p", "live");
    region.id = "announce";
    region.setAttribute("aria-live", "polite");
    document.body.append(region);
  }
  // words said by one handler join the first (the Go to box let go of a pin, "Unpinned:
  // ...", and its step, "Step 15,696", replaced it before a screen reader read it); the
  // next key's words replace them (a timer let two quick keys' pins run together)
  if (saying) {
    const said = region.textContent.trimEnd();
    // each its own sentence: "Unpinned: stepping follows the playhead Step 15" read as one
    region.textContent = /[.!?:]$/.test(said) ? `${said} ${text}` : `${said}. ${text}`;
    return;
  }
  saying = true;
  queueMicrotask(() => { saying = false; });
  // the same words twice (pin, unpin, pin) are read again only if the text changes
  region.textContent = region.textContent === text ? `${text}\u00a0` : text;
}

let saying = false; // announce() was called by the code running now

/** `text` cut to `most` characters and "…" (a hand-typed link's 8,000-character key ran off the
 * masthead). */
export const shortened = (text, most = 20) => (text.length > most ? `${text.slice(0, most)}…` : text);

/** The first `most` of `items` joined by commas, and how many more there are: a note that
 * lists what a link left out stays a few lines ("a, b, ..., h and 1,992 more"). */
export const listed = (items, most = 8) => (items.length > most
  ? `${items.slice(0, most).join(", ")} and ${thousands(items.length - most)} more`
  : items.join(", "));
