// A code or output block, or a displayed formula, that scrolls (sideways, or
// down when a fallback font's glyphs are taller than a line) gets keyboard
// focus, so that keyboard users can scroll it too (axe-core's
// scrollable-region-focusable).
(() => {
  const focusScrollable = () => {
    for (const block of document.querySelectorAll("pre, .math-wrapper")) {
      const scrolls =
        block.scrollWidth > block.clientWidth || block.scrollHeight > block.clientHeight;
      if (scrolls) block.tabIndex = 0;
      else if (block.tabIndex === 0) block.removeAttribute("tabindex");
    }
  };
  // Widths change once the web fonts are in, and with the window.
  document.addEventListener("DOMContentLoaded", focusScrollable);
  window.addEventListener("load", () => document.fonts.ready.then(focusScrollable));
  window.addEventListener("resize", focusScrollable);
})();
