/** The console's one stylesheet: readable on a laptop and a phone, no framework. */
export const CONSOLE_STYLE = `
:root { --ink: #1d1d1f; --muted: #5c5f66; --line: #d9dce3; --accent: #3a5bd9; --bad: #b3261e; --good: #1e7b45; --paper: #fff; --soft: #f4f6fd; }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: var(--ink); background: var(--paper); }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 1.5rem; padding: 0.6rem 1rem; border-bottom: 1px solid var(--line); background: var(--soft); }
.brand { font-weight: 700; color: var(--accent); text-decoration: none; font-size: 1.15rem; }
nav { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 1rem; flex: 1; }
nav ul { display: flex; flex-wrap: wrap; gap: 0.25rem 0.9rem; list-style: none; margin: 0; padding: 0; flex: 1; }
nav a { color: var(--ink); text-decoration: none; padding: 0.2rem 0; border-bottom: 2px solid transparent; }
nav a[aria-current="page"] { border-color: var(--accent); font-weight: 600; }
nav a:hover, nav a:focus { border-color: var(--muted); }
.sign-out { display: flex; align-items: center; gap: 0.5rem; font-size: 0.9rem; color: var(--muted); }
main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.5rem; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 0.5rem; }
a { color: var(--accent); }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1rem; font-size: 0.95rem; }
th, td { text-align: left; padding: 0.4rem 0.5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; }
.table-wrap { overflow-x: auto; }
form.inline { display: inline; }
form.stack { display: grid; gap: 0.75rem; max-width: 36rem; }
label { display: grid; gap: 0.2rem; font-size: 0.9rem; color: var(--muted); }
input, select, textarea, button { font: inherit; color: var(--ink); padding: 0.45rem 0.6rem; border: 1px solid #9aa0aa; border-radius: 6px; background: #fff; }
button, .button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; text-decoration: none; display: inline-block; }
button.secondary { background: #fff; color: var(--accent); }
button.danger { background: var(--bad); border-color: var(--bad); }
button:focus-visible, a:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid #9db2ff; outline-offset: 1px; }
.notice { padding: 0.6rem 0.8rem; border-radius: 6px; border-left: 4px solid var(--good); background: #eef8f1; }
.notice.refused { border-color: var(--bad); background: #fdf1f0; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr)); gap: 0.75rem; margin: 0 0 1rem; padding: 0; list-style: none; }
.cards li { border: 1px solid var(--line); border-radius: 8px; padding: 0.75rem; }
.cards .figure { display: block; font-size: 1.5rem; font-weight: 650; font-variant-numeric: tabular-nums; }
.cards .label { color: var(--muted); font-size: 0.85rem; }
.muted { color: var(--muted); }
.filters { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: end; margin-bottom: 0.5rem; }
svg { max-width: 100%; height: auto; }
@media (max-width: 40rem) {
  body { font-size: 15px; }
  header nav { flex-basis: 100%; justify-content: space-between; }
  main { padding: 0.75rem; }
  th, td { padding: 0.35rem 0.3rem; }
}
pre.json { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 0.8rem; margin: 0.25rem 0; max-width: 30rem; }
caption { text-align: left; padding: 0.25rem 0; }
/* people, permissions, settings */
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
label.choice { display: flex; align-items: center; gap: 0.5rem; color: var(--ink); font-size: 1rem; }
label.choice input { padding: 0; }
fieldset { border: 1px solid var(--line); border-radius: 6px; padding: 0.5rem 0.75rem; margin: 0; display: grid; gap: 0.35rem; }
legend { font-weight: 600; padding: 0 0.25rem; }
.field { display: grid; gap: 0.2rem; }
.field > label { color: var(--ink); }
.field.has-error input, .field.has-error select { border-color: var(--bad); }
.field-error { color: var(--bad); margin: 0; font-size: 0.9rem; }
.error-summary { border: 2px solid var(--bad); border-radius: 6px; padding: 0.5rem 0.8rem; margin-bottom: 1rem; background: #fdf1f0; }
.error-summary h2 { margin-top: 0.25rem; }
.badge { display: inline-block; font-size: 0.75rem; padding: 0 0.4rem; border-radius: 4px; background: #fdf1f0; color: var(--bad); border: 1px solid var(--bad); }
tr.reversed td { color: var(--muted); }
.pager { display: flex; gap: 1rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; margin: 0 0 1rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.actions { display: flex; flex-wrap: wrap; gap: 0.5rem; }
.rule-text { font-size: 1.1rem; font-weight: 600; }
figure.chart { margin: 0 0 1rem; }
.chart figcaption { color: var(--muted); }
`;
