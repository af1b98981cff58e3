import { clientKey } from './client-ip';

describe('clientKey', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['::ffff:c000:0201', '192.0.2.1'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:ffff:eeee:dddd:cccc', '2001:db8:1:2::/64'],
    ['2001:0DB8:0001:0002:0000:0000:0000:0009', '2001:db8:1:2::/64'],
    ['::1', '::/64'],
    [undefined, 'unknown'],
    ['', 'unknown'],
    ['not-an-address', 'unknown'],
  ])('keys %p as %p', (address, key) => {
    expect(clientKey(address)).toBe(key);
  });

  it('keeps neighbouring /64 networks apart', () => {
    expect(clientKey('2001:db8:1:2::1')).not.toBe(clientKey('2001:db8:1:3::1'));
  });
});
