import { IssuerAddressError, checkHostAddresses, checkLiteralAddress } from './issuer-address';

const STRICT = { loopback: false, private: false };
const OPEN = { loopback: true, private: true };

describe('OpenID provider addresses', () => {
  it.each([
    ['169.254.169.254', 'linkLocal'],
    ['[fe80::1]', 'linkLocal'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
  ])('refuses %s (%s) whatever the policy', (host, range) => {
    expect(() => checkLiteralAddress(host, OPEN)).toThrow(IssuerAddressError);
    expect(() => checkLiteralAddress(host, OPEN)).toThrow(range);
  });

  it.each(['127.0.0.1', '[::1]', '[::ffff:127.0.0.1]'])(
    'refuses loopback %s unless the policy allows it',
    (host) => {
      expect(() => checkLiteralAddress(host, STRICT)).toThrow(IssuerAddressError);
      expect(() => checkLiteralAddress(host, { loopback: true, private: false })).not.toThrow();
    },
  );

  it.each(['10.1.2.3', '192.168.0.10', '172.16.5.4', '100.64.0.1', '[fd00::1]'])(
    'refuses private %s unless the policy allows it',
    (host) => {
      expect(() => checkLiteralAddress(host, STRICT)).toThrow(IssuerAddressError);
      expect(() => checkLiteralAddress(host, { loopback: false, private: true })).not.toThrow();
    },
  );

  it('accepts public addresses and leaves names to the check at use', () => {
    expect(() => checkLiteralAddress('8.8.8.8', STRICT)).not.toThrow();
    expect(() => checkLiteralAddress('login.example.com', STRICT)).not.toThrow();
  });

  it('resolves a name and refuses it when it points at loopback', async () => {
    await expect(checkHostAddresses('localhost', STRICT)).rejects.toBeInstanceOf(
      IssuerAddressError,
    );
    await expect(checkHostAddresses('localhost', OPEN)).resolves.toBeUndefined();
  });
});
