/**
 * The local console page: pick a demo member, type kudos commands, read the replies.
 * Plain HTML and a few lines of script; every reply is inserted as text, never as HTML.
 */
export function consolePage(commandName: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>Plaudit — local console</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 46rem; padding: 1rem; color: #1d1d1f; }
  h1 { font-size: 1.4rem; margin-bottom: 0.25rem; }
  form { display: flex; gap: 0.5rem; flex-wrap: wrap; margin: 1rem 0; }
  label { display: flex; flex-direction: column; font-size: 0.85rem; color: #555; }
  select, input, button { font: inherit; padding: 0.45rem 0.6rem; border: 1px solid #999; border-radius: 6px; }
  input { min-width: 18rem; flex: 1; }
  button { background: #3a5bd9; color: #fff; border-color: #3a5bd9; cursor: pointer; align-self: flex-end; }
  #log { list-style: none; padding: 0; }
  #log li { border-left: 4px solid #3a5bd9; padding: 0.4rem 0.8rem; margin: 0.6rem 0; background: #f4f6fd; white-space: pre-wrap; }
  #log li.refused, #log li.usage { border-color: #c0392b; background: #fdf3f2; }
  #log li.announcement { border-color: #27ae60; background: #f1faf4; }
  .who { font-size: 0.8rem; color: #555; display: block; }
  .actions { display: flex; gap: 0.4rem; flex-wrap: wrap; margin-top: 0.4rem; }
  .actions button { font-size: 0.85rem; padding: 0.25rem 0.6rem; }
  .actions button.danger { background: #c0392b; border-color: #c0392b; }
</style>
</head>
<body>
<main>
<p><a href="/console">← Admin console</a></p>
<h1>Plaudit local console</h1>
<p>Try the kudos command as any demo member, e.g. <code>${commandName} @li 10 for the demo #teamwork</code>,
<code>${commandName} balance</code>, <code>${commandName} rewards</code> or <code>${commandName} help</code>; a reply's buttons run their command as the member it answered.</p>
<form id="command-form">
  <label>Member <select id="member" name="member" required></select></label>
  <label style="flex:1">Command <input id="text" name="text" autocomplete="off" required value="${commandName} @li 10 for the demo #teamwork"></label>
  <button type="submit">Send</button>
</form>
<ul id="log" aria-live="polite"></ul>
</main>
<script type="module">
const select = document.getElementById('member');
const input = document.getElementById('text');
const log = document.getElementById('log');
const { members } = await (await fetch('/api/console/members')).json();
for (const m of members) {
  const option = document.createElement('option');
  option.value = m.handle;
  option.textContent = m.displayName + ' (@' + m.handle + ')' + (m.isGuest ? ' · guest' : '') + (m.isBot ? ' · bot' : '');
  select.append(option);
}
function entry(kind, who, text) {
  const li = document.createElement('li');
  li.className = kind;
  const label = document.createElement('span');
  label.className = 'who';
  label.textContent = who;
  li.append(label, document.createTextNode(text));
  log.prepend(li);
  return li;
}
// A reply's buttons run their command as the member the reply was for, as if typed. Each
// button keeps one request id, so a second click of it is a replay that changes nothing.
function buttons(li, member, blocks) {
  for (const block of blocks) {
    if (block.kind !== 'actions') continue;
    const row = document.createElement('div');
    row.className = 'actions';
    for (const action of block.actions) {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = action.label;
      if (action.style) button.className = action.style;
      const requestId = crypto.randomUUID();
      button.addEventListener('click', () => run(member, action.command, requestId));
      row.append(button);
    }
    li.append(row);
  }
}
async function run(member, text, requestId) {
  const response = await fetch('/api/console/commands', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ member, text, requestId }),
  });
  const answer = await response.json();
  if (!response.ok) { entry('refused', 'error', answer.message); return; }
  for (const text of answer.announcements) entry('announcement', 'posted in #console', text);
  const li = entry(answer.reply.outcome, 'only you (' + member + ') see this', answer.reply.text);
  buttons(li, member, answer.reply.blocks);
}
document.getElementById('command-form').addEventListener('submit', (event) => {
  event.preventDefault();
  run(select.value, input.value, crypto.randomUUID());
});
</script>
</body>
</html>`;
}
