// The theme the reader last picked with the Theme toggle (js/theme.js keeps it under this
// key), put on <html> before the first paint. A classic script loaded from <head>, not a
// module: modules run after the page is parsed, and a page remembered dark would paint light
// first. A link that forces a theme already has data-theme from the server (app/routers/
// pages.py), which wins; js/theme.js takes over once the page's modules run.
(() => {
  const root = document.documentElement;
  if (root.hasAttribute("data-theme")) return;
  try {
    const theme = localStorage.getItem("convscope.theme");
    if (theme === "light" || theme === "dark") root.dataset.theme = theme;
  } catch {
    // storage refused (private mode, a sandboxed frame): the system's scheme decides
  }
})();
