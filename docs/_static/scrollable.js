// A code or output block that scrolls sideways gets keyboard focus, so that
// keyboard users can scroll it too (axe-core's scrollable-region-focusable).
(() => {
  const focusScrollable = () => {
    for (const block of document.querySelectorAll("pre")) {
      if (block.scrollWidth > block.clientWidth) block.tabIndex = 0;
      else if (block.tabIndex === 0) block.removeAttribute("tabindex");
    }
  };
  document.addEventListener("DOMContentLoaded", focusScrollable);
  window.addEventListener("resize", focusScrollable);
})();
