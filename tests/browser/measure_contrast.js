// Runs in the page for tests/browser/test_themes.py: every visible text (and form control) with
// its colour, its effective background colours (several under a gradient: the worst one counts)
// and its size; the form controls' borders and the backgrounds around them too.
() => {
  const rgba = (s) => (s.match(/rgba?\([^)]*\)/g) ?? []).map((c) => {
    const n = c.match(/[\d.]+/g).map(Number);
    return [n[0], n[1], n[2], n.length > 3 ? n[3] : 1];
  });
  const over = (top, base) => [0, 1, 2].map((k) => top[3] * top[k] + (1 - top[3]) * base[k]);
  const backgrounds = (node) => {
    const layers = [];
    for (let n = node; n; n = n.parentElement) {
      const style = getComputedStyle(n);
      const image = style.backgroundImage.includes("gradient") ? rgba(style.backgroundImage) : [];
      const [color] = rgba(style.backgroundColor);
      if (image.length) return image.map((c) => layers.reduceRight((acc, l) => over(l, acc), over(c, [255, 255, 255])));
      if (color && color[3] >= 1) return [layers.reduceRight((acc, l) => over(l, acc), color.slice(0, 3))];
      if (color && color[3] > 0) layers.push(color);
    }
    return [layers.reduceRight((acc, l) => over(l, acc), [255, 255, 255])];
  };
  const visible = (n) => {
    const box = n.getBoundingClientRect();
    return box.width > 2 && box.height > 2 && n.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true });
  };
  const texts = [];
  const controls = [];
  const FIELDS = "select, input[type=text], input[type=number], textarea, button";
  for (const n of document.body.querySelectorAll("*")) {
    if (["SCRIPT", "STYLE", "OPTION", "CANVAS"].includes(n.tagName) || !visible(n) || n.disabled) continue;
    const own = Array.from(n.childNodes).some((c) => c.nodeType === 3 && c.textContent.trim());
    const style = getComputedStyle(n);
    const bgs = backgrounds(n);
    const where = `${n.tagName.toLowerCase()}${n.id ? "#" + n.id : ""}.${n.className} "${n.textContent.trim().slice(0, 30)}"`;
    if (own || n.matches("select, input[type=text], input[type=number], textarea")) {
      const ink = rgba(style.color)[0];
      texts.push({ where, ink: over(ink, bgs[0]), bgs, px: parseFloat(style.fontSize), weight: Number(style.fontWeight) });
      if (n.placeholder && !n.value) {
        const ph = rgba(getComputedStyle(n, "::placeholder").color)[0];
        texts.push({ where: where + " placeholder", ink: over(ph, bgs[0]), bgs, px: parseFloat(style.fontSize), weight: 400 });
      }
    }
    if (n.matches(FIELDS)) {
      const border = parseFloat(style.borderTopWidth) > 0 && style.borderTopStyle !== "none" ? rgba(style.borderTopColor)[0] : null;
      controls.push({ where, border, own: bgs[0], around: backgrounds(n.parentElement) });
    }
  }
  return { texts, controls };
}
