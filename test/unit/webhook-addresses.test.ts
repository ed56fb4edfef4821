import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.ts';
import {
  allowListEntry,
  forbiddenKind,
  WebhookAllowList,
} from '../../src/rewards/webhook-addresses.ts';

const refusal = (host: string, kind: string) =>
  `The webhook cannot go to ${host}, ${kind}; use an address on the internet, or ask your operator to allow the host in REWARD_WEBHOOK_ALLOWED_HOSTS.`;

describe('which addresses a webhook may go to', () => {
  it.each([
    ['127.0.0.1', 'a loopback address'],
    ['127.255.0.9', 'a loopback address'],
    ['::1', 'a loopback address'],
    ['10.0.0.1', 'a private address'],
    ['172.16.5.4', 'a private address'],
    ['192.168.1.1', 'a private address'],
    ['fc00::1', 'a private (unique-local) address'],
    ['fd12:3456::1', 'a private (unique-local) address'],
    ['169.254.1.1', 'a link-local address'],
    ['fe80::1', 'a link-local address'],
    ['100.64.0.1', 'a carrier-grade NAT address'],
    ['100.127.255.254', 'a carrier-grade NAT address'],
    ['0.0.0.0', 'an unspecified address'],
    ['::', 'an unspecified address'],
    ['224.0.0.1', 'a multicast address'],
    ['ff02::1', 'a multicast address'],
    ['255.255.255.255', 'a broadcast address'],
    ['240.0.0.1', 'a reserved address'],
    ['192.0.2.10', 'a reserved address'],
    ['2001:db8::1', 'a reserved address'],
    ['169.254.169.254', 'a cloud metadata address'],
    ['fd00:ec2::254', 'a cloud metadata address'],
    ['100.100.100.200', 'a cloud metadata address'],
    // IPv4-mapped IPv6: judged as the IPv4 address inside.
    ['::ffff:127.0.0.1', 'a loopback address'],
    ['::ffff:7f00:1', 'a loopback address'],
    ['::ffff:a9fe:a9fe', 'a cloud metadata address'],
    ['::ffff:10.1.2.3', 'a private address'],
    ['::ffff:0.0.0.0', 'an unspecified address'],
    // IPv4 carried in other IPv6 forms (translated, NAT64, 6to4, compatible): not the internet.
    ['::ffff:0:7f00:1', 'a reserved address'],
    ['64:ff9b::a9fe:a9fe', 'a reserved address'],
    ['2002:a9fe:a9fe::1', 'a reserved address'],
    ['::7f00:1', 'a reserved address'],
  ])('%s is %s', (address, kind) => {
    expect(forbiddenKind(address)).toBe(kind);
  });

  it.each([
    '93.184.215.14',
    '1.1.1.1',
    '100.63.255.255',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '::ffff:1.1.1.1',
  ])('%s is on the internet', (address) => {
    expect(forbiddenKind(address)).toBeUndefined();
  });

  it('reads a URL as WHATWG URL does: decimal, hex, octal and short IPv4 are the address they spell', () => {
    const none = WebhookAllowList.NONE;
    const cases: Array<[string, string, string]> = [
      ['http://169.254.169.254/latest/meta-data/', '169.254.169.254', 'a cloud metadata address'],
      ['http://2852039166/', '169.254.169.254', 'a cloud metadata address'],
      ['http://0xA9FEA9FE/', '169.254.169.254', 'a cloud metadata address'],
      ['http://0251.0376.0251.0376/', '169.254.169.254', 'a cloud metadata address'],
      ['http://169.254.169.254./', '169.254.169.254', 'a cloud metadata address'],
      ['https://127.1:8443/hook', '127.0.0.1', 'a loopback address'],
      ['http://0/', '0.0.0.0', 'an unspecified address'],
      ['http://[::ffff:127.0.0.1]/', '[::ffff:7f00:1]', 'a loopback address'],
      ['http://[::ffff:a9fe:a9fe]/', '[::ffff:a9fe:a9fe]', 'a cloud metadata address'],
      ['http://[fd00:ec2::254]/', '[fd00:ec2::254]', 'a cloud metadata address'],
      ['http://[::1]:3000/', '[::1]', 'a loopback address'],
      ['http://10.0.0.8/fulfil', '10.0.0.8', 'a private address'],
      ['http://localhost:3000/', 'localhost', 'this machine (loopback)'],
      ['http://LOCALHOST./', 'localhost.', 'this machine (loopback)'],
      ['http://shop.localhost/', 'shop.localhost', 'this machine (loopback)'],
    ];
    for (const [url, host, kind] of cases) {
      expect(none.refusalOfUrl(url), url).toBe(refusal(host, kind));
    }
    // Names are judged when the webhook is sent, on the addresses they resolve to then.
    for (const url of [
      'https://hooks.example.com/plaudit',
      'https://1.1.1.1/',
      'http://169.254.169.254.nip.io/',
      'https://[2606:4700:4700::1111]/',
    ]) {
      expect(none.refusalOfUrl(url), url).toBeUndefined();
    }
  });

  it('lets through what the operator lists: hostnames exactly, addresses, and ranges', () => {
    const allowed = WebhookAllowList.of([
      'fulfil.corp.example',
      '10.20.0.0/16',
      '127.0.0.1',
      'fd12::/16',
    ]);
    expect(allowed.refusalOfUrl('http://10.20.3.4/hook')).toBeUndefined();
    expect(allowed.refusalOfUrl('http://127.0.0.1:8080/')).toBeUndefined();
    expect(allowed.refusalOfUrl('http://[::ffff:127.0.0.1]/')).toBeUndefined();
    expect(allowed.refusalOfUrl('http://localhost/')).toBeUndefined();
    expect(allowed.refusalOfUrl('http://[fd12::5]/')).toBeUndefined();
    expect(allowed.refusalOfUrl('http://10.21.0.1/')).toBe(
      refusal('10.21.0.1', 'a private address'),
    );
    expect(allowed.refusalOfUrl('http://127.0.0.2/')).toBe(
      refusal('127.0.0.2', 'a loopback address'),
    );
    // At send time: a listed name may resolve inside; another name may not.
    expect(allowed.refusalOfAddress('fulfil.corp.example', '10.99.0.1')).toBeUndefined();
    expect(allowed.refusalOfAddress('FULFIL.corp.example.', '192.168.0.1')).toBeUndefined();
    expect(allowed.refusalOfAddress('other.corp.example', '10.99.0.1')).toBe(
      "the webhook's host other.corp.example (10.99.0.1) is a private address, which REWARD_WEBHOOK_ALLOWED_HOSTS does not allow",
    );
    expect(allowed.refusalOfAddress('10.99.0.1', '10.99.0.1')).toBe(
      "the webhook's host 10.99.0.1 is a private address, which REWARD_WEBHOOK_ALLOWED_HOSTS does not allow",
    );
  });

  it('never opens a cloud metadata address by a name or a range, only by the address itself', () => {
    const wide = WebhookAllowList.of(['169.254.0.0/16', 'fd00::/8', 'fulfil.corp.example']);
    expect(wide.refusalOfUrl('http://169.254.10.10/')).toBeUndefined();
    expect(wide.refusalOfUrl('http://169.254.169.254/')).toBe(
      refusal('169.254.169.254', 'a cloud metadata address'),
    );
    expect(wide.refusalOfUrl('http://[fd00:ec2::254]/')).toBe(
      refusal('[fd00:ec2::254]', 'a cloud metadata address'),
    );
    expect(wide.refusalOfAddress('fulfil.corp.example', '169.254.169.254')).toContain(
      'a cloud metadata address',
    );
    const listed = WebhookAllowList.of(['169.254.169.254']);
    expect(listed.refusalOfUrl('http://169.254.169.254/')).toBeUndefined();
  });

  it('reads REWARD_WEBHOOK_ALLOWED_HOSTS, and refuses an entry that is not a host, address or range', () => {
    expect(parseConfig({}).REWARD_WEBHOOK_ALLOWED_HOSTS).toEqual([]);
    expect(
      parseConfig({ REWARD_WEBHOOK_ALLOWED_HOSTS: ' Fulfil.Corp.example, 10.0.0.0/8 ,, ::1' })
        .REWARD_WEBHOOK_ALLOWED_HOSTS,
    ).toEqual(['fulfil.corp.example', '10.0.0.0/8', '::1']);
    for (const wrong of [
      '*.corp.example',
      '10.0.0.0/33',
      'host:8080',
      '2852039166',
      'a b',
      '0x7f.1',
    ]) {
      expect(allowListEntry(wrong), wrong).toBeUndefined();
      expect(() => parseConfig({ REWARD_WEBHOOK_ALLOWED_HOSTS: `ok.example,${wrong}` })).toThrow(
        'REWARD_WEBHOOK_ALLOWED_HOSTS must be a comma-separated list of hostnames (fulfil.corp.example), IP addresses (10.1.2.3) or CIDR ranges (10.20.0.0/16).',
      );
    }
  });
});
