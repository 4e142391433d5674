// Drives headless Chromium for tests/tests/browser.rs (puppeteer-core, with the
// system's Chromium: nothing is downloaded). For each page and each width it saves a
// full-page screenshot, measures in the DOM the browser built whether every table's
// last column can be read (within the viewport, or reachable as the design decides),
// whether the chart's legend and labels are legible, and runs axe-core.
//
//   node check.mjs CHROMIUM OUT_DIR NAME=URL...
//
// Prints one JSON object on stdout; the Rust test decides what passes.

import { createRequire } from "node:module";
import puppeteer from "puppeteer-core";

const require = createRequire(import.meta.url);
const axePath = require.resolve("axe-core/axe.min.js");

const [chromium, outDir, ...pages] = process.argv.slice(2);
const widths = [
  { name: "desktop", width: 1400, height: 900 },
  { name: "phone", width: 390, height: 844, mobile: true },
];

// Runs in the page: the measurements the test asserts on.
function measure() {
  const vw = document.documentElement.clientWidth;
  const tables = [...document.querySelectorAll("table")].map((t, i) => {
    const wrap = t.closest(".table-wrap");
    const rows = [...t.querySelectorAll("tbody tr")];
    // The last cell of every row: each must be laid out (not hidden) and end inside
    // the viewport, or, where a wrapper scrolls, inside the wrapper's scroll range.
    const lasts = rows.map((r) => r.lastElementChild.getBoundingClientRect());
    const outside = lasts.filter((b) => b.right > vw + 1 || b.width === 0).length;
    const head = t.querySelector("thead th:last-child");
    return {
      index: i,
      class: t.className,
      rows: rows.length,
      last_header: head ? head.textContent : null,
      last_header_right: head ? head.getBoundingClientRect().right : null,
      last_cells_outside_viewport: outside,
      wrap_scrolls: wrap ? wrap.scrollWidth > wrap.clientWidth + 1 : false,
    };
  });
  const legend = [...document.querySelectorAll("ul.legend li")].map(
    (li) => parseFloat(getComputedStyle(li).fontSize),
  );
  // Rendered size of the chart's text: the SVG scales, so its font size in user
  // units says nothing; the box the browser drew does.
  const labels = [...document.querySelectorAll("svg.chart text")].map(
    (t) => t.getBoundingClientRect().height,
  );
  return {
    viewport: vw,
    page_scroll_width: document.documentElement.scrollWidth,
    tables,
    legend_font_px: legend.length ? Math.min(...legend) : null,
    chart_label_px: labels.length ? Math.min(...labels) : null,
  };
}

const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--hide-scrollbars"],
});
const results = [];
try {
  for (const spec of pages) {
    const at = spec.indexOf("=");
    const name = spec.slice(0, at);
    const url = spec.slice(at + 1);
    for (const w of widths) {
      const page = await browser.newPage();
      await page.setViewport({
        width: w.width,
        height: w.height,
        isMobile: !!w.mobile,
        hasTouch: !!w.mobile,
        deviceScaleFactor: 1,
      });
      const resp = await page.goto(url, { waitUntil: "load" });
      const shot = `${outDir}/${name}-${w.name}.png`;
      await page.screenshot({ path: shot, fullPage: true });
      const layout = await page.evaluate(measure);
      await page.addScriptTag({ path: axePath });
      const axe = await page.evaluate(async () => {
        const r = await window.axe.run(document, { resultTypes: ["violations"] });
        return r.violations.map((v) => ({
          id: v.id,
          impact: v.impact,
          help: v.help,
          nodes: v.nodes.length,
          first: v.nodes[0] ? v.nodes[0].html.slice(0, 200) : "",
        }));
      });
      results.push({
        name,
        url,
        width: w.width,
        status: resp ? resp.status() : 0,
        screenshot: shot,
        layout,
        axe,
      });
      await page.close();
    }
  }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify({ results }) + "\n");
