import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Range = [Address, number];

/**
 * Cloud metadata services (AWS, GCP, Azure, Oracle: 169.254.169.254; AWS over IPv6; AWS
 * ECS task metadata; Alibaba). They hand out the machine's credentials, so a range on the
 * allow-list never opens them: only the address itself, listed, does.
 */
const METADATA: readonly Address[] = [
  '169.254.169.254',
  'fd00:ec2::254',
  '169.254.170.2',
  '100.100.100.200',
].map((text) => ipaddr.parse(text));

/** IANA allocates IPv6 internet addresses from here; anything outside is special or unassigned. */
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3');

/** ipaddr.js's range names, in words; ranges not named here are reserved for special uses. */
const KINDS: Readonly<Record<string, string>> = {
  loopback: 'a loopback address',
  private: 'a private address',
  uniqueLocal: 'a private (unique-local) address',
  linkLocal: 'a link-local address',
  carrierGradeNat: 'a carrier-grade NAT address',
  unspecified: 'an unspecified address',
  multicast: 'a multicast address',
  broadcast: 'a broadcast address',
};

const ALLOWED_HOSTS_VARIABLE = 'REWARD_WEBHOOK_ALLOWED_HOSTS';

/** An IP address as text, `[…]` of a URL's IPv6 host included, parsed; IPv4-mapped IPv6 as IPv4. */
function addressOf(text: string): Address | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  return isIP(bare) === 0 ? undefined : ipaddr.process(bare);
}

const sameAddress = (a: Address, b: Address) =>
  a.kind() === b.kind() && a.toNormalizedString() === b.toNormalizedString();

const inRange = (address: Address, [network, bits]: Range) =>
  address.kind() === network.kind() && address.match(network, bits);

const isMetadata = (address: Address) => METADATA.some((known) => sameAddress(known, address));

/**
 * What makes an IP address no place to send a webhook, in words ("a loopback address");
 * undefined for an address on the internet. IPv4-mapped IPv6 (`::ffff:127.0.0.1`) is
 * judged as the IPv4 address it carries; IPv6 outside 2000::/3 (NAT64, 6to4, Teredo and
 * other translations of IPv4 included) is refused as reserved.
 */
export function forbiddenKind(text: string): string | undefined {
  const address = addressOf(text);
  if (!address) throw new Error(`not an IP address: ${text}`);
  if (isMetadata(address)) return 'a cloud metadata address';
  const range = address.range();
  if (range === 'unicast') {
    if (address.kind() === 'ipv4' || inRange(address, GLOBAL_UNICAST_V6)) return undefined;
  }
  return KINDS[range] ?? 'a reserved address';
}

/** A URL's hostname as the allow-list compares it: lower case, without a final dot. */
const hostKey = (hostname: string) => hostname.toLowerCase().replace(/\.$/, '');

/**
 * One entry of REWARD_WEBHOOK_ALLOWED_HOSTS: a hostname exactly as a URL has it
 * (`fulfil.corp.example`), an IP address, or a CIDR range (`10.20.0.0/16`, `fd12::/16`);
 * undefined when it is none of these. IPv4 must be written as four decimal numbers, so an
 * entry cannot mean something other than it seems.
 */
export function allowListEntry(text: string): { host: string } | { range: Range } | undefined {
  const entry = text.trim().toLowerCase();
  const [address = '', bits, ...rest] = entry.split('/');
  const fourPart = ipaddr.IPv4.isValidFourPartDecimal(address);
  if (fourPart || ipaddr.IPv6.isValid(address)) {
    if (rest.length > 0) return undefined;
    if (bits === undefined) {
      const parsed = ipaddr.process(address);
      return { range: [parsed, parsed.kind() === 'ipv4' ? 32 : 128] };
    }
    return ipaddr.isValidCIDR(entry) ? { range: ipaddr.parseCIDR(entry) } : undefined;
  }
  const host = hostKey(entry);
  if (!/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(host) || !URL.canParse(`http://${host}/`)) {
    return undefined;
  }
  // A name a URL reads as something else (`2852039166` is 169.254.169.254) is no name.
  return new URL(`http://${host}/`).hostname === host ? { host } : undefined;
}

/**
 * Where redemption webhooks may go: addresses on the internet, plus the hosts and ranges an
 * operator lists in REWARD_WEBHOOK_ALLOWED_HOSTS (a company's own fulfilment host inside
 * its network). A listed hostname may resolve to any address but a cloud metadata one; a
 * listed range opens its addresses, a metadata address only when listed by itself.
 */
export class WebhookAllowList {
  static readonly NONE = new WebhookAllowList(new Set(), []);

  private constructor(
    private readonly hosts: ReadonlySet<string>,
    private readonly ranges: readonly Range[],
  ) {}

  /** From REWARD_WEBHOOK_ALLOWED_HOSTS's entries; an entry that is none of the forms throws. */
  static of(entries: readonly string[]): WebhookAllowList {
    const hosts = new Set<string>();
    const ranges: Range[] = [];
    for (const text of entries) {
      const entry = allowListEntry(text);
      if (!entry) throw new Error(`not a hostname, IP address or CIDR range: ${text}`);
      if ('host' in entry) hosts.add(entry.host);
      else ranges.push(entry.range);
    }
    return new WebhookAllowList(hosts, ranges);
  }

  /**
   * Why HR may not save a webhook to this http(s) URL, in a sentence; undefined when they
   * may. Only what the URL itself says is judged here (an IP address, or this machine's
   * own `localhost`): what a name resolves to can change, so the sender checks it again
   * when it connects.
   */
  refusalOfUrl(text: string): string | undefined {
    const { hostname } = new URL(text);
    const host = hostKey(hostname);
    let kind: string | undefined;
    if (addressOf(hostname)) {
      kind = this.#refused(host, hostname);
    } else if (host === 'localhost' || host.endsWith('.localhost')) {
      // RFC 6761: such names are this machine, whatever a DNS server says.
      kind = this.#refused(host, '127.0.0.1') && 'this machine (loopback)';
    }
    if (!kind) return undefined;
    return `The webhook cannot go to ${hostname}, ${kind}; use an address on the internet, or ask your operator to allow the host in ${ALLOWED_HOSTS_VARIABLE}.`;
  }

  /**
   * Why the sender may not connect to `address`, the URL's host `hostname` or an address it
   * resolved to, in a sentence for the failed job; undefined when it may.
   */
  refusalOfAddress(hostname: string, address: string): string | undefined {
    const kind = this.#refused(hostKey(hostname), address);
    if (!kind) return undefined;
    const what = addressOf(hostname) ? address : `${hostname} (${address})`;
    return `the webhook's host ${what} is ${kind}, which ${ALLOWED_HOSTS_VARIABLE} does not allow`;
  }

  /** What makes `address` forbidden for `host` (in words), unless the list allows it. */
  #refused(host: string, text: string): string | undefined {
    const kind = forbiddenKind(text);
    if (!kind) return undefined;
    const address = addressOf(text) as Address;
    const listed = this.ranges.some(([network, bits]) =>
      bits === (network.kind() === 'ipv4' ? 32 : 128)
        ? sameAddress(network, address)
        : !isMetadata(address) && inRange(address, [network, bits]),
    );
    if (listed) return undefined;
    if (this.hosts.has(host) && !isMetadata(address)) return undefined;
    return kind;
  }
}
