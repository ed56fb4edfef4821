import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, buildConnector } from 'undici';
import type { WebhookAllowList } from './webhook-addresses.ts';

/** Resolves a hostname as `dns.lookup` does; tests point a made-up name at this machine. */
export type ResolveHost = typeof dnsLookup;

/** A webhook connection refused for where it would go: retrying cannot change that. */
export class WebhookAddressRefused extends Error {
  override readonly name = 'WebhookAddressRefused';
}

/** The refusal behind a failed fetch (undici wraps connection errors as their `cause`), if any. */
export function addressRefusalOf(error: unknown): WebhookAddressRefused | undefined {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    if (cause instanceof WebhookAddressRefused) return cause;
  }
  return undefined;
}

/**
 * The HTTP agent that sends webhooks, connecting only where the allow-list lets it. Each
 * connection's addresses are judged as the socket gets them (from the resolver, or the
 * URL's own IP address), so a name that resolved to a public address when checked and to
 * an internal one a moment later (DNS rebinding) still cannot reach inside: there is no
 * separate, earlier lookup to fool.
 */
export function webhookAgent(allowList: WebhookAllowList, resolveHost: ResolveHost = dnsLookup) {
  const connect = buildConnector({ lookup: guardedLookup(allowList, resolveHost) });
  return new Agent({
    connect: (options, callback) => {
      // An IP address is connected to as it is, without a lookup: judged here instead.
      const host = options.hostname.replace(/^\[(.*)\]$/, '$1');
      const refusal = isIP(host) ? allowList.refusalOfAddress(host, host) : undefined;
      if (refusal) {
        callback(new WebhookAddressRefused(refusal), null);
        return;
      }
      connect(options, callback);
    },
  });
}

/**
 * A `lookup` for sockets that fails when any address the name resolves to is forbidden: a
 * name that mixes public and internal answers is refused rather than tried address by address.
 */
function guardedLookup(allowList: WebhookAllowList, resolveHost: ResolveHost): LookupFunction {
  return (hostname, options, callback) => {
    resolveHost(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) {
        callback(error, '', 0);
        return;
      }
      const refusal = addresses
        .map(({ address }) => allowList.refusalOfAddress(hostname, address))
        .find((found) => found !== undefined);
      if (refusal) {
        callback(new WebhookAddressRefused(refusal), '', 0);
        return;
      }
      const [first] = addresses;
      if (!first) {
        callback(
          Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }),
          '',
          0,
        );
        return;
      }
      if (options.all) callback(null, addresses);
      else callback(null, first.address, first.family);
    });
  };
}
