import ipaddr from 'ipaddr.js';

/** proxy-addr's (Express's `trust proxy`) names for address ranges. */
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * Whether an entry of TRUST_PROXY is one Express's `trust proxy` reads as an address range:
 * one of its names, an IP address, or a CIDR range (10.0.0.0/8, fd00::/8).
 */
export function trustedProxyEntry(entry: string): boolean {
  if (RANGE_NAMES.has(entry)) return true;
  if (entry.includes('/')) {
    try {
      ipaddr.parseCIDR(entry);
      return true;
    } catch {
      return false;
    }
  }
  return ipaddr.isValid(entry);
}
