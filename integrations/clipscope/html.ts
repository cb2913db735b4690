// A tiny HTML template for the one page Astro does not render (the standalone overview file):
// every interpolated value is escaped unless it is itself an `html` fragment, so user strings (file
// names with `<script>`, quotes, `../`, emoji) are text, never markup.

export class HtmlFragment {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

type Value = HtmlFragment | string | number | boolean | null | undefined | readonly Value[];

function render(value: Value): string {
  if (value === null || value === undefined || value === false || value === true) return '';
  if (value instanceof HtmlFragment) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** Tagged template: html`<p title="${title}">${text}</p>`. Attribute values must be quoted. */
export function html(strings: TemplateStringsArray, ...values: Value[]): HtmlFragment {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new HtmlFragment(out);
}

/** Trusted markup written by clipscope itself (never user data): inserted as is. */
export function raw(markup: string): HtmlFragment {
  return new HtmlFragment(markup);
}
