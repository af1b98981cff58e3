import { csvField, csvRow } from './audit-csv';

describe('audit CSV', () => {
  it.each([
    ['plain text', 'auth.login', 'auth.login'],
    ['a number', 42, '42'],
    ['null as an empty field', null, ''],
    ['undefined as an empty field', undefined, ''],
    ['an empty string', '', ''],
    ['a comma', 'a,b', '"a,b"'],
    ['a double quote, doubled', 'say "hi"', '"say ""hi"""'],
    ['a line feed', 'line 1\nline 2', '"line 1\nline 2"'],
    ['a carriage return', 'a\rb', '"a\rb"'],
    ['JSON details', '{"a":"x,y","b":"\\"q\\""}', '"{""a"":""x,y"",""b"":""\\""q\\""""}"'],
    ['a formula', '=HYPERLINK("http://evil")', '"\'=HYPERLINK(""http://evil"")"'],
    ['a plus sign', '+1', "'+1"],
    ['a minus sign', '-2+3', "'-2+3"],
    ['an at sign', '@SUM(A1)', "'@SUM(A1)"],
    ['a leading tab', '\tx', "'\tx"],
    ['a leading carriage return', '\r=1', '"\'\r=1"'],
  ])('writes %s', (_label, value, expected) => {
    expect(csvField(value)).toBe(expected);
  });

  it('joins fields with commas and ends the record with CRLF', () => {
    expect(csvRow(['a', null, 'b,c', 3])).toBe('a,,"b,c",3\r\n');
  });
});
