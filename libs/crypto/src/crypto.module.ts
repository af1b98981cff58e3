import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@app/config';
import { resolveEncryptionKeys } from './encryption-keys';
import { SecretCipher } from './secret-cipher';

/** Provides the SecretCipher built from the configured (or development) keys. */
@Global()
@Module({
  providers: [
    {
      provide: SecretCipher,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => new SecretCipher(resolveEncryptionKeys(config)),
    },
  ],
  exports: [SecretCipher],
})
export class CryptoModule {}
