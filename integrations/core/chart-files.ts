// Every chart of the site is also a download: an SVG file under downloads/charts/, named after the
// page and the chart. A chart component marks its <svg> with CHART_FILE_ATTR (the file's site path)
// and links to that file under the chart; after the build, the integration cuts each marked <svg>
// out of the built page and writes it as a standalone file (integrations/clipscope/chart-svg.ts).

/** The attribute of a chart's <svg> that names its download (a site-relative path). */
export const CHART_FILE_ATTR = 'data-chart-file';

/** The chart's title, written at the top of its SVG file (the page shows it in the figure caption). */
export const CHART_TITLE_ATTR = 'data-chart-title';

/** The height of the SVG file's drawing when the chart holds parts drawn only in the file (class
 * "export-only", below the chart: e.g. the legend the page shows in HTML). */
export const CHART_EXPORT_HEIGHT_ATTR = 'data-export-height';

/** Attributes of a chart's <svg> that make it a download (spread them onto the element). */
export function chartAttrs(file: string, title: string, exportHeight?: number): Record<string, string> {
  return { [CHART_FILE_ATTR]: file, [CHART_TITLE_ATTR]: title, ...(exportHeight ? { [CHART_EXPORT_HEIGHT_ATTR]: String(exportHeight) } : {}) };
}

/** A file-name part: lower-case ASCII letters, digits and hyphens. */
function slugPart(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * The site path of a chart's SVG download: "downloads/charts/<page>-<chart>.svg", where <page> is the
 * page's path under the site's base ("groups", "categories-red"; "overview" for the home page) and
 * <chart> the chart's id on that page.
 */
export function chartFile(pathname: string, base: string, id: string): string {
  const prefix = base.endsWith('/') ? base : `${base}/`;
  let path: string;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    path = pathname;
  }
  if (path.startsWith(prefix)) path = path.slice(prefix.length);
  const page = slugPart(path.replace(/(^|\/)index\.html$/, '')) || 'overview';
  return `downloads/charts/${page}-${slugPart(id) || 'chart'}.svg`;
}
