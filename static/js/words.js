// The page's words: translations, plural forms and formats the server handed over.

function fill(text, values) {
  return values ? text.replace(/%\((\w+)\)s/g, (m, k) => (k in values ? String(values[k]) : m)) : text;
}

// `t("Vote")`, and from the server's table (server/edge/i18n.py js_table): `t.n(key, count)`
// plural forms by the browser's CLDR plural category, `t.word(group, code)` words for the
// engine's codes, `t.error(code, message)`, numbers and percentages as the server formats them.
export function translator(strings, table) {
  const tb = table || {};
  const lang = tb.lang || document.documentElement.lang || "en";
  const rules = new Intl.PluralRules(lang);
  const num = new Intl.NumberFormat(lang, { numberingSystem: "latn" });
  const pct = new Intl.NumberFormat(lang, { style: "percent", numberingSystem: "latn" });
  const t = (s, values) => fill((strings && strings[s]) || s, values);
  t.n = (key, count) => {
    const forms = (tb.plurals || {})[key] || {};
    return fill(forms[rules.select(count)] ?? forms.other ?? String(count), { num: num.format(count) });
  };
  t.num = (x) => num.format(x);
  t.pct = (x) => pct.format(x);
  t.word = (group, code) => ((tb[group] || {})[code]) || code;
  t.lang = lang;
  t.error = (code, message) => ((tb.errors || {})[code]) || message || code;
  return t;
}
