import type { Request, Router } from 'express';
import type { RewardItem, RewardItemFields } from '../../rewards/catalog.ts';
import { formatMoney, parseMoney } from '../../rewards/money.ts';
import { loadRewardSettings } from '../../rewards/reward-settings.ts';
import { chatCommand } from '../chat-commands.ts';
import { refusedUnlessHr, requireConsoleRole } from '../console-auth.ts';
import type { ConsoleDeps } from '../console-deps.ts';
import { redirectWithNotice } from '../console-flash.ts';
import { fieldOf, option, pathIdOf } from '../console-form.ts';
import { html, type SafeHtml } from '../console-html.ts';
import { csrfField, sendPage } from '../console-layout.ts';
import { type ConsoleViewer, viewerOf } from '../console-viewer.ts';

const CATALOG = '/console/catalog';
const WHAT = 'change the catalog';

type Fields = { -readonly [K in keyof RewardItemFields]?: RewardItemFields[K] };

/** `2550` → `25.50`: an amount as the price field shows it. */
function majorUnits(minor: number, currency: string): string {
  return formatMoney(minor, currency).replace(/ \S+$/, '');
}

function stockText(stock: number | null): string {
  return stock === null ? 'Unlimited' : stock.toLocaleString('en');
}

function statusText(item: RewardItem): string {
  if (item.retired) return 'Retired';
  return item.active ? 'Active' : 'Paused';
}

/** The stock as typed: empty or “unlimited” for no limit, else a whole number. */
function readStock(text: string | undefined): number | null | string {
  const value = (text ?? '').trim().toLowerCase();
  if (value === '' || value === 'unlimited') return null;
  if (!/^\d{1,10}$/.test(value)) {
    return 'The stock is a whole number, like 20, or empty for unlimited.';
  }
  return Number(value);
}

/**
 * The item fields a form posted, read as people type them (a price in major units, a
 * stock left empty for unlimited); a sentence for the first one that cannot be read.
 * Fields not posted are left out, so they do not change.
 */
function readFields(req: Request, currency: string): Fields | string {
  const fields: Fields = {};
  const name = fieldOf(req, 'name');
  if (name !== undefined) fields.name = name;
  const description = fieldOf(req, 'description');
  if (description !== undefined) fields.description = description.replace(/\r\n/g, '\n');
  const cost = fieldOf(req, 'pointsCost');
  if (cost !== undefined) {
    if (!/^\d{1,10}$/.test(cost.trim())) return 'The cost is a whole number of points, like 200.';
    fields.pointsCost = Number(cost.trim());
  }
  const price = fieldOf(req, 'price');
  if (price !== undefined) {
    const minor = parseMoney(price, currency);
    if (minor === undefined) return `The price is an amount in ${currency}, like 25 or 25.50.`;
    fields.priceMinor = minor;
  }
  const stock = fieldOf(req, 'stock');
  if (stock !== undefined) {
    const read = readStock(stock);
    if (typeof read === 'string') return read;
    fields.stock = read;
  }
  const status = fieldOf(req, 'status');
  if (status !== undefined) {
    if (status !== 'active' && status !== 'paused') return 'Choose whether it is active or paused.';
    fields.active = status === 'active';
  }
  const fulfilment = fieldOf(req, 'fulfilment');
  if (fulfilment !== undefined) {
    if (fulfilment !== 'manual' && fulfilment !== 'webhook') {
      return 'Choose how it is fulfilled: by HR, or by webhook.';
    }
    fields.fulfilment = fulfilment;
    const url = fieldOf(req, 'webhookUrl')?.trim() ?? '';
    if (fulfilment === 'webhook') {
      if (url === '')
        return 'A reward fulfilled by webhook needs the address to send redemptions to.';
      fields.webhookUrl = url;
    }
  }
  return fields;
}

function itemForm(
  viewer: ConsoleViewer,
  currency: string,
  options: { action: string; item?: RewardItem; button: string },
): SafeHtml {
  const { item } = options;
  const active = item ? item.active : true;
  const webhook = item?.fulfilment === 'webhook';
  return html`<form method="post" action="${options.action}" class="stack">${csrfField(viewer)}
<label>Name <input name="name" required maxlength="120" value="${item?.name ?? ''}"></label>
<label>Description <textarea name="description" rows="3" maxlength="2000">${item?.description ?? ''}</textarea></label>
<label>Cost in points <input name="pointsCost" required inputmode="numeric" pattern="[0-9]+" value="${item ? String(item.pointsCost) : ''}"></label>
<label>Price in ${currency} (what the company is billed) <input name="price" required inputmode="decimal" value="${item ? majorUnits(item.priceMinor, currency) : ''}"></label>
${item ? '' : html`<label>Stock (empty for unlimited) <input name="stock" inputmode="numeric" pattern="[0-9]*"></label>`}
<label>Status <select name="status">
${option('active', 'Active: members can redeem it', active)}
${option('paused', 'Paused: members cannot redeem it for now', !active)}
</select></label>
<label>Fulfilment <select name="fulfilment">
${option('manual', 'By HR, from the redemptions queue', !webhook)}
${option('webhook', 'By webhook, to the address below', webhook)}
</select></label>
<label>Webhook address (for webhook fulfilment) <input name="webhookUrl" type="url" value="${item?.webhookUrl ?? ''}"></label>
<div><button type="submit">${options.button}</button></div>
</form>`;
}

function stockForm(viewer: ConsoleViewer, item: RewardItem, from: 'list' | 'item'): SafeHtml {
  return html`<form method="post" action="${CATALOG}/${item.id}/stock" class="inline">${csrfField(viewer)}<input type="hidden" name="from" value="${from}">
<input name="stock" inputmode="numeric" pattern="[0-9]*" size="6" value="${item.stock === null ? '' : String(item.stock)}" placeholder="unlimited" aria-label="Stock of ${item.name} (empty for unlimited)">
<button type="submit" class="secondary">Set stock</button></form>`;
}

function catalogTable(viewer: ConsoleViewer, items: readonly RewardItem[], currency: string) {
  if (items.length === 0) {
    return html`<p>The catalog is empty; add the first reward below.</p>`;
  }
  return html`<div class="table-wrap"><table>
<thead><tr><th>Reward</th><th class="number">Points</th><th class="number">Price</th><th class="number">Stock</th><th>Status</th><th>Change stock</th></tr></thead>
<tbody>${items.map(
    (item) => html`<tr>
<td><a href="${CATALOG}/${item.id}">${item.name}</a>${item.fulfilment === 'webhook' ? html` <span class="muted">(webhook)</span>` : ''}</td>
<td class="number">${item.pointsCost.toLocaleString('en')}</td>
<td class="number">${formatMoney(item.priceMinor, currency)}</td>
<td class="number">${stockText(item.stock)}</td>
<td>${statusText(item)}</td>
<td>${stockForm(viewer, item, 'list')}</td>
</tr>`,
  )}</tbody></table></div>`;
}

/**
 * The catalog HR runs: the rewards with their cost, price, stock and status; a form to add
 * one; per reward a page to edit it, set its stock, or retire it. Every change goes
 * through the catalog service with the viewer as actor, so it is checked and audited as
 * the same change in chat or over the API is.
 */
export function registerCatalogPage(routes: Router, deps: ConsoleDeps): void {
  const { db, desk } = deps.services;
  const currencyOf = async (organizationId: number) =>
    (await loadRewardSettings(db, organizationId)).currency;

  routes.get(CATALOG, requireConsoleRole('hr'), async (req, res) => {
    const viewer = viewerOf(res);
    const [items, currency] = await Promise.all([
      desk.catalog.list(viewer.organizationId, { includeInactive: true }),
      currencyOf(viewer.organizationId),
    ]);
    const body = html`<p class="muted">Members redeem active rewards in chat (${chatCommand(deps.chat, 'redeem')}); HR fulfils them from the <a href="/console/redemptions">redemptions queue</a>. Prices are in ${currency}.</p>
<h2>Rewards</h2>
${catalogTable(viewer, items, currency)}
<h2>Add a reward</h2>
${itemForm(viewer, currency, { action: CATALOG, button: 'Add the reward' })}`;
    sendPage(req, res, { title: 'Catalog', active: 'catalog', body });
  });

  routes.get(`${CATALOG}/:id`, requireConsoleRole('hr'), async (req, res) => {
    const viewer = viewerOf(res);
    const id = pathIdOf(req);
    const found = id === undefined ? undefined : await desk.catalog.find(viewer.organizationId, id);
    if (!found?.ok) {
      sendPage(req, res, {
        title: 'No such reward',
        active: 'catalog',
        status: 404,
        body: html`<p>There is no reward “${req.params.id}” in the catalog. <a href="${CATALOG}">Back to the catalog</a>.</p>`,
      });
      return;
    }
    const item = found.value;
    const currency = await currencyOf(viewer.organizationId);
    const back = html`<p><a href="${CATALOG}">Back to the catalog</a></p>`;
    if (item.retired) {
      sendPage(req, res, {
        title: item.name,
        active: 'catalog',
        body: html`<p>“${item.name}” was retired; its redemptions and charges keep naming it, and it can no longer change.</p>${back}`,
      });
      return;
    }
    const body = html`<p class="muted">${statusText(item)}; ${item.pointsCost.toLocaleString('en')} point${item.pointsCost === 1 ? '' : 's'}, billed ${formatMoney(item.priceMinor, currency)}; stock: ${stockText(item.stock)}.</p>
<h2>Details</h2>
<p class="muted">Redemptions already made keep the cost and price they were made at.</p>
${itemForm(viewer, currency, { action: `${CATALOG}/${item.id}`, item, button: 'Save changes' })}
<h2>Stock</h2>
${stockForm(viewer, item, 'item')}
<h2>Retire</h2>
<p>Retiring takes “${item.name}” out of the catalog for good; its redemptions and charges keep naming it.</p>
<form method="post" action="${CATALOG}/${item.id}/retire" class="inline">${csrfField(viewer)}<button type="submit" class="danger">Retire “${item.name}”</button></form>
${back}`;
    sendPage(req, res, { title: item.name, active: 'catalog', body });
  });

  routes.post(CATALOG, async (req, res) => {
    const { actor, organizationId } = viewerOf(res);
    const attempt = { action: 'reward.create', wanted: { name: fieldOf(req, 'name') } };
    if (await refusedUnlessHr(db, req, res, WHAT, attempt)) return;
    const fields = readFields(req, await currencyOf(organizationId));
    if (typeof fields === 'string') return redirectWithNotice(res, CATALOG, 'refused', fields);
    const { name, pointsCost, priceMinor } = fields;
    if (name === undefined || pointsCost === undefined || priceMinor === undefined) {
      return redirectWithNotice(
        res,
        CATALOG,
        'refused',
        'A new reward needs a name, a cost in points and a price.',
      );
    }
    const created = await desk.catalog.create(
      organizationId,
      { ...fields, name, pointsCost, priceMinor },
      actor,
    );
    if (!created.ok) return redirectWithNotice(res, CATALOG, 'refused', created.message);
    redirectWithNotice(res, CATALOG, 'done', `Added “${created.value.name}” to the catalog.`);
  });

  routes.post(`${CATALOG}/:id`, async (req, res) => {
    const { actor, organizationId } = viewerOf(res);
    const id = pathIdOf(req);
    const attempt = { action: 'reward.edit', target: id === undefined ? null : `reward:${id}` };
    if (await refusedUnlessHr(db, req, res, WHAT, attempt)) return;
    if (id === undefined)
      return redirectWithNotice(res, CATALOG, 'refused', 'There is no such reward.');
    const page = `${CATALOG}/${id}`;
    const fields = readFields(req, await currencyOf(organizationId));
    if (typeof fields === 'string') return redirectWithNotice(res, page, 'refused', fields);
    // Stock changes on its own form: an edit made from an older page leaves it as it is.
    delete fields.stock;
    const edited = await desk.catalog.edit(organizationId, id, fields, actor);
    if (!edited.ok) return redirectWithNotice(res, page, 'refused', edited.message);
    redirectWithNotice(res, page, 'done', `Saved “${edited.value.name}”.`);
  });

  routes.post(`${CATALOG}/:id/stock`, async (req, res) => {
    const { actor, organizationId } = viewerOf(res);
    const id = pathIdOf(req);
    const attempt = {
      action: 'reward.edit',
      target: id === undefined ? null : `reward:${id}`,
      wanted: { stock: fieldOf(req, 'stock') },
    };
    if (await refusedUnlessHr(db, req, res, WHAT, attempt)) return;
    if (id === undefined)
      return redirectWithNotice(res, CATALOG, 'refused', 'There is no such reward.');
    const back = fieldOf(req, 'from') === 'item' ? `${CATALOG}/${id}` : CATALOG;
    const stock = readStock(fieldOf(req, 'stock'));
    if (typeof stock === 'string') return redirectWithNotice(res, back, 'refused', stock);
    const edited = await desk.catalog.edit(organizationId, id, { stock }, actor);
    if (!edited.ok) return redirectWithNotice(res, back, 'refused', edited.message);
    const now = edited.value.stock === null ? 'unlimited stock' : `${edited.value.stock} in stock`;
    redirectWithNotice(res, back, 'done', `“${edited.value.name}” now has ${now}.`);
  });

  routes.post(`${CATALOG}/:id/retire`, async (req, res) => {
    const { actor, organizationId } = viewerOf(res);
    const id = pathIdOf(req);
    const attempt = { action: 'reward.retire', target: id === undefined ? null : `reward:${id}` };
    if (await refusedUnlessHr(db, req, res, WHAT, attempt)) return;
    if (id === undefined)
      return redirectWithNotice(res, CATALOG, 'refused', 'There is no such reward.');
    const retired = await desk.catalog.retire(organizationId, id, actor);
    if (!retired.ok) return redirectWithNotice(res, `${CATALOG}/${id}`, 'refused', retired.message);
    redirectWithNotice(
      res,
      CATALOG,
      'done',
      `“${retired.value.name}” is retired; its past redemptions keep it.`,
    );
  });
}
