import { IsOptional, IsString } from 'class-validator';
import { CommonException } from './domain.exception';
import { createValidationPipe, IsDisplayText, isDisplayText } from './validation';

/** The code point as written in the Unicode charts, so test names stay printable. */
const shown = (codePoint: number) => `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, index) => from + index);

describe('isDisplayText', () => {
  const refused = [
    ...range(0x00, 0x1f),
    ...range(0x7f, 0x9f),
    ...range(0x202a, 0x202e),
    ...range(0x2066, 0x2069),
    0x200b,
    0x2060,
    0xfeff,
  ];

  it.each(refused.map((codePoint) => ({ codePoint, name: shown(codePoint) })))(
    'refuses $name in a single-line field',
    ({ codePoint }) => {
      expect(isDisplayText(`Team ${String.fromCodePoint(codePoint)}name`)).toBe(false);
    },
  );

  it.each(
    refused
      .filter((codePoint) => codePoint !== 0x09 && codePoint !== 0x0a)
      .map((codePoint) => ({ codePoint, name: shown(codePoint) })),
  )('refuses $name in a multi-line field', ({ codePoint }) => {
    expect(isDisplayText(`line ${String.fromCodePoint(codePoint)}one`, { multiline: true })).toBe(
      false,
    );
  });

  it.each([
    { kind: 'a tab', value: 'a\tb' },
    { kind: 'a line feed', value: 'first line\nsecond line' },
  ])('refuses $kind in a single-line field but not in a multi-line one', ({ value }) => {
    expect(isDisplayText(value)).toBe(false);
    expect(isDisplayText(value, { multiline: true })).toBe(true);
  });

  it.each([
    { kind: 'plain ASCII', value: 'Platform Reliability ~!' },
    { kind: 'letters with diacritics', value: 'Zoë Ångström-Łukasz' },
    { kind: 'a no-break space (U+00A0, just past the C1 range)', value: 'Acme\u00a0Corp' },
    { kind: 'an emoji ZWJ sequence (woman technologist)', value: 'Devs \u{1f469}\u200d\u{1f4bb}' },
    { kind: 'a ZWNJ in Persian', value: 'می\u200cخواهم' },
    { kind: 'Hebrew with an LRM', value: 'צוות\u200e 42' },
    { kind: 'Arabic with an RLM', value: 'Team \u200fفريق' },
    { kind: 'a flag emoji', value: 'Team \u{1f1f3}\u{1f1f4}' },
  ])('accepts $kind', ({ value }) => {
    expect(isDisplayText(value)).toBe(true);
    expect(isDisplayText(value, { multiline: true })).toBe(true);
  });
});

describe('IsDisplayText in the validation pipe', () => {
  class NamedDto {
    @IsString()
    @IsDisplayText()
    name!: string;

    @IsOptional()
    @IsString()
    @IsDisplayText({ multiline: true })
    description?: string;
  }

  const validate = (value: object) =>
    createValidationPipe().transform(value, { type: 'body', metatype: NamedDto });

  async function refusal(value: object): Promise<CommonException> {
    const error: unknown = await validate(value).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(CommonException);

    return error as CommonException;
  }

  it('refuses a terminal escape as VALIDATION_FAILED naming the field', async () => {
    const error = await refusal({ name: '\u0007\u001b[31mred' });

    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.errors).toEqual([
      {
        field: 'name',
        message: 'name must not contain control or invisible formatting characters',
      },
    ]);
  });

  it('refuses a carriage return in a multi-line field, saying what is allowed', async () => {
    const error = await refusal({ name: 'Team', description: 'one\r\ntwo' });

    expect(error.errors).toEqual([
      {
        field: 'description',
        message:
          'description must not contain control characters other than tab and line feed, ' +
          'or invisible formatting characters',
      },
    ]);
  });

  it('accepts a multi-line description and leaves a value that is not a string to IsString', async () => {
    await expect(validate({ name: 'Team', description: 'one\n\ttwo' })).resolves.toMatchObject({
      description: 'one\n\ttwo',
    });

    const error = await refusal({ name: 42 });
    expect(error.errors).toEqual([{ field: 'name', message: 'name must be a string' }]);
  });
});
