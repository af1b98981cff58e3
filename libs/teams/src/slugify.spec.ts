import { slugify } from './teams.service';

describe('slugify', () => {
  it.each([
    ['Platform Reliability', 'platform-reliability'],
    ['  SRE -- On Call!  ', 'sre-on-call'],
    ['Équipe Données', 'equipe-donnees'],
    ['a'.repeat(120), 'a'.repeat(80)],
  ])('turns %j into %j', (name, slug) => {
    expect(slugify(name)).toBe(slug);
  });

  it('falls back to a random slug for a name without latin letters or digits', () => {
    expect(slugify('研发')).toMatch(/^team-[0-9a-f]{8}$/);
  });
});
