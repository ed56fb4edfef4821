import { describe, expect, it } from 'vitest';
import { counted, days, points } from '../../src/recognition/wording.ts';

describe('counts with their nouns (issue 18: "1 points", "1 kudos")', () => {
  it.each([
    [points(1), '1 point'],
    [points(0), '0 points'],
    [points(2), '2 points'],
    [days(1), '1 day'],
    [days(30), '30 days'],
    [counted(1, 'person', 'people'), '1 person'],
    [counted(3, 'person', 'people'), '3 people'],
    [counted(1, 'recognition'), '1 recognition'],
    [counted(1000, 'character', 'characters', '1,000'), '1,000 characters'],
    [counted(1, 'character', 'characters', '1'), '1 character'],
  ])('%j', (said, expected) => {
    expect(said).toBe(expected);
  });
});
